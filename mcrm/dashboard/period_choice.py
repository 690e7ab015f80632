"""The period a dashboard visitor asked for in the query string, checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from mcrm.analytics.periods import Period, PeriodKind

PERIOD_LABELS = {
    PeriodKind.TODAY: _l("Today"),
    PeriodKind.WEEK: _l("This week"),
    PeriodKind.MONTH: _l("This month"),
    PeriodKind.RANGE: _l("Dates"),
}
PREVIOUS_LABELS = {
    PeriodKind.TODAY: _l("Yesterday"),
    PeriodKind.WEEK: _l("Last week"),
    PeriodKind.MONTH: _l("Last month"),
}
# Long enough for "this year so far"; a longer range is more likely a typo in the year.
LONGEST_RANGE_DAYS = 3 * 366


def period_from_args(args: Mapping[str, str], zone: str, now: dt.datetime) -> tuple[Period, str | None]:
    """The period asked for, or today with a message saying what was wrong with the dates."""
    kind = args.get("period", PeriodKind.TODAY.value)
    if kind == PeriodKind.WEEK:
        return Period.this_week(zone, now), None
    if kind == PeriodKind.MONTH:
        return Period.this_month(zone, now), None
    if kind != PeriodKind.RANGE:
        return Period.today(zone, now), None
    first, last = _date(args.get("from", "")), _date(args.get("to", ""))
    if first is None or last is None:
        error = _("Choose both dates, as YYYY-MM-DD.")
    elif last < first:
        error = _("The last day comes before the first day: swap them.")
    elif (last - first).days >= LONGEST_RANGE_DAYS:
        error = _("Choose at most three years.")
    else:
        return Period.between(zone, first, last), None
    return Period.today(zone, now), error


def previous_label(period: Period) -> str:
    """What the comparison figures under each tile are called: yesterday, last week, the 7 days before."""
    if period.kind is PeriodKind.RANGE:
        return ngettext("The day before", "The %(num)d days before", period.days)
    return str(PREVIOUS_LABELS[period.kind])


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None
