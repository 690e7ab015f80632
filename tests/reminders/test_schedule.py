"""When a reminder comes: each repeat in the shop's timezone, month ends, 29 February, DST, cron."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mcrm.reminders.models import Reminder, ReminderRepeat
from mcrm.reminders.schedule import CronError, cron_trigger, next_after, next_times, wall_to_utc
from tenants.models import Tenant

SHANGHAI = Tenant(timezone="Asia/Shanghai")
NEW_YORK = Tenant(timezone="America/New_York")


def reminder(tenant: Tenant, local: dt.datetime, repeat: ReminderRepeat, cron: str | None = None) -> Reminder:
    return Reminder(first_at=wall_to_utc(ZoneInfo(tenant.timezone), local), repeat=repeat, cron=cron)


def local_times(tenant: Tenant, r: Reminder, after_local: dt.datetime, count: int) -> list[str]:
    zone = ZoneInfo(tenant.timezone)
    after = wall_to_utc(zone, after_local)
    return [t.astimezone(zone).strftime("%a %Y-%m-%d %H:%M") for t in next_times(tenant, r, after, count)]


def test_a_one_off_comes_once():
    r = reminder(SHANGHAI, dt.datetime(2027, 5, 1, 9), ReminderRepeat.NONE)
    assert next_after(SHANGHAI, r, r.first_at - dt.timedelta(seconds=1)) == r.first_at
    assert next_after(SHANGHAI, r, r.first_at) is None


def test_daily_and_weekly_keep_the_clock_time():
    daily = reminder(SHANGHAI, dt.datetime(2027, 5, 1, 9), ReminderRepeat.DAILY)
    assert local_times(SHANGHAI, daily, dt.datetime(2027, 5, 3, 9), 2) == [
        "Tue 2027-05-04 09:00",
        "Wed 2027-05-05 09:00",
    ]
    weekly = reminder(SHANGHAI, dt.datetime(2027, 5, 3, 9), ReminderRepeat.WEEKLY)  # a Monday
    assert local_times(SHANGHAI, weekly, dt.datetime(2027, 4, 1), 3) == [
        "Mon 2027-05-03 09:00",
        "Mon 2027-05-10 09:00",
        "Mon 2027-05-17 09:00",
    ]


def test_monthly_on_the_31st_comes_on_the_last_day_of_shorter_months():
    r = reminder(SHANGHAI, dt.datetime(2027, 1, 31, 18, 30), ReminderRepeat.MONTHLY)
    assert local_times(SHANGHAI, r, dt.datetime(2027, 1, 31, 19), 4) == [
        "Sun 2027-02-28 18:30",
        "Wed 2027-03-31 18:30",
        "Fri 2027-04-30 18:30",
        "Mon 2027-05-31 18:30",
    ]


def test_yearly_on_29_february_comes_on_28_february_in_other_years():
    r = reminder(SHANGHAI, dt.datetime(2028, 2, 29, 8), ReminderRepeat.YEARLY)
    assert local_times(SHANGHAI, r, dt.datetime(2028, 3, 1), 4) == [
        "Wed 2029-02-28 08:00",
        "Thu 2030-02-28 08:00",
        "Fri 2031-02-28 08:00",
        "Sun 2032-02-29 08:00",
    ]


def test_new_york_keeps_nine_oclock_across_the_spring_change():
    r = reminder(NEW_YORK, dt.datetime(2027, 3, 12, 9), ReminderRepeat.DAILY)
    times = next_times(NEW_YORK, r, r.first_at, 3)
    # 09:00 EST is 14:00 UTC; from 14 March 09:00 EDT is 13:00 UTC.
    assert [t.strftime("%d %H:%M") for t in times] == ["13 14:00", "14 13:00", "15 13:00"]


def test_a_time_the_clocks_skip_comes_at_the_next_minute_that_exists():
    r = reminder(NEW_YORK, dt.datetime(2027, 3, 13, 2, 30), ReminderRepeat.DAILY)
    assert local_times(NEW_YORK, r, dt.datetime(2027, 3, 13, 3), 2) == ["Sun 2027-03-14 03:00", "Mon 2027-03-15 02:30"]


def test_a_time_that_happens_twice_comes_once_at_the_first():
    r = reminder(NEW_YORK, dt.datetime(2027, 11, 6, 1, 30), ReminderRepeat.DAILY)
    times = next_times(NEW_YORK, r, r.first_at, 2)
    assert [t.strftime("%d %H:%M") for t in times] == ["07 05:30", "08 06:30"]  # 01:30 EDT, then 01:30 EST


def test_cron_weekdays_read_as_crontab_reads_them():
    r = reminder(NEW_YORK, dt.datetime(2027, 3, 1), ReminderRepeat.CRON, "0 9 * * 1-5")
    assert local_times(NEW_YORK, r, dt.datetime(2027, 3, 11, 12), 4) == [
        "Fri 2027-03-12 09:00",
        "Mon 2027-03-15 09:00",
        "Tue 2027-03-16 09:00",
        "Wed 2027-03-17 09:00",
    ]
    # Across the change the local hour holds: 14:00 UTC before, 13:00 UTC after.
    utc = next_times(NEW_YORK, r, dt.datetime(2027, 3, 12, tzinfo=dt.UTC), 2)
    assert [t.strftime("%d %H:%M") for t in utc] == ["12 14:00", "15 13:00"]


def test_cron_in_the_gap_and_the_doubled_hour():
    gap = reminder(NEW_YORK, dt.datetime(2027, 3, 1), ReminderRepeat.CRON, "30 2 * * *")
    assert local_times(NEW_YORK, gap, dt.datetime(2027, 3, 13, 12), 2) == [
        "Sun 2027-03-14 03:00",
        "Mon 2027-03-15 02:30",
    ]
    doubled = reminder(NEW_YORK, dt.datetime(2027, 3, 1), ReminderRepeat.CRON, "30 1 * * *")
    times = next_times(NEW_YORK, doubled, dt.datetime(2027, 11, 7, tzinfo=dt.UTC), 2)
    assert [t.strftime("%d %H:%M") for t in times] == ["07 05:30", "08 06:30"]


def test_cron_never_before_its_first_time():
    r = reminder(SHANGHAI, dt.datetime(2027, 6, 1), ReminderRepeat.CRON, "0 9 * * *")
    assert local_times(SHANGHAI, r, dt.datetime(2027, 1, 1), 1) == ["Tue 2027-06-01 09:00"]


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 9 * *", "has five fields"),
        ("61 9 * * *", "The minute field “61” is not valid"),
        ("0 25 * * *", "The hour field “25” is not valid"),
        ("0 9 * * 8", "The weekday field “8” is not valid"),
        ("0 9 * * L", "The weekday field “L” is not valid"),
        ("0 9 32 * *", "The day of the month field “32” is not valid"),
    ],
)
def test_a_bad_cron_expression_says_what_is_wrong(ctx, expression, words):
    with pytest.raises(CronError, match=words):
        cron_trigger(expression, "Asia/Shanghai")


def test_repeats_read_in_words(ctx):
    from flask_babel import force_locale

    from mcrm.reminders.forms import repeat_words

    cases = [
        (dt.datetime(2027, 5, 3, 9), ReminderRepeat.WEEKLY, None, "every Monday at 09:00"),
        (dt.datetime(2027, 5, 3, 9), ReminderRepeat.DAILY, None, "every day at 09:00"),
        (dt.datetime(2027, 1, 31, 9), ReminderRepeat.MONTHLY, None, "every month on day 31 at 09:00 (the last day"),
        (dt.datetime(2028, 2, 29, 9), ReminderRepeat.YEARLY, None, "every year on February 29 at 09:00 (28 February"),
        (dt.datetime(2027, 5, 3, 9), ReminderRepeat.CRON, "0 9 * * 1-5", "cron “0 9 * * 1-5”"),
        (dt.datetime(2027, 5, 3, 9), ReminderRepeat.NONE, None, "once"),
    ]
    with ctx.test_request_context(), force_locale("en"):
        for local, repeat, cron, words in cases:
            assert repeat_words(SHANGHAI, reminder(SHANGHAI, local, repeat, cron)).startswith(words)
