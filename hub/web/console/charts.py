"""Charts drawn on the server as SVG: the monitoring page needs no script.

Colours and sizes are presentation attributes, not ``style``: the console's
content security policy allows no inline style, and attributes are not
styles. Every mark carries a ``<title>``, which browsers show on hover.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#7f8c8d")
FONT = 'font-family="sans-serif" font-size="12"'


def nice_top(value: int) -> int:
    """An axis top at or above ``value`` that divides into 4 whole steps."""
    top = max(value, 4)
    return top + (-top % 4)


def trend_chart(
    months: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str
) -> Markup:
    """One line per series over the months, with a legend: month-on-month at a glance."""
    width, height, left, right, top, bottom = 720, 300, 44, 150, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_top(max((max(values, default=0) for _, values in series), default=0))
    step = plot_w / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: int) -> float:
        return top + plot_h - v / peak * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):
        value = peak * k // 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#dde2e8" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" {FONT} '
            f'fill="#5b6673">{value}</text>'
        )
    for i, month in enumerate(months):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle" {FONT} '
            f'fill="#5b6673">{escape(month)}</text>'
        )
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(name)} {escape(months[i])}：{v} 件</title></circle>"
            )
        ly = top + 8 + n * 20
        parts.append(
            f'<rect x="{width - right + 16}" y="{ly - 8}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{width - right + 34}" y="{ly + 2}" {FONT} fill="#1d2733">'
            f"{escape(name)}（{values[-1] if values else 0}）</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def overdue_chart(rows: Sequence[tuple[str, int, int]], *, title: str) -> Markup:
    """Horizontal bars per court: unanswered tickets, the overdue part in red."""
    label_w, bar_w, row_h, top = 190, 430, 28, 10
    width = label_w + bar_w + 120
    height = top * 2 + row_h * max(len(rows), 1)
    peak = max((waiting for _, waiting, _ in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    if not rows:
        parts.append(f'<text x="10" y="{top + 18}" {FONT} fill="#5b6673">暂无未答复的诉求</text>')
    for i, (name, waiting, late) in enumerate(rows):
        y = top + i * row_h
        full = bar_w * waiting / peak
        red = bar_w * late / peak
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" {FONT} '
            f'fill="#1d2733">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{full:.1f}" height="18" fill="#c9d3df">'
            f"<title>{escape(name)}：未答复 {waiting} 件</title></rect>"
            f'<rect x="{label_w}" y="{y + 4}" width="{red:.1f}" height="18" fill="#c0392b">'
            f"<title>{escape(name)}：已超期 {late} 件</title></rect>"
            f'<text x="{label_w + full + 6:.1f}" y="{y + 17}" {FONT} fill="#1d2733">'
            f"超期 {late} / 未答复 {waiting}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
