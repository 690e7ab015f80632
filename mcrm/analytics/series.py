"""The charts' data: figures per local day or week of the shop, each series one aggregate query.

Buckets are the shop's calendar days (and Monday-to-Sunday weeks), not UTC's: a purchase at 01:00 in
Shanghai belongs to that Shanghai day even though it is still the day before in UTC. Every day or week of
the range is present, with 0 when nothing happened, so a chart's x axis has no holes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from mcrm.analytics.figures import counted_purchases
from mcrm.analytics.periods import Period
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.points.models import Purchase
from tenants.models import Tenant

# A chart of one day would be a single bar: a day's dashboard charts the days leading up to it instead.
ONE_DAY_CHART_DAYS = 30
REVENUE_WEEKS = 12


def chart_period(period: Period) -> Period:
    """The days the per-day charts cover: the period, or for a single day the ONE_DAY_CHART_DAYS up to it."""
    if period.days > 1:
        return period
    first = period.last_day - dt.timedelta(days=ONE_DAY_CHART_DAYS - 1)
    return Period.between(period.zone, first, period.last_day)


def new_members_per_day(tenant: Tenant, period: Period) -> list[tuple[dt.date, int]]:
    day = _local_date(Member.joined_at, period)
    query = (
        select(day, func.count())
        .where(Member.tenant_id == tenant.id, Member.joined_at >= period.start, Member.joined_at < period.end)
        .group_by(day)
    )
    return _every_day(period, {_as_date(d): n for d, n in db.execute(query)}, 0)


def visits_per_day(tenant: Tenant, period: Period) -> list[tuple[dt.date, int]]:
    """Counted purchases per day (one purchase, one visit, as the dashboard's figures count them)."""
    day = _local_date(Purchase.occurred_at, period)
    query = select(day, func.count()).where(*counted_purchases(tenant, period)).group_by(day)
    return _every_day(period, {_as_date(d): n for d, n in db.execute(query)}, 0)


def revenue_per_week(tenant: Tenant, last_day: dt.date, weeks: int = REVENUE_WEEKS) -> list[tuple[dt.date, Decimal]]:
    """Revenue of counted purchases in the `weeks` weeks up to the one holding `last_day`, keyed by Monday."""
    last_monday = last_day - dt.timedelta(days=last_day.weekday())
    span = Period.between(tenant.timezone, last_monday - dt.timedelta(weeks=weeks - 1), last_monday + dt.timedelta(6))
    monday = _local_monday(Purchase.occurred_at, span)
    # Rounded in SQL: SQLite sums amounts as floats.
    query = (
        select(monday, func.round(func.sum(Purchase.amount), 2))
        .where(*counted_purchases(tenant, span))
        .group_by(monday)
    )
    totals = {_as_date(d): Decimal(str(total)) for d, total in db.execute(query)}
    return [(m, totals.get(m, Decimal("0.00"))) for m in (span.first_day + dt.timedelta(weeks=w) for w in range(weeks))]


def _local_date(moment: ColumnElement, period: Period) -> ColumnElement:
    """The shop-calendar date of `moment`, a UTC timestamp."""
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(period.zone, moment), Date)
    return func.date(moment, _sqlite_shift(period))


def _local_monday(moment: ColumnElement, period: Period) -> ColumnElement:
    """The Monday of the shop-calendar week of `moment`."""
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("week", func.timezone(period.zone, moment)), Date)
    # 'weekday 0' moves forward to Sunday (or stays on it); six days back is that week's Monday.
    return func.date(moment, _sqlite_shift(period), "weekday 0", "-6 days")


def _sqlite_shift(period: Period) -> str:
    # SQLite knows no time zones: shift by the shop's UTC offset at the end of the period, which is exact
    # except across a daylight-saving change inside it (an hour's shift at most; most shops have no DST).
    offset = period.end.astimezone(ZoneInfo(period.zone)).utcoffset()
    return f"{int(offset.total_seconds()):+d} seconds"


def _as_date(value) -> dt.date:
    # PostgreSQL answers dates, SQLite ISO strings.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _every_day(period: Period, values: dict, empty) -> list:
    days = (period.first_day + dt.timedelta(days=n) for n in range(period.days))
    return [(day, values.get(day, empty)) for day in days]
