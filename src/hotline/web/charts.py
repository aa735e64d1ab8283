"""Small server-rendered SVG charts (bars and lines) for the pages: no JavaScript, no CDN.
The SVG is built from numbers only; labels are escaped."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

COLOURS = ("#2f6db3", "#e07b39", "#3a9a5b", "#8e5ea2", "#c0392b")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def chart_svg(kind: str, categories: list[str], series: list[tuple[str, list[float]]], *,
              width: int = 640, height: int = 220, title: str = "") -> Markup:
    """A bar chart (grouped when several series) or a line chart, scaled to the largest value."""
    if not categories or not series:
        return Markup('<p class="empty">暂无数据</p>')
    left, right, top, bottom = 44, 10, 24 if len(series) > 1 else 10, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((max(values) for _, values in series), default=0))
    n = len(categories)
    slot = plot_w / n
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg" font-size="11">']
    for i in range(5):  # gridlines with their values
        y = top + plot_h - plot_h * i / 4
        value = top_value * i / 4
        label = f"{value:,.0f}" if top_value >= 4 else f"{value:.1f}"
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e7ec"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#667">{label}</text>')
    every = max(1, n // 16)  # thin the category labels on long axes (a month of days)
    for i, cat in enumerate(categories):
        if i % every == 0:
            x = left + slot * (i + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="end" fill="#445" '
                         f'transform="rotate(-35 {x:.1f} {height - bottom + 14})">{escape(cat[:10])}</text>')
    for s, (name, values) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        if kind == "line":
            points = " ".join(f"{left + slot * (i + 0.5):.1f},{top + plot_h - plot_h * v / top_value:.1f}"
                              for i, v in enumerate(values))
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        else:
            bar_w = slot * 0.8 / len(series)
            for i, v in enumerate(values):
                h = plot_h * v / top_value
                x = left + slot * i + slot * 0.1 + bar_w * s
                parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                             f'fill="{colour}"><title>{escape(categories[i])} {escape(name)}：{v:,.0f}</title></rect>')
        if len(series) > 1:
            parts.append(f'<rect x="{left + s * 90}" y="4" width="10" height="10" fill="{colour}"/>'
                         f'<text x="{left + s * 90 + 14}" y="13" fill="#334">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
