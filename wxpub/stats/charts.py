"""Small server-side charts as inline SVG (pure; no JavaScript, no network, prints in PDF).

``line_chart`` for trends over days, ``bar_chart`` for comparisons between named items. Both
return ``markupsafe.Markup`` ready to drop into a template; every text is escaped.
"""

from __future__ import annotations

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


def line_chart(labels: list[str], series: list[tuple[str, list[float]]], *, title: str,
               width: int = 720, height: int = 240) -> Markup:
    """Lines over ``labels`` (x axis); ``series`` is ``[(name, values)]`` of equal lengths."""
    left, right, top, bottom = 56, 28, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([v for _, values in series for v in values] or [0]))
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>']
    for k in range(5):
        value = peak * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#e0e0e0"/><text x="{left - 6}" y="{y(value) + 4:.1f}" '
                     f'text-anchor="end" font-size="11" fill="#666">{_number(value)}</text>')
    step = max(1, n // 8)
    for i in range(0, len(labels), step):
        anchor = "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" '
                     f'font-size="11" fill="#666">{escape(labels[i])}</text>')
    for index, (name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        if len(values) == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(values[0]):.1f}" r="3" fill="{color}"/>')
        elif values:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        parts.append(f'<rect x="{left + index * 110}" y="8" width="12" height="12" fill="{color}"/>'
                     f'<text x="{left + index * 110 + 16}" y="18" font-size="12">{escape(name)}</text>')
    if not labels:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#999">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(items: list[tuple[str, float]], *, title: str, width: int = 720,
              unit: str = "") -> Markup:
    """Horizontal bars, one per ``(label, value)``, labelled with the value."""
    row_h, left, right, top = 26, 150, 70, 8
    height = top * 2 + row_h * max(len(items), 1)
    peak = max([v for _, v in items] or [0]) or 1
    plot_w = width - left - right
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">', f'<title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = plot_w * value / peak
        color = PALETTE[i % len(PALETTE)] if len(items) <= len(PALETTE) else PALETTE[0]
        text = str(label) if len(str(label)) <= 11 else str(label)[:10] + "…"
        parts.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="12">'
                     f'{escape(text)}</text><rect x="{left}" y="{y + 4}" width="{w:.1f}" '
                     f'height="{row_h - 8}" fill="{color}"/><text x="{left + w + 6:.1f}" y="{y + 17}" '
                     f'font-size="12" fill="#333">{escape(_number(value))}{escape(unit)}</text>')
    if not items:
        parts.append(f'<text x="{width / 2}" y="{top + 17}" text-anchor="middle" fill="#999">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
