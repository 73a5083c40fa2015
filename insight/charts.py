"""Line charts as SVG, for the dashboard and the command lines: one line per series, over a shared x axis, with a band
around it where the series has one. Presentation attributes only (no `style`, no script): the dashboard's content
security policy lets them through. PNG: typeset by Typst from the same SVG (the letters' typesetter)."""

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import typst

WIDTH, HEIGHT, RIGHT, TOP, BOTTOM = 760, 400, 230, 24, 44
COLOURS = ("#1f6feb", "#d1495b", "#2a9d8f", "#e9a23b", "#7b4fb3", "#6c757d", "#8c564b", "#17becf")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    low: Sequence[float] | None = None  # the band, if any
    high: Sequence[float] | None = None


def line_chart(title: str, series: Sequence[Series], x_labels: Sequence[str], x_title: str = "",
               percent: bool = True) -> str:  # fmt: skip
    """The chart; `x_labels` name the points (a few are printed), `percent` formats the y axis as shares."""
    points = max(len(s.values) for s in series) if series else 0
    top_value = max([max([*(s.high or []), *s.values], default=0.0) for s in series], default=0.0)
    step = _step(top_value, percent)
    top = max(step, float(np.ceil(top_value / step) * step))
    ticks = [(tick, f"{tick:.0%}" if percent else f"{tick:,.0f}") for tick in np.arange(0, top + step / 2, step)]
    left = 14 + 7 * max(len(label) for _, label in ticks)  # room for the longest label of the y axis
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: float) -> float:
        return left + (plot_w * index / (points - 1) if points > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" font-family="sans-serif" font-size="12" role="img" aria-label="{escape(title)}">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']  # fmt: skip
    for tick, label in ticks:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{label}</text>')
    every = max(1, points // 6)
    for index in range(0, points, every):
        parts.append(f'<text x="{x(index):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                     f"{escape(x_labels[index])}</text>")  # fmt: skip
    if x_title:
        parts.append(f'<text x="{left + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_title)}</text>')
    for n, line in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        if line.low is not None and line.high is not None:
            band = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.high)]
            band += [f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(line.low)))]
            parts.append(f'<polygon points="{" ".join(band)}" fill="{colour}" fill-opacity="0.18" stroke="none"/>')
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.values))
        parts.append(f'<polyline class="series" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if len(line.values) == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(line.values[0]):.1f}" r="3" fill="{colour}"/>')
        last = line.values[-1] if line.values else 0
        legend_y = TOP + 18 * n + 8
        parts.append(f'<rect x="{left + plot_w + 12}" y="{legend_y - 8}" width="12" height="12" fill="{colour}"/>')
        shown = f"{last:.1%}" if percent else f"{last:,.0f}"
        parts.append(f'<text x="{left + plot_w + 30}" y="{legend_y + 2}">{escape(line.label[:22])} {shown}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _step(top: float, percent: bool) -> float:
    if percent:
        return 0.1 if top <= 1 else 0.2
    magnitude = 10 ** max(0, int(np.floor(np.log10(top))) if top > 0 else 0)
    return float(next(m * magnitude for m in (0.2, 0.5, 1, 2, 5, 10) if top / (m * magnitude) <= 6))


def png(chart: str, ppi: int = 144) -> bytes:
    """The SVG chart as a PNG image."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "chart.svg").write_text(chart, encoding="utf-8")
        (root / "main.typ").write_text('#set page(width: auto, height: auto, margin: 0pt)\n#image("chart.svg")\n',
                                       encoding="utf-8")  # fmt: skip
        return typst.compile(str(root / "main.typ"), root=str(root), format="png", ppi=ppi)
