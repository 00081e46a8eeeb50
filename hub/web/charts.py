"""Bar charts drawn on the server as inline SVG: no scripts, no style attributes.

The page's Content-Security-Policy allows neither inline scripts nor inline
styles, so the SVG carries only geometry and class names; ``static/charts.css``
colours it. Each chart has a ``<title>`` and ``<desc>`` for screen readers, and
the page prints the same figures in a table.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from hub.cases import MonthFigures

#: Drawing sizes, in SVG user units (the SVG scales to the page's width).
_PLOT_HEIGHT = 160
_MARGIN_TOP = 28
_MARGIN_BOTTOM = 28
_MARGIN_LEFT = 36
_GROUP_WIDTH = 44
_BAR_WIDTH = 16
_ROW_HEIGHT = 26
_LABEL_WIDTH = 230
_BAR_MAX_WIDTH = 320
_VALUE_WIDTH = 48


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def month_chart(months: Sequence[MonthFigures], *, chart_id: str, title: str) -> Markup:
    """Opened and closed cases per month: two bars per month, oldest month first."""
    top = max([1, *(m.opened for m in months), *(m.closed for m in months)])
    width = _MARGIN_LEFT + _GROUP_WIDTH * len(months) + 8
    height = _MARGIN_TOP + _PLOT_HEIGHT + _MARGIN_BOTTOM
    base = _MARGIN_TOP + _PLOT_HEIGHT
    parts = [
        _open_svg(chart_id, width, height, title, _month_desc(months)),
        _text(_MARGIN_LEFT, 14, "открыто", "chart-legend chart-legend-opened"),
        _text(_MARGIN_LEFT + 80, 14, "снято с учёта", "chart-legend chart-legend-closed"),
        f'<line class="chart-axis" x1="{_MARGIN_LEFT}" y1="{base}" x2="{width}" y2="{base}"/>',
        _text(_MARGIN_LEFT - 6, base, "0", "chart-tick", anchor="end"),
        _text(_MARGIN_LEFT - 6, _MARGIN_TOP + 4, str(top), "chart-tick", anchor="end"),
    ]
    for index, month in enumerate(months):
        x = _MARGIN_LEFT + index * _GROUP_WIDTH + 4
        for offset, value, kind in (
            (0, month.opened, "opened"),
            (_BAR_WIDTH, month.closed, "closed"),
        ):
            bar_height = round(_PLOT_HEIGHT * value / top)
            parts.append(
                f'<rect class="chart-bar chart-bar-{kind}" x="{x + offset}" '
                f'y="{base - bar_height}" width="{_BAR_WIDTH}" height="{bar_height}">'
                f"<title>{escape(month.month)}: {value}</title></rect>"
            )
            if value:
                middle = x + offset + _BAR_WIDTH / 2
                parts.append(
                    _text(middle, base - bar_height - 3, str(value), "chart-value", anchor="middle")
                )
        year, number = month.month.split("-")
        parts.append(
            _text(x + _BAR_WIDTH, base + 16, f"{number}.{year[2:]}", "chart-label", anchor="middle")
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str) -> Markup:
    """One horizontal bar per item, labelled, with its value at the end."""
    top = max([1, *(b.value for b in bars)])
    width = _LABEL_WIDTH + _BAR_MAX_WIDTH + _VALUE_WIDTH
    height = max(1, len(bars)) * _ROW_HEIGHT + 8
    desc = "; ".join(f"{b.label}: {b.value}" for b in bars) or "нет данных"
    parts = [_open_svg(chart_id, width, height, title, desc)]
    for index, bar in enumerate(bars):
        y = 4 + index * _ROW_HEIGHT
        bar_width = round(_BAR_MAX_WIDTH * bar.value / top)
        parts += [
            _text(_LABEL_WIDTH - 8, y + 16, bar.label, "chart-label", anchor="end"),
            f'<rect class="chart-bar" x="{_LABEL_WIDTH}" y="{y + 3}" width="{bar_width}" '
            f'height="{_ROW_HEIGHT - 8}"><title>{escape(bar.label)}: {bar.value}</title></rect>',
            _text(_LABEL_WIDTH + bar_width + 6, y + 16, str(bar.value), "chart-value"),
        ]
    if not bars:
        parts.append(_text(8, 18, "нет данных", "chart-label"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def _open_svg(chart_id: str, width: int, height: int, title: str, desc: str) -> str:
    ident = escape(chart_id)
    return (
        f'<svg class="chart" id="{ident}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
    )


def _month_desc(months: Sequence[MonthFigures]) -> str:
    return "; ".join(f"{m.month}: открыто {m.opened}, снято {m.closed}" for m in months)


def _text(x: float, y: float, text: str, css_class: str, *, anchor: str = "start") -> str:
    return (
        f'<text class="{css_class}" x="{x:g}" y="{y:g}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


@dataclass(frozen=True)
class Series:
    """One named row of counts, aligned with the chart's columns."""

    label: str
    counts: Sequence[int]


