"""Small server-side charts as inline SVG (pure; no JavaScript, no network, prints in PDF).

``line_chart`` for trends over days, ``bar_chart`` for comparisons between named items. Both
return ``markupsafe.Markup`` ready to drop into a template; every text is escaped.

The charts are as wide as their box (``width="100%"``) and a fixed number of pixels high, with
no ``viewBox`` over the whole chart: widths are percentages and texts are real pixels, so a label
is as readable on a 375 px phone as on a desk (a scaled ``viewBox`` made them ~6 px on a phone).
Only the line chart's plot is a ``<symbol>`` with a ``viewBox`` stretched to the box, its strokes
kept at their width (``vector-effect``).
"""

from __future__ import annotations

import hashlib

from markupsafe import Markup, escape

PALETTE = ("#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037")


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    if value >= 10000:
        return f"{value / 10000:g}万"
    return f"{value:g}"


FONT = 13  # px, the labels' size whatever the chart's width
LABEL_CHARS = 18  # a bar's label longer than this is cut, the whole name in its tooltip


def _label(text: str, chars: int = LABEL_CHARS) -> str:
    """``text`` escaped, cut to ``chars`` characters with an ellipsis (the whole in a <title>)."""
    text = str(text)
    if len(text) <= chars:
        return str(escape(text))
    return f"<title>{escape(text)}</title>{escape(text[:chars - 1])}…"


def _x_ticks(n: int, most: int = 6) -> list[int]:
    """Indexes of the x labels: about ``most`` of them, evenly spaced, the first and the last."""
    if n <= most:
        return list(range(n))
    step = -(-(n - 1) // (most - 1))
    ticks = list(range(0, n - 1, step))
    if n - 1 - ticks[-1] < step / 2:
        ticks.pop()
    return ticks + [n - 1]


def line_chart(labels: list[str], series: list[tuple[str, list[float]]], *, title: str,
               height: int = 240, **_) -> Markup:
    """Lines over ``labels`` (x axis); ``series`` is ``[(name, values)]`` of equal lengths."""
    top, bottom, inset = 40, 26, 20  # px above and below the plot; plot units kept free at each side
    plot_h = height - top - bottom
    peak = _nice_max(max([v for _, values in series for v in values] or [0]))
    n = max(len(labels), 1)

    def ux(i: int) -> float:  # plot units: 0–1000 across the box
        return inset + ((1000 - 2 * inset) * i / (n - 1) if n > 1 else (1000 - 2 * inset) / 2)

    def y(v: float) -> float:
        return plot_h - plot_h * v / peak

    halo = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'
    parts = [f'<svg class="chart line-chart" width="100%" height="{height}" role="img" '
             f'aria-label="{escape(title)}">', f'<title>{escape(title)}</title>']
    for index, (name, _values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{index * 100}" y="6" width="12" height="12" rx="2" fill="{color}"/>'
                     f'<text x="{index * 100 + 17}" y="17" font-size="{FONT}" fill="#333">{escape(name)}</text>')
    for k in range(5):
        value = peak * k / 4
        at = top + y(value)
        parts.append(f'<line x1="0" x2="100%" y1="{at:.1f}" y2="{at:.1f}" stroke="#e0e0e0"/>'
                     f'<text x="0" y="{at - 4:.1f}" font-size="12" fill="#555" {halo}>{_number(value)}</text>')
    for i in _x_ticks(len(labels)):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text x="{ux(i) / 10:.2f}%" y="{height - 7}" text-anchor="{anchor}" '
                     f'font-size="12" fill="#555">{escape(labels[i])}</text>')
    lines = []
    for index, (_name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{ux(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        if len(values) > 1:
            lines.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                         f'vector-effect="non-scaling-stroke" stroke-linejoin="round" points="{points}"/>')
    if lines:  # the plot as a stretched symbol (an id from its content: equal charts, equal symbols)
        key = "plot-" + hashlib.sha1("".join(lines).encode()).hexdigest()[:10]
        parts.append(f'<symbol id="{key}" viewBox="0 0 1000 {plot_h}" preserveAspectRatio="none" '
                     f'overflow="visible">{"".join(lines)}</symbol>'
                     f'<use href="#{key}" x="0" y="{top}" width="100%" height="{plot_h}"/>')
    for index, (_name, values) in enumerate(series):
        if len(values) == 1:  # a dot, drawn outside the stretched plot so it stays round
            color = PALETTE[index % len(PALETTE)]
            parts.append(f'<circle cx="{ux(0) / 10:.2f}%" cy="{top + y(values[0]):.1f}" r="4" fill="{color}"/>')
    if not labels:
        parts.append(f'<text x="50%" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
                     f'font-size="{FONT}" fill="#777">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(items: list[tuple[str, float]], *, title: str, unit: str = "", **_) -> Markup:
    """Horizontal bars, one per ``(label, value)``: the label and the value on a line, the bar under
    them across the box's width (so a long name is never squeezed into a narrow column)."""
    row_h, top = 42, 4
    height = top * 2 + row_h * max(len(items), 1)
    peak = max([v for _, v in items] or [0]) or 1
    parts = [f'<svg class="chart bar-chart" width="100%" height="{height}" role="img" '
             f'aria-label="{escape(title)}">', f'<title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        share = max(0.0, min(100.0, 100 * value / peak))
        color = PALETTE[i % len(PALETTE)] if len(items) <= len(PALETTE) else PALETTE[0]
        parts.append(f'<text x="0" y="{y + 15}" font-size="{FONT}" fill="#222">{_label(label)}</text>'
                     f'<text x="100%" y="{y + 15}" text-anchor="end" font-size="{FONT}" font-weight="bold" '
                     f'fill="#333">{escape(_number(value))}{escape(unit)}</text>'
                     f'<rect x="0" y="{y + 22}" width="100%" height="12" rx="2" fill="#f0f0f0"/>'
                     f'<rect x="0" y="{y + 22}" width="{share:.2f}%" height="12" rx="2" fill="{color}"/>')
    if not items:
        parts.append(f'<text x="50%" y="{top + 20}" text-anchor="middle" font-size="{FONT}" '
                     f'fill="#777">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
