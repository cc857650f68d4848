"""Server-rendered SVG bar charts: no JavaScript, no external service.

The markup is accessible (``role="img"`` labelled by its ``<title>`` and
``<desc>``; the page puts the numbers in a table beside it) and fits the
Content Security Policy: colours and sizes are presentation attributes
(``fill=``, ``stroke=``, ``font-size=``), never ``style=``. Every text is
escaped.
"""

import math
from html import escape

WIDTH = 640
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 64
BAR_FILL = "#1f5fa6"
AXIS_STROKE = "#595959"
GRID_STROKE = "#c6ccd2"
TEXT_FILL = "#1a1a1a"


def format_number(value) -> str:
    """``1234`` -> ``1,234``; ``2.5`` -> ``2.5`` (at most two decimals)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def nice_maximum(value) -> float:
    """A round number ≥ ``value`` for the top of the axis (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def bar_chart(chart_id: str, title: str, description: str, series) -> str:
    """An SVG bar chart of ``series`` (``[(label, number)]``) as a markup string.

    ``chart_id`` must be unique on the page and safe in an id attribute
    (KPI names are); ``title`` and ``description`` are escaped here.
    """
    series = list(series)
    ident = escape(chart_id, quote=True)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_maximum(max((v for _l, v in series), default=0))
    if all(float(v).is_integer() for _l, v in series):
        # counts of people or rides: four whole-number steps, never "0.25 people"
        top = max(4, math.ceil(top / 4) * 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke="{GRID_STROKE}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
                     f'fill="{TEXT_FILL}">{escape(format_number(value))}</text>')
    if series:
        slot = plot_w / len(series)
        bar_w = max(slot * 0.7, 1)
        label_every = max(1, math.ceil(len(series) / 12))
        for index, (label, value) in enumerate(series):
            height = plot_h * (value / top) if top else 0
            x = LEFT + index * slot + (slot - bar_w) / 2
            y = TOP + plot_h - height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="{BAR_FILL}"><title>{escape(str(label))}: '
                f'{escape(format_number(value))}</title></rect>'
            )
            if index % label_every == 0:
                lx, ly = LEFT + index * slot + slot / 2, TOP + plot_h + 14
                parts.append(
                    f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" font-size="11" '
                    f'fill="{TEXT_FILL}" transform="rotate(-45 {lx:.1f} {ly:.1f})">'
                    f'{escape(str(label))}</text>'
                )
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
                 f'y2="{TOP + plot_h}" stroke="{AXIS_STROKE}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)
