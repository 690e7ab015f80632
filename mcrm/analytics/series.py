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
    """Revenue of counted purchases in the `weeks` weeks up to the one holding `last_day`, keyed by Monday.

    Each week is its own range sum in one statement: the bounds are the shop's local midnights (worked out
    here, exact across a daylight-saving change), so the database reads each week's purchases by index
    instead of converting every row's time to the shop's zone to bucket it."""
    last_monday = last_day - dt.timedelta(days=last_day.weekday())
    mondays = [last_monday - dt.timedelta(weeks=weeks - 1 - w) for w in range(weeks)]
    sums = [
        # Rounded in SQL: SQLite sums amounts as floats.
        select(func.round(func.sum(Purchase.amount), 2))
        .where(*counted_purchases(tenant, Period.between(tenant.timezone, monday, monday + dt.timedelta(days=6))))
        .scalar_subquery()
        for monday in mondays
    ]
    totals = db.execute(select(*sums)).one()
    cent = Decimal("0.01")
    return [(monday, Decimal(str(total or 0)).quantize(cent)) for monday, total in zip(mondays, totals, strict=True)]


def _local_date(moment: ColumnElement, period: Period) -> ColumnElement:
    """The shop-calendar date of `moment`, a UTC timestamp."""
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(period.zone, moment), Date)
    return func.date(moment, _sqlite_shift(period))


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
