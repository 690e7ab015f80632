"""When a reminder is due, in the shop's timezone.

A repeat keeps the local clock time of the first time: a daily 09:00 reminder stays at 09:00 across a
daylight-saving change. Twice a year that clock time is odd: when the clocks go forward over it (02:30 on a
spring morning in New York) the reminder goes at the first minute that exists after the gap (03:00), and
when they go back (01:30 happens twice on an autumn morning) it goes once, at the first of the two.
A cron expression is read as crontab reads it (0 or 7 is Sunday, 1 is Monday), in the shop's timezone,
with the same rules for the gap and the doubled hour. As in APScheduler, and unlike some crontabs, a day of
the month and a weekday given together must both match.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from flask_babel import gettext as _

from mcrm.reminders.models import Reminder, ReminderRepeat
from tenants.models import Tenant

TICK = dt.timedelta(microseconds=1)
# Crontab weekday numbers (0 and 7 are Sunday) and names, as APScheduler 3 names them (it counts from Monday).
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
APS_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Cron times are searched forward from here; a shop-local clock time is checked at most this often.
CRON_SEARCH = 100


class CronError(ValueError):
    """A cron expression that cannot be read, said in words for the form."""


def wall_to_utc(zone: ZoneInfo, local: dt.datetime) -> dt.datetime:
    """The UTC instant of a naive local time: the first of a doubled time, the end of the gap for a skipped one."""
    instant = local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    minute = local
    # A skipped time does not survive the round trip: step to the first minute after it that does.
    while instant.astimezone(zone).replace(tzinfo=None) != minute:
        minute = minute.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        instant = minute.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    return instant


def _month_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _occurrence(first: dt.datetime, repeat: ReminderRepeat, n: int) -> dt.datetime:
    """The n-th local wall time of a repeat (n = 0 is the first); months and years keep the day or end early."""
    if repeat == ReminderRepeat.DAILY:
        day = first.date() + dt.timedelta(days=n)
    elif repeat == ReminderRepeat.WEEKLY:
        day = first.date() + dt.timedelta(weeks=n)
    elif repeat == ReminderRepeat.MONTHLY:
        months = first.month - 1 + n
        day = _month_day(first.year + months // 12, months % 12 + 1, first.day)
    else:
        day = _month_day(first.year + n, first.month, first.day)
    return dt.datetime.combine(day, first.time())


def _periods_before(first: dt.datetime, repeat: ReminderRepeat, local: dt.datetime) -> int:
    """How many whole periods of the repeat lie between `first` and `local`, less one (a safe start)."""
    if repeat == ReminderRepeat.DAILY:
        n = (local.date() - first.date()).days
    elif repeat == ReminderRepeat.WEEKLY:
        n = (local.date() - first.date()).days // 7
    elif repeat == ReminderRepeat.MONTHLY:
        n = (local.year - first.year) * 12 + local.month - first.month
    else:
        n = local.year - first.year
    return max(0, n - 1)


def _weekdays(field: str) -> str:
    """A crontab weekday field in APScheduler's words: names, so that 1 keeps meaning Monday."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for term in field.lower().split(","):
        base, _slash, step_text = term.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(term)
        if base == "*":
            first, last = 0, 6
        else:
            start, _dash, end = base.partition("-")
            first = _weekday_number(start)
            last = _weekday_number(end) if end else (6 if step else first)
            if last == 0 and end and first > 0:
                last = 7  # "5-7" or "fri-sun": to Sunday at the end of the week
        if first > last:
            raise ValueError(term)
        days.update(d % 7 for d in range(first, last + 1, step or 1))
    return ",".join(name for name in APS_WEEKDAYS if WEEKDAY_NAMES.index(name) in days)


def _weekday_number(text: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(text)
    raise ValueError(text)


def _field_words() -> tuple[tuple[str, str], ...]:
    """Each cron field's name and its values, for an error message."""
    return (
        (_("minute"), "0–59"),
        (_("hour"), "0–23"),
        (_("day of the month"), "1–31"),
        (_("month"), "1–12"),
        (_("weekday"), _("0–7 (0 and 7 are Sunday) or sun–sat")),
    )


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """The trigger of a five-field cron expression in `timezone`; CronError naming what is wrong."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(
            _(
                "A cron expression has five fields (minute hour day month weekday), separated by spaces; "
                "this one has %(num)d.",
                num=len(fields),
            )
        )
    minute, hour, day, month, weekday = fields
    try:
        weekday_names = _weekdays(weekday)
    except ValueError:
        weekday_names = None
    values = {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": weekday_names}
    for index, (part, value) in enumerate(values.items()):
        try:
            if value is None:
                raise ValueError(weekday)
            CronTrigger(**{part: value}, timezone=timezone)
        except ValueError:
            name, allowed = _field_words()[index]
            raise CronError(
                _(
                    "The %(field)s field “%(value)s” is not valid: use %(allowed)s, a range such as 1-5, "
                    "a list such as 1,15, a step such as */10, or *.",
                    field=name,
                    value=fields[index],
                    allowed=allowed,
                )
            ) from None
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday_names, timezone=timezone)


def next_cron_time(trigger: CronTrigger, zone: ZoneInfo, after: dt.datetime) -> dt.datetime | None:
    """The first cron time strictly after `after` (UTC), with the gap and doubled-hour rules; None if never."""
    probe = after
    for _attempt in range(CRON_SEARCH):
        fire = trigger.get_next_fire_time(None, (probe + TICK).astimezone(zone))
        if fire is None:
            return None
        # APScheduler reads a gap time with the old offset and fires a doubled time twice: go by the wall clock.
        at = wall_to_utc(zone, fire.replace(tzinfo=None, fold=0))
        if at > after:
            return at
        probe = max(probe + TICK, fire.astimezone(dt.UTC))
    return None


def next_after(tenant: Tenant, reminder: Reminder, after_utc: dt.datetime) -> dt.datetime | None:
    """The reminder's first due time strictly after `after_utc` (UTC), never before its first time; None when
    nothing more is due (a one-off whose time has passed, a cron expression that never matches again)."""
    first_at = reminder.first_at
    if reminder.repeat == ReminderRepeat.NONE:
        return first_at if first_at > after_utc else None
    zone = ZoneInfo(tenant.timezone)
    if after_utc < first_at:
        after_utc = first_at - TICK
    if reminder.repeat == ReminderRepeat.CRON:
        return next_cron_time(cron_trigger(reminder.cron or "", tenant.timezone), zone, after_utc)
    first = first_at.astimezone(zone).replace(tzinfo=None)
    n = _periods_before(first, reminder.repeat, after_utc.astimezone(zone).replace(tzinfo=None))
    while True:
        at = wall_to_utc(zone, _occurrence(first, reminder.repeat, n))
        if at > after_utc:
            return at
        n += 1


def next_times(tenant: Tenant, reminder: Reminder, after_utc: dt.datetime, count: int = 3) -> list[dt.datetime]:
    """The next `count` due times after `after_utc` (fewer when the reminder ends)."""
    times: list[dt.datetime] = []
    at = after_utc
    while len(times) < count:
        following = next_after(tenant, reminder, at)
        if following is None:
            break
        times.append(following)
        at = following
    return times
