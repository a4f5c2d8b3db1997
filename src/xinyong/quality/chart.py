"""A small server-rendered SVG line chart (percentages over months).

Hand-written rather than a chart library: the quality page needs two static line charts
and nothing else; a charting dependency (and the JavaScript most bring) would outweigh
these lines. The SVG is accessible on its own (``role="img"``, ``<title>``, ``<desc>``,
a ``<title>`` on every point) and the page repeats the numbers in a table. All text is
escaped with markupsafe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe–Ito colours (distinguishable with colour-vision deficiencies), then dash
# patterns, so that more departments than colours stay apart.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3")

WIDTH = 720
PLOT_HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 16, 54
LEGEND_COLUMNS = 3
LEGEND_ROW = 22


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per x label, 0..1; None = no figure that month


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _y_floor(series: Sequence[Series], target: float | None) -> float:
    """The lowest value shown: a multiple of 10% at or below every value (and the target)."""
    values = [v for s in series for v in s.values if v is not None]
    if target is not None:
        values.append(target)
    if not values:
        return 0.0
    return max(0.0, min(0.9, math.floor(min(values) * 10) / 10))


def style(index: int) -> tuple[str, str]:
    """(colour, dash pattern) of the ``index``-th series."""
    return PALETTE[index % len(PALETTE)], DASHES[(index // len(PALETTE)) % len(DASHES)]


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    target: float | None = None,
    target_label: str = "",
    point_labels: Sequence[str] | None = None,
) -> Markup:
    """An SVG line chart of ``series`` over ``x_labels`` with a 0–100% y axis (zoomed to
    the data in steps of 10%) and an optional dashed target line. An x label may have a
    second line after ``\n``; ``point_labels`` name the x positions in point tooltips
    (default: the x labels)."""
    n = len(x_labels)
    names = list(point_labels or [label.replace("\n", " ") for label in x_labels])
    legend_rows = math.ceil(len(series) / LEGEND_COLUMNS)
    height = TOP + PLOT_HEIGHT + BOTTOM + legend_rows * LEGEND_ROW + 8
    plot_w = WIDTH - LEFT - RIGHT
    lo = _y_floor(series, target)

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if n <= 1 else i * plot_w / (n - 1))

    def y(v: float) -> float:
        return TOP + PLOT_HEIGHT * (1 - (v - lo) / (1 - lo))

    cid = escape(chart_id)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="quality-chart" id="{cid}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]
    # Axes, grid and labels.
    for step in range(5):
        v = lo + (1 - lo) * step / 4
        yy = y(v)
        out.append(
            f'<line class="grid" x1="{LEFT}" y1="{yy:.1f}" x2="{WIDTH - RIGHT}" y2="{yy:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">'
            f"{escape(_pct(v))}</text>"
        )
    for i, label in enumerate(x_labels):
        # A second line (after "\n"), e.g. the year under its first month.
        lines = "".join(
            f'<tspan x="{x(i):.1f}" dy="{0 if k == 0 else 14}">{escape(part)}</tspan>'
            for k, part in enumerate(label.split("\n"))
        )
        out.append(
            f'<text class="tick" x="{x(i):.1f}" y="{TOP + PLOT_HEIGHT + 20}" '
            f'text-anchor="middle">{lines}</text>'
        )
    if target is not None and lo <= target <= 1:
        yt = y(target)
        out.append(
            f'<line class="target" x1="{LEFT}" y1="{yt:.1f}" x2="{WIDTH - RIGHT}" y2="{yt:.1f}" '
            f'stroke="#b5121b" stroke-dasharray="4 4"><title>{escape(target_label)}</title></line>'
        )
    if not any(v is not None for s in series for v in s.values):
        out.append(
            f'<text class="empty" x="{LEFT + plot_w / 2:.1f}" y="{TOP + PLOT_HEIGHT / 2:.1f}" '
            'text-anchor="middle">暂无数据</text>'
        )
    # One group per series: line segments between consecutive months with figures.
    for index, s in enumerate(series):
        colour, dash = style(index)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" stroke="{colour}" fill="{colour}">')
        out.append(f"<title>{escape(s.label)}</title>")
        segment: list[str] = []
        for i, point in enumerate([*s.values, None]):
            if point is not None:
                segment.append(f"{x(i):.1f},{y(point):.1f}")
                continue
            if len(segment) > 1:
                out.append(
                    f'<polyline fill="none" stroke-width="2"{dash_attr} '
                    f'points="{" ".join(segment)}"/>'
                )
            segment = []
        for i, point in enumerate(s.values):
            if point is not None and i < n:
                out.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(point):.1f}" r="3.5">'
                    f"<title>{escape(s.label)} {escape(names[i])}：{escape(_pct(point))}</title>"
                    "</circle>"
                )
        out.append("</g>")
    # Legend beneath the plot.
    col_w = plot_w / LEGEND_COLUMNS
    for index, s in enumerate(series):
        colour, dash = style(index)
        lx = LEFT + (index % LEGEND_COLUMNS) * col_w
        ly = TOP + PLOT_HEIGHT + BOTTOM + (index // LEGEND_COLUMNS) * LEGEND_ROW + 4
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<g class="legend"><line x1="{lx:.1f}" y1="{ly:.1f}" x2="{lx + 24:.1f}" '
            f'y2="{ly:.1f}" stroke="{colour}" stroke-width="2"{dash_attr}/>'
            f'<text x="{lx + 30:.1f}" y="{ly + 4:.1f}">{escape(s.label)}</text></g>'
        )
    out.append("</svg>")
    return Markup("".join(out))
