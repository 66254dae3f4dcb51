"""Small inline SVG charts drawn on the server: no chart library and no script to fetch."""

from __future__ import annotations

from html import escape
from typing import cast

from socialpulse.typing_aliases import JsonObject


def interval_chart(
    points: list[JsonObject],
    value: str = "lift",
    low: str = "lift_low",
    high: str = "lift_high",
    label: str = "as_of_date",
) -> str:
    """A lift over the looks with its always-valid interval as a band and the zero line, as percentages.

    Points without an interval (too little data yet) leave a gap in the band; the lift is drawn where known.
    """
    return line_chart(points, value, label, low=low, high=high, fmt="{:+.0%}", zero=True)


def line_chart(
    points: list[JsonObject],
    value: str,
    label: str,
    *,
    low: str | None = None,
    high: str | None = None,
    fmt: str = "{:,.0f}",
    zero: bool = False,
    width: int = 420,
    height: int = 140,
) -> str:
    """A line of `value` over the points, labelled by `label` at both ends and `fmt` at the top and bottom.

    `low`/`high` name an interval drawn as a band where both are known; `zero` draws (and includes) the zero line.
    Empty when no point has a value.
    """
    known = [p for p in points if p.get(value) is not None]
    if not known:
        return ""
    bounds = [float(p[k]) for p in points for k in (value, low, high) if k and p.get(k) is not None]
    if zero:
        bounds.append(0.0)
    top, bottom = max(bounds), min(bounds)
    span = (top - bottom) or 1.0
    pad = 28
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return pad + i * step

    def y(v: float) -> float:
        return 8 + (top - float(v)) / span * (height - 28)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    if zero:
        parts.append(f'<line class="zero" x1="{pad}" x2="{width - pad}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>')
    band = [(i, p) for i, p in enumerate(points) if low and high and p.get(low) is not None and p.get(high) is not None]
    if band:
        upper = " ".join(f"{x(i):.1f},{y(p[cast(str, high)]):.1f}" for i, p in band)  # a band has both bounds
        lower = " ".join(f"{x(i):.1f},{y(p[cast(str, low)]):.1f}" for i, p in reversed(band))
        parts.append(f'<polygon class="band" points="{upper} {lower}"/>')
    line = " ".join(f"{x(i):.1f},{y(p[value]):.1f}" for i, p in enumerate(points) if p.get(value) is not None)
    parts += [
        f'<polyline class="line" points="{line}"/>',
        f'<text x="2" y="{y(top) + 4:.1f}">{escape(fmt.format(top))}</text>',
        f'<text x="2" y="{y(bottom):.1f}">{escape(fmt.format(bottom))}</text>',
        f'<text x="{pad}" y="{height - 2}">{escape(str(points[0][label]))}</text>',
        f'<text x="{width - pad}" y="{height - 2}" text-anchor="end">{escape(str(points[-1][label]))}</text>',
        "</svg>",
    ]
    return "".join(parts)
