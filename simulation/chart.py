"""Recovery curves as a chart: each arm's mean share of the placed balance collected by day, inside its band (5th to
95th percentile across runs). SVG for the dashboard and files; PNG typeset from the same SVG by Typst (the
letters' typesetter: no other graphics library)."""

import tempfile
from html import escape
from pathlib import Path

import numpy as np
import typst

from simulation.simulator import Outcome

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 400, 56, 180, 24, 44
COLOURS = ("#1f6feb", "#d1495b", "#2a9d8f", "#e9a23b", "#7b4fb3", "#6c757d")


def svg(outcomes: list[Outcome], title: str = "Share of the placed balance collected, by day") -> str:
    days = outcomes[0].curves.shape[1] - 1
    top = max(0.1, float(max(np.percentile(o.curves, 95, 0).max() for o in outcomes)))
    top = float(np.ceil(top * 10) / 10)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return LEFT + plot_w * day / days

    def y(share: float) -> float:
        return TOP + plot_h * (1 - share / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" font-family="sans-serif" font-size="12" role="img" aria-label="{escape(title)}">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']  # fmt: skip
    for tick in np.arange(0, top + 1e-9, 0.1 if top <= 1 else 0.2):
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.0%}</text>')
    for day in range(0, days + 1, max(1, days // 6 // 10 * 10 or 1)):
        parts.append(f'<text x="{x(day):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{day}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">days</text>')
    every = np.arange(days + 1)
    for n, outcome in enumerate(outcomes):
        colour = COLOURS[n % len(COLOURS)]
        mean, low, high = outcome.band()
        band = [f"{x(d):.1f},{y(v):.1f}" for d, v in zip(every, high, strict=True)]
        band += [f"{x(d):.1f},{y(v):.1f}" for d, v in reversed(list(zip(every, low, strict=True)))]
        parts.append(f'<polygon points="{" ".join(band)}" fill="{colour}" fill-opacity="0.18" stroke="none"/>')
        line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(every, mean, strict=True))
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        legend_y = TOP + 18 * n + 8
        parts.append(f'<rect x="{LEFT + plot_w + 12}" y="{legend_y - 8}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{LEFT + plot_w + 30}" y="{legend_y + 2}">{escape(outcome.label[:22])} '
                     f'{mean[-1]:.1%}</text>')  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts)


def png(chart: str, ppi: int = 144) -> bytes:
    """The SVG chart as a PNG image."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "chart.svg").write_text(chart, encoding="utf-8")
        (root / "main.typ").write_text('#set page(width: auto, height: auto, margin: 0pt)\n#image("chart.svg")\n',
                                       encoding="utf-8")  # fmt: skip
        return typst.compile(str(root / "main.typ"), root=str(root), format="png", ppi=ppi)
