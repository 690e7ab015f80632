"""Runs in the shop's own time: DST gaps and overlaps, weekly and monthly repeats, month ends, the end date."""

from __future__ import annotations

import datetime as dt

import pytest

from mcrm.promotions.models import Promotion, Repeat
from mcrm.promotions.schedule import LocalTimeError, local_to_utc, next_run_after
from tenants.models import Tenant

NEW_YORK = Tenant(timezone="America/New_York")
SHANGHAI = Tenant(timezone="Asia/Shanghai")
UTC = dt.UTC


def _runs(tenant: Tenant, promotion: Promotion, count: int) -> list[dt.datetime]:
    runs, at = [], promotion.send_at
    for _ in range(count):
        runs.append(at)
        at = next_run_after(tenant, promotion, at)
    return runs


def test_a_local_time_becomes_utc(ctx):
    assert local_to_utc(SHANGHAI, dt.datetime(2026, 11, 24, 10, 0)) == dt.datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_a_time_the_clocks_skip_is_refused(ctx):
    with pytest.raises(LocalTimeError, match="does not exist in America/New_York"):
        local_to_utc(NEW_YORK, dt.datetime(2026, 3, 8, 2, 30))


def test_a_time_that_happens_twice_is_the_first(ctx):
    # 01:30 on 1 November 2026 happens in EDT (UTC-4) and again in EST (UTC-5).
    assert local_to_utc(NEW_YORK, dt.datetime(2026, 11, 1, 1, 30)) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_weekly_keeps_the_local_clock_across_the_autumn_change():
    first = dt.datetime(2026, 10, 26, 14, 0, tzinfo=UTC)  # Monday 10:00 EDT
    promotion = Promotion(send_at=first, repeat=Repeat.WEEKLY)
    assert _runs(NEW_YORK, promotion, 3) == [
        first,
        dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC),  # Monday 10:00 EST
        dt.datetime(2026, 11, 9, 15, 0, tzinfo=UTC),
    ]


def test_weekly_keeps_the_local_clock_across_the_spring_change():
    first = dt.datetime(2027, 3, 8, 15, 0, tzinfo=UTC)  # Monday 10:00 EST; clocks go forward on 14 March
    promotion = Promotion(send_at=first, repeat=Repeat.WEEKLY)
    assert _runs(NEW_YORK, promotion, 2)[1] == dt.datetime(2027, 3, 15, 14, 0, tzinfo=UTC)


def test_weekly_after_a_long_pause_is_the_next_week_to_come():
    promotion = Promotion(send_at=dt.datetime(2026, 1, 5, 2, 0, tzinfo=UTC), repeat=Repeat.WEEKLY)
    after = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday
    assert next_run_after(SHANGHAI, promotion, after) == dt.datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_monthly_on_the_31st_falls_on_each_months_last_day():
    first = dt.datetime(2028, 1, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    promotion = Promotion(send_at=first, repeat=Repeat.MONTHLY)
    days = [run.date() for run in _runs(SHANGHAI, promotion, 5)]
    assert days == [dt.date(2028, 1, 31), dt.date(2028, 2, 29), dt.date(2028, 3, 31), dt.date(2028, 4, 30),
                    dt.date(2028, 5, 31)]  # fmt: skip


def test_monthly_in_a_common_year_and_across_dst():
    first = dt.datetime(2027, 1, 29, 15, 0, tzinfo=UTC)  # 10:00 EST
    promotion = Promotion(send_at=first, repeat=Repeat.MONTHLY)
    assert _runs(NEW_YORK, promotion, 4)[1:] == [
        dt.datetime(2027, 2, 28, 15, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 29, 14, 0, tzinfo=UTC),  # 10:00 EDT
        dt.datetime(2027, 4, 29, 14, 0, tzinfo=UTC),
    ]


def test_no_run_after_the_end_date_nor_for_a_one_off():
    first = dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    weekly = Promotion(send_at=first, repeat=Repeat.WEEKLY, repeat_until=first + dt.timedelta(days=10))
    assert next_run_after(SHANGHAI, weekly, first) == first + dt.timedelta(days=7)
    assert next_run_after(SHANGHAI, weekly, first + dt.timedelta(days=7)) is None
    assert next_run_after(SHANGHAI, Promotion(send_at=first, repeat=Repeat.NONE), first) is None
