"""Charts as inline SVG, drawn on the server (no script, no CDN): horizontal bars, a line over
time, and a tile grid for a map by district. Only SVG presentation attributes, no inline style
(the pages' Content-Security-Policy forbids inline styles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BAR = "#1b57a6"
WARN = "#c0392b"


@dataclass(frozen=True)
class Point:
    label: str
    value: int


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg class="chart" width="100%" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]


def bars(points: Sequence[Point], *, title: str, width: int = 520, row: int = 24) -> Markup:
    """Horizontal bars, one per label, the value at the end."""
    if not points:
        return Markup("")
    label_w = 130
    top = max(p.value for p in points) or 1
    height = row * len(points) + 8
    parts = _open(width, height, title)
    span = width - label_w - 60
    for i, p in enumerate(points):
        y = 4 + i * row
        w = max(1, round(span * p.value / top)) if p.value else 0
        parts.append(f'<text x="{label_w - 6}" y="{y + row * 0.65:.1f}" text-anchor="end" font-size="12" '
                     f'fill="#333">{escape(p.label[:12])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 8}" fill="{BAR}" rx="2">'
                     f"<title>{escape(p.label)}：{p.value}</title></rect>")
        parts.append(f'<text x="{label_w + w + 4}" y="{y + row * 0.65:.1f}" font-size="12" fill="#333">'
                     f"{p.value}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points: Sequence[Point], *, title: str, width: int = 640, height: int = 220) -> Markup:
    """Counts over time: a polyline with dots; the first, middle and last labels on the axis."""
    if not points:
        return Markup("")
    left, bottom, top_pad = 40, 28, 12
    top = max(p.value for p in points) or 1
    n = len(points)
    step = (width - left - 10) / max(n - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return left + i * step, top_pad + (height - bottom - top_pad) * (1 - v / top)

    coords = [xy(i, p.value) for i, p in enumerate(points)]
    parts = [*_open(width, height, title),
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" font-size="11" fill="#555">{top}</text>',
             f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="11" fill="#555">0</text>',
             '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
                 BAR, " ".join(f"{x:.1f},{y:.1f}" for x, y in coords))]
    for (x, y), p in zip(coords, points, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{BAR}"><title>{escape(p.label)}：{p.value}'
                     f"</title></circle>")
    for i in sorted({0, n // 2, n - 1}):
        x, _ = coords[i]
        # the first label starts at its point and the last ends at it: centred, they ran past the edges
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="11" fill="#555">'
                     f"{escape(points[i].label)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def tiles(points: Sequence[Point], *, title: str, columns: int = 4, size: int = 118) -> Markup:
    """A tile per district, shaded by its count (darker = more requests)."""
    if not points:
        return Markup("")
    top = max(p.value for p in points) or 1
    rows = (len(points) + columns - 1) // columns
    width, height = columns * size, rows * (size * 0.62)
    parts = _open(width, round(height), title)
    for i, p in enumerate(points):
        x, y = (i % columns) * size, (i // columns) * size * 0.62
        share = p.value / top
        # From pale to the bar colour: interpolate each RGB channel.
        rgb = [round(255 + (c - 255) * (0.12 + 0.88 * share)) for c in (0x1B, 0x57, 0xA6)]
        text = "#fff" if share > 0.5 else "#222"
        parts.append(f'<rect x="{x + 3}" y="{y + 3:.0f}" width="{size - 6}" height="{size * 0.62 - 6:.0f}" rx="6" '
                     f'fill="rgb({rgb[0]},{rgb[1]},{rgb[2]})"><title>{escape(p.label)}：{p.value}</title></rect>')
        parts.append(f'<text x="{x + size / 2:.0f}" y="{y + size * 0.28:.0f}" text-anchor="middle" font-size="14" '
                     f'fill="{text}">{escape(p.label)}</text>')
        parts.append(f'<text x="{x + size / 2:.0f}" y="{y + size * 0.48:.0f}" text-anchor="middle" font-size="13" '
                     f'fill="{text}">{p.value} 件</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