#: Series colours cycle through this many classes (``chart-series-0`` … in charts.css).
SERIES_COLOURS = 6
_HOUR_WIDTH = 18


def hourly_chart(
    hours: Sequence[str], series: Sequence[Series], *, chart_id: str, title: str
) -> Markup:
    """Stacked columns, one per hour (labelled by ``hours``), one colour per series.

    The legend follows the SVG as an HTML list: its entries wrap to the page's width,
    where texts placed in the SVG overlapped once names were longer than their slot.
    """
    totals = [sum(s.counts[i] for s in series) for i in range(len(hours))]
    top = max([1, *totals])
    width = _MARGIN_LEFT + _HOUR_WIDTH * len(hours) + 8
    height = _MARGIN_TOP + _PLOT_HEIGHT + _MARGIN_BOTTOM
    base = _MARGIN_TOP + _PLOT_HEIGHT
    desc = "; ".join(f"{s.label}: {sum(s.counts)}" for s in series) or "нет данных"
    parts = [
        _open_svg(chart_id, width, height, title, desc),
        f'<line class="chart-axis" x1="{_MARGIN_LEFT}" y1="{base}" x2="{width}" y2="{base}"/>',
        _text(_MARGIN_LEFT - 6, base, "0", "chart-tick", anchor="end"),
        _text(_MARGIN_LEFT - 6, _MARGIN_TOP + 4, str(top), "chart-tick", anchor="end"),
    ]
    for column, hour in enumerate(hours):
        x = _MARGIN_LEFT + column * _HOUR_WIDTH + 2
        stacked = 0
        for index, one in enumerate(series):
            value = one.counts[column]
            if not value:
                continue
            bar_height = round(_PLOT_HEIGHT * value / top)
            stacked_height = round(_PLOT_HEIGHT * stacked / top)
            parts.append(
                f'<rect class="chart-bar chart-series-{index % SERIES_COLOURS}" x="{x}" '
                f'y="{base - stacked_height - bar_height}" width="{_HOUR_WIDTH - 4}" '
                f'height="{bar_height}"><title>{escape(hour)} {escape(one.label)}: {value}'
                "</title></rect>"
            )
            stacked += value
        if column % 3 == 0:
            parts.append(
                _text(x + (_HOUR_WIDTH - 4) / 2, base + 16, hour, "chart-label", anchor="middle")
            )
    if not series:
        parts.append(_text(_MARGIN_LEFT + 8, _MARGIN_TOP + 18, "нет данных", "chart-label"))
    parts.append("</svg>")
    parts.append(_legend(series))
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def _legend(series: Sequence[Series]) -> str:
    """The series' names beside their colours, as a list the page lays out."""
    if not series:
        return ""
    entries = "".join(
        f'<li class="chart-key"><span class="chart-swatch chart-series-{index % SERIES_COLOURS}">'
        f"</span>{escape(one.label)}</li>"
        for index, one in enumerate(series)
    )
    return f'<ul class="chart-keys">{entries}</ul>'
