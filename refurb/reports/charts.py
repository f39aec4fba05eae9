"""Server-rendered SVG bar charts: accessible (role="img", <title> and <desc> naming every figure),
scalable, no JavaScript. The same figures are always given in a table next to the chart."""

from __future__ import annotations

from markupsafe import Markup, escape

from ..formatting import plural_word

WIDTH = 640
LABEL_W = 230
BAR_W = 300
ROW_H = 30


def bar_chart(chart_id: str, title: str, items: list[tuple[str, float, str]], *, unit: str = "",
              noun: str = "") -> Markup:
    """Horizontal bars: ``items`` = [(label, value, value as displayed)]. The description names each figure
    with its ``unit`` ("kg CO2e"), or with the ``noun`` counted, singular, put in the plural from 2 ("appareil")."""
    height = max(1, len(items)) * ROW_H + 10
    top = max((v for _l, v, _s in items), default=0) or 1

    def after(value) -> str:
        word = plural_word(value, noun) if noun else unit
        return f" {word}" if word else ""

    desc = "; ".join(f"{label} : {shown}{after(value)}" for label, value, shown in items) or "Aucune donnée."
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
             f'style="max-width:{WIDTH}px">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape(desc)}</desc>']
    for i, (label, value, shown) in enumerate(items):
        y = 5 + i * ROW_H
        w = 0 if value <= 0 else max(2, round(BAR_W * value / top))
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 19}" text-anchor="end" font-size="14" fill="#1f2937">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="{ROW_H - 10}" fill="#00696b" rx="2"/>')
        parts.append(f'<text x="{LABEL_W + w + 6}" y="{y + 19}" font-size="14" fill="#1f2937">'
                     f'{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
