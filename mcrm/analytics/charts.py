"""The dashboard's charts as inline SVG drawn on the server by pygal: no JavaScript, readable on any browser.

Each chart is returned with the figures it draws, so the page can show them as a table beside it too
(for screen readers, and for anyone who wants the exact numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pygal
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

from mcrm.analytics import series
from mcrm.analytics.figures import MessageOutcomes
from mcrm.analytics.models import RfmClass
from mcrm.analytics.periods import Period
from mcrm.analytics.rfm_classes import CLASS_LABELS
from tenants.models import Tenant

# Chinese labels need a CJK font; the list falls back to whatever sans-serif the reader has.
FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
STYLE = Style(
    font_family=FONTS,
    background="transparent",
    plot_background="transparent",
    colors=("#2f6f9f", "#3c8d5a", "#c0392b", "#b7950b", "#7f8c8d"),
    title_font_size=20,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
)
# Past this many days, every day's label would overlap: only some are written.
MOST_DAY_LABELS = 10


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: Markup
    rows: list[tuple[str, str]]  # (label, value) of every bar, for the table beside the chart


def dashboard_charts(tenant: Tenant, period: Period, class_counts: dict, messages: MessageOutcomes) -> list[Chart]:
    """Every chart of the dashboard for the period (class counts and message outcomes already read)."""
    days = series.chart_period(period)
    return [
        _per_day("chart-new-members", _("New members per day"), series.new_members_per_day(tenant, days)),
        _per_day("chart-visits", _("Visits per day"), series.visits_per_day(tenant, days)),
        _revenue(series.revenue_per_week(tenant, period.last_day)),
        rfm_chart(class_counts),
        _messages(messages),
    ]


def rfm_chart(class_counts: dict[RfmClass, int]) -> Chart:
    labels = [str(CLASS_LABELS[c]) for c in RfmClass]
    values = [class_counts.get(c, 0) for c in RfmClass]
    return _bar("chart-rfm", _("Members per segment"), labels, values, [str(v) for v in values])


def _per_day(chart_id: str, title: str, points: list[tuple[dt.date, int]]) -> Chart:
    labels = [format_date(day, "short") for day, _count in points]
    values = [count for _day, count in points]
    return _bar(chart_id, title, labels, values, [str(v) for v in values], every=len(points) // MOST_DAY_LABELS + 1)


def _revenue(points) -> Chart:
    labels = [format_date(monday, "short") for monday, _total in points]
    values = [float(total) for _monday, total in points]
    shown = [format_decimal(total, "#,##0.00") for _monday, total in points]
    return _bar("chart-revenue", _("Revenue per week (weeks starting on)"), labels, values, shown)


def _messages(messages: MessageOutcomes) -> Chart:
    labels = [_("Sent"), _("Delivered"), _("Failed"), _("Waiting")]
    values = [messages.sent, messages.delivered, messages.failed, messages.pending]
    return _bar("chart-messages", _("Message outcomes"), labels, values, [str(v) for v in values])


def _bar(chart_id: str, title: str, labels: list[str], values: list, shown: list[str], every: int = 1) -> Chart:
    chart = pygal.Bar(
        title=title,
        style=STYLE,
        show_legend=False,
        disable_xml_declaration=True,
        js=[],  # no tooltips: the figures are in the table beside the chart
        height=360,
        x_label_rotation=-45 if every > 1 else 0,
        x_labels_major_every=every,
        show_minor_x_labels=every == 1,
        print_values=False,
        min_scale=1,
        no_data_text=_("No data"),
    )
    chart.x_labels = labels
    chart.add(title, values)
    return Chart(chart_id, title, Markup(chart.render(is_unicode=True)), list(zip(labels, shown, strict=True)))
