"""Recovery curves as a chart: each arm's mean share of the placed balance collected by day, inside its band (5th to
95th percentile across runs). SVG for the dashboard and files; PNG from the same SVG (insight/charts.py)."""

from insight.charts import Series, line_chart, png
from simulation.simulator import Outcome

__all__ = ["png", "svg"]


def svg(outcomes: list[Outcome], title: str = "Share of the placed balance collected, by day") -> str:
    days = outcomes[0].curves.shape[1] - 1
    series = [Series(o.label, *(list(map(float, part)) for part in o.band())) for o in outcomes]
    return line_chart(title, series, [str(day) for day in range(days + 1)], "days")
