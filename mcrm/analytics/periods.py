"""Stretches of the shop's own calendar (today, this week, this month, a range) as UTC instants."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from zoneinfo import ZoneInfo


class PeriodKind(enum.StrEnum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """Whole local days from `first_day` to `last_day` (both included), in the shop's timezone.

    `start` and `end` are the UTC instants of the first day's local midnight and of the midnight after
    the last day: queries ask `start <= t < end`, so 23:59:59 local on the last day counts and the next
    midnight does not. Days are built from local midnights, so a day with a DST change is 23 or 25 hours.
    """

    kind: PeriodKind
    zone: str
    first_day: dt.date
    last_day: dt.date

    @classmethod
    def today(cls, zone: str, now: dt.datetime) -> Period:
        day = _local_date(zone, now)
        return cls(PeriodKind.TODAY, zone, day, day)

    @classmethod
    def this_week(cls, zone: str, now: dt.datetime) -> Period:
        """Monday to Sunday, the week as ISO 8601 and Chinese calendars count it."""
        today = _local_date(zone, now)
        monday = today - dt.timedelta(days=today.weekday())
        return cls(PeriodKind.WEEK, zone, monday, monday + dt.timedelta(days=6))

    @classmethod
    def this_month(cls, zone: str, now: dt.datetime) -> Period:
        first = _local_date(zone, now).replace(day=1)
        return cls(PeriodKind.MONTH, zone, first, _month_end(first))

    @classmethod
    def between(cls, zone: str, first_day: dt.date, last_day: dt.date) -> Period:
        if last_day < first_day:
            raise ValueError("a period cannot end before it starts")
        return cls(PeriodKind.RANGE, zone, first_day, last_day)

    @property
    def start(self) -> dt.datetime:
        return _midnight(self.zone, self.first_day)

    @property
    def end(self) -> dt.datetime:
        return _midnight(self.zone, self.last_day + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> Period:
        """The period to compare with: yesterday, last week, last calendar month, or for a range the
        same number of days just before it."""
        if self.kind is PeriodKind.MONTH:
            first = (self.first_day - dt.timedelta(days=1)).replace(day=1)
            return Period(self.kind, self.zone, first, _month_end(first))
        shift = dt.timedelta(days=self.days)
        return Period(self.kind, self.zone, self.first_day - shift, self.last_day - shift)


def _local_date(zone: str, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(zone)).date()


def _midnight(zone: str, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def _month_end(first: dt.date) -> dt.date:
    # Day 28 plus four days is always in the next month, whatever this month's length.
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
