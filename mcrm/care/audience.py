"""Who a greeting rule greets on a shop-local day, as SQL over the members table (never a loop over members).

A rule sends on day D for the occasion on D + days_before (the target). Birthdays and anniversaries are
matched per member; holidays and special days greet every member, on the days they occur. Everyone greeted
is a member of the shop who has not opted out. The statements are Core-level: `tenant_id` is filtered
explicitly, since the tenant hook does not scope them.
"""

from __future__ import annotations

import calendar as solar_calendar
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from mcrm.care.calendar import holiday_date, lunar_birthdays_on, solar_birthday
from mcrm.care.models import GreetingKind, GreetingRule
from mcrm.db import db
from mcrm.members.models import Member
from tenants.models import Tenant


def target_day(rule: GreetingRule, day: dt.date) -> dt.date:
    """The occasion a rule greets when it sends on `day`: `days_before` later."""
    return day + dt.timedelta(days=rule.days_before or 0)


def special_date(rule: GreetingRule, year: int) -> dt.date | None:
    """The shop's special day in `year` (29 February on the 28th in other years), or None."""
    if rule.special_month is None or rule.special_day is None:
        return None
    if rule.special_year is not None and rule.special_year != year:
        return None
    return solar_birthday(rule.special_month, rule.special_day, False, year)


def occurs(tenant: Tenant, rule: GreetingRule, day: dt.date) -> bool:
    """Whether the rule has an occasion to send for on shop-local `day`."""
    target = target_day(rule, day)
    if rule.kind == GreetingKind.HOLIDAY:
        return bool(rule.holiday_key) and holiday_date(tenant.country, rule.holiday_key, target.year) == target
    if rule.kind == GreetingKind.SPECIAL_DAY:
        return special_date(rule, target.year) == target
    return True  # birthdays and anniversaries: every day is someone's, the audience decides


def birthday_clause(target: dt.date) -> ColumnElement[bool]:
    """Members whose birthday, solar or lunar, falls on `target`."""
    dates = [(target.month, target.day, False)]
    if (target.month, target.day) == (2, 28) and not solar_calendar.isleap(target.year):
        dates.append((2, 29, False))
    dates += [(month, day, True) for month, day in lunar_birthdays_on(target)]
    return or_(
        *(
            and_(Member.birthday_lunar.is_(lunar), Member.birthday_month == month, Member.birthday_day == day)
            for month, day, lunar in dates
        )
    )


def _local_day(zone: ZoneInfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def anniversary_clause(tenant: Tenant, target: dt.date) -> ColumnElement[bool]:
    """Members who joined on `target`'s month and day (shop-local) in an earlier year.

    One UTC range per past year since the shop's first member, so the index on (tenant_id, joined_at)
    answers it on both databases; those who joined on 29 February are greeted on the 28th in other years.
    """
    first = db.scalar(select(func.min(Member.joined_at)).where(Member.tenant_id == tenant.id))
    if first is None:
        return false()
    zone = ZoneInfo(tenant.timezone)
    leap_day_too = (target.month, target.day) == (2, 28) and not solar_calendar.isleap(target.year)
    ranges = []
    for year in range(first.astimezone(zone).year, target.year):
        days = []
        if (target.month, target.day) != (2, 29) or solar_calendar.isleap(year):
            days.append(dt.date(year, target.month, target.day))
        if leap_day_too and solar_calendar.isleap(year):
            days.append(dt.date(year, 2, 29))
        for day in days:
            start, end = _local_day(zone, day)
            ranges.append(and_(Member.joined_at >= start, Member.joined_at < end))
    return or_(*ranges) if ranges else false()


def audience_clause(tenant: Tenant, rule: GreetingRule, day: dt.date) -> ColumnElement[bool]:
    """The condition on `Member` for the members `rule` greets when it sends on `day`."""
    if not occurs(tenant, rule, day):
        return false()
    target = target_day(rule, day)
    if rule.kind == GreetingKind.BIRTHDAY:
        occasion = birthday_clause(target)
    elif rule.kind == GreetingKind.ANNIVERSARY:
        occasion = anniversary_clause(tenant, target)
    else:
        occasion = true()
    return and_(Member.tenant_id == tenant.id, Member.opted_out_at.is_(None), occasion)


def audience(tenant: Tenant, rule: GreetingRule, day: dt.date) -> Select:
    """SELECT members.id of everyone `rule` greets when it sends on shop-local `day`."""
    return select(Member.id).where(audience_clause(tenant, rule, day))
