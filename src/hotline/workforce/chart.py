"""The plan as an inline SVG drawn on the server (no script, no CDN): calls per interval as bars
on the left axis, seats as a line on the right axis, day boundaries marked."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from hotline.workforce.plan import Plan

W, H = 1000, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 28, 40


def _nice(top: float) -> float:
    """A round axis maximum at or above `top`."""
    if top <= 0:
        return 1.0
    step = 10 ** (len(str(int(top))) - 1)
    for m in (1, 2, 2.5, 4, 5, 6, 8, 10):  # quarters of these are round too
        if m * step >= top:
            return m * step
    return 10 * step


def plan_svg(plan: Plan, *, per_day: int = 48) -> Markup:
    rows = plan.rows
    n = len(rows)
    calls_max = _nice(max(r.calls for r in rows))
    seats_max = _nice(max(r.seats for r in rows))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    bw = plot_w / n

    def y(value: float, top: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [f'<svg class="wf-chart" viewBox="0 0 {W} {H}" role="img" aria-label="各时段来电量与所需座席" '
             f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="none">']
    for k in range(5):  # grid and both axes' ticks
        frac = k / 4
        gy = TOP + plot_h * (1 - frac)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}" class="wf-grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end" class="wf-calls-t">'
                     f'{calls_max * frac:g}</text>')
        parts.append(f'<text x="{W - RIGHT + 6}" y="{gy + 4:.1f}" class="wf-seats-t">{seats_max * frac:g}</text>')
    for i, r in enumerate(rows):
        top = y(r.calls, calls_max)
        parts.append(f'<rect x="{LEFT + i * bw:.2f}" y="{top:.1f}" width="{max(bw - 0.3, 0.5):.2f}" '
                     f'height="{TOP + plot_h - top:.1f}" class="wf-bar"><title>{escape(r.label)}：来电 {r.calls:g}，'
                     f'座席 {r.seats}</title></rect>')
    points = " ".join(f"{LEFT + (i + 0.5) * bw:.1f},{y(r.seats, seats_max):.1f}" for i, r in enumerate(rows))
    parts.append(f'<polyline points="{points}" class="wf-line"/>')
    for d in range(0, n, per_day):  # day boundaries with the day's label
        x = LEFT + d * bw
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_h}" class="wf-day"/>')
        label = rows[d].label.split(" ")[0]
        parts.append(f'<text x="{x + 4:.1f}" y="{H - BOTTOM + 16}" class="wf-x">{escape(label)}</text>')
    parts.append(f'<text x="{LEFT}" y="{TOP - 10}" class="wf-calls-t">来电量（次/时段）</text>')
    parts.append(f'<text x="{W - RIGHT}" y="{TOP - 10}" text-anchor="end" class="wf-seats-t">座席（个）</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
