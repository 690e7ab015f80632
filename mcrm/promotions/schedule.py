"""When a promotion runs, in the shop's timezone.

A date and time the owner picks is a wall-clock time in the shop's zone. Twice a year one of those does not
exist (clocks go forward: 02:30 on a spring morning in New York) and one exists twice (clocks go back:
01:30 on an autumn morning). `local_to_utc` refuses the first with a clear error and takes the earlier of
the two for the second (zoneinfo's fold=0), which is what a person reading the clock at the start of that
hour means. A repeat keeps the local clock time of the first run: a weekly 10:00 promotion stays at 10:00
across a DST change; an occurrence that falls into a gap runs with the offset before it (zoneinfo's fold=0:
02:30 in the gap is sent at 03:30 local).
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from mcrm.promotions.models import Promotion, Repeat
from tenants.models import Tenant


class LocalTimeError(ValueError):
    """A wall-clock time that does not exist in the shop's timezone (clocks went forward over it)."""


def local_to_utc(tenant: Tenant, local: dt.datetime) -> dt.datetime:
    """The UTC instant of a naive shop-local time; LocalTimeError when the clocks skip it."""
    if local.tzinfo is not None:
        raise ValueError("local_to_utc takes a naive shop-local time")
    zone = ZoneInfo(tenant.timezone)
    # fold=0: of a time that happens twice, the earlier; a time in a gap does not survive a round trip.
    earlier = local.replace(tzinfo=zone, fold=0)
    if earlier.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise LocalTimeError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks go forward over it. Choose another time.",
                time=local.strftime("%Y-%m-%d %H:%M"),
                zone=tenant.timezone,
            )
        )
    return earlier.astimezone(dt.UTC)


def _at(zone: ZoneInfo, day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)


def _month_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_run_after(tenant: Tenant, promotion: Promotion, after: dt.datetime) -> dt.datetime | None:
    """The first run of a repeating promotion strictly after `after` (UTC), or None (no repeat, or past
    `repeat_until`)."""
    if promotion.repeat == Repeat.NONE or promotion.send_at is None:
        return None
    zone = ZoneInfo(tenant.timezone)
    first = promotion.send_at.astimezone(zone)
    clock = first.time().replace(tzinfo=None, fold=0)
    after_day = after.astimezone(zone).date()
    if promotion.repeat == Repeat.WEEKLY:
        # Start a week before `after`'s local day (never before the first run) and step forward.
        weeks = max(0, (after_day - first.date()).days // 7 - 1)
        candidates = (first.date() + dt.timedelta(weeks=weeks + n) for n in range(4))
    else:
        months = max(0, (after_day.year - first.year) * 12 + after_day.month - first.month - 1)
        candidates = (
            _month_day(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, first.day)
            for m in range(months, months + 4)
        )
    for day in candidates:
        at = _at(zone, day, clock)
        if at > after:
            if promotion.repeat_until is not None and at > promotion.repeat_until:
                return None
            return at
    raise AssertionError("unreachable: four periods always pass `after`")
