"""Who a rule greets on a shop-local day: birthdays (solar, lunar, 29 February), anniversaries, holidays,
special days; never a member who opted out, never another shop's."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mcrm.care.audience import audience, occurs
from mcrm.care.models import GreetingKind
from mcrm.care.send import due_count, preview_members
from mcrm.db import db
from mcrm.members.models import Member
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.care import add_member, add_rule


@pytest.fixture
def tenant(ctx, shop_a, shop_b):
    """Shop A (Asia/Shanghai); shop B has a member with every birthday the tests look for."""
    with scoped_to(shop_b.tenant.id):
        other = db.get(Tenant, shop_b.tenant.id)
        add_member(other, "+8613800000001", "Other", birthday_month=9, birthday_day=15)
        add_member(other, "+8613800000002", "Other lunar", birthday_month=8, birthday_day=15, birthday_lunar=True)
        db.commit()
    with scoped_to(shop_a.tenant.id):
        yield db.get(Tenant, shop_a.tenant.id)


def _greeted(tenant, rule, day) -> set[str]:
    ids = db.scalars(audience(tenant, rule, day)).all()
    return set(db.scalars(select(Member.name).where(Member.id.in_(ids))))


def test_solar_birthdays_on_the_day_and_days_before(tenant):
    add_member(tenant, "+8613900000001", "Ann", birthday_month=9, birthday_day=15, birthday_year=1990)
    add_member(tenant, "+8613900000002", "Bo", birthday_month=9, birthday_day=16)
    add_member(tenant, "+8613900000003", "No birthday")
    on_the_day = add_rule(tenant, GreetingKind.BIRTHDAY)
    week_before = add_rule(tenant, GreetingKind.BIRTHDAY, days_before=7)
    assert _greeted(tenant, on_the_day, dt.date(2027, 9, 15)) == {"Ann"}
    assert _greeted(tenant, on_the_day, dt.date(2027, 9, 16)) == {"Bo"}
    assert _greeted(tenant, week_before, dt.date(2027, 9, 8)) == {"Ann"}
    assert _greeted(tenant, week_before, dt.date(2027, 9, 15)) == set()


def test_lunar_birthdays_fall_on_their_solar_day_of_the_year(tenant):
    add_member(tenant, "+8613900000001", "Mid-Autumn", birthday_month=8, birthday_day=15, birthday_lunar=True)
    add_member(tenant, "+8613900000002", "Solar 8/15", birthday_month=8, birthday_day=15)
    add_member(tenant, "+8613900000003", "Lunar 12/30", birthday_month=12, birthday_day=30, birthday_lunar=True)
    add_member(tenant, "+8613900000004", "Lunar 12/29", birthday_month=12, birthday_day=29, birthday_lunar=True)
    rule = add_rule(tenant, GreetingKind.BIRTHDAY)
    assert _greeted(tenant, rule, dt.date(2027, 9, 15)) == {"Mid-Autumn"}
    assert _greeted(tenant, rule, dt.date(2027, 8, 15)) == {"Solar 8/15"}
    # Lunar 2027's 12th month has no 30th: both are greeted on its 29th.
    assert _greeted(tenant, rule, dt.date(2028, 1, 25)) == {"Lunar 12/30", "Lunar 12/29"}


def test_a_lunar_birthday_in_a_year_with_that_leap_month_is_greeted_once(tenant):
    add_member(tenant, "+8613900000001", "Lunar 6/10", birthday_month=6, birthday_day=10, birthday_lunar=True)
    rule = add_rule(tenant, GreetingKind.BIRTHDAY)
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    assert [day for day in days if _greeted(tenant, rule, day)] == [dt.date(2025, 7, 4)]


def test_a_29_february_birthday_is_greeted_on_the_28th_in_other_years(tenant):
    add_member(tenant, "+8613900000001", "Leap", birthday_month=2, birthday_day=29)
    add_member(tenant, "+8613900000002", "Feb 28", birthday_month=2, birthday_day=28)
    rule = add_rule(tenant, GreetingKind.BIRTHDAY)
    assert _greeted(tenant, rule, dt.date(2027, 2, 28)) == {"Leap", "Feb 28"}
    assert _greeted(tenant, rule, dt.date(2027, 3, 1)) == set()
    assert _greeted(tenant, rule, dt.date(2028, 2, 28)) == {"Feb 28"}
    assert _greeted(tenant, rule, dt.date(2028, 2, 29)) == {"Leap"}


def test_anniversaries_count_from_the_shop_local_day_they_joined(tenant):
    # 2025-06-09 17:00 UTC is 2025-06-10 01:00 in Shanghai.
    add_member(tenant, "+8613900000001", "Late night", joined_at=dt.datetime(2025, 6, 9, 17, tzinfo=dt.UTC))
    add_member(tenant, "+8613900000002", "Morning", joined_at=dt.datetime(2025, 6, 9, 1, tzinfo=dt.UTC))
    add_member(tenant, "+8613900000003", "Long ago", joined_at=dt.datetime(2021, 6, 10, 3, tzinfo=dt.UTC))
    add_member(tenant, "+8613900000004", "New", joined_at=dt.datetime(2027, 6, 10, 3, tzinfo=dt.UTC))
    add_member(tenant, "+8613900000005", "Leap", joined_at=dt.datetime(2024, 2, 29, 3, tzinfo=dt.UTC))
    rule = add_rule(tenant, GreetingKind.ANNIVERSARY)
    # Not on the day they joined: a year at least.
    assert _greeted(tenant, rule, dt.date(2027, 6, 10)) == {"Late night", "Long ago"}
    assert _greeted(tenant, rule, dt.date(2027, 6, 9)) == {"Morning"}
    assert _greeted(tenant, rule, dt.date(2028, 6, 10)) == {"Late night", "Long ago", "New"}
    assert _greeted(tenant, rule, dt.date(2024, 2, 29)) == set()
    assert _greeted(tenant, rule, dt.date(2025, 2, 28)) == {"Leap"}
    assert _greeted(tenant, rule, dt.date(2028, 2, 29)) == {"Leap"}
    assert _greeted(tenant, rule, dt.date(2028, 2, 28)) == set()


def test_holidays_greet_everyone_on_their_day(tenant):
    add_member(tenant, "+8613900000001", "Ann")
    add_member(tenant, "+8613900000002", "Bo")
    spring = add_rule(tenant, GreetingKind.HOLIDAY, holiday_key="Chinese New Year (Spring Festival)")
    lantern = add_rule(tenant, GreetingKind.HOLIDAY, holiday_key="Lantern Festival")
    eve = add_rule(tenant, GreetingKind.HOLIDAY, holiday_key="Mid-Autumn Festival", days_before=1)
    assert _greeted(tenant, spring, dt.date(2027, 2, 6)) == {"Ann", "Bo"}
    assert not occurs(tenant, spring, dt.date(2027, 2, 7))  # the holiday's first day only
    assert _greeted(tenant, spring, dt.date(2027, 2, 7)) == set()
    assert occurs(tenant, spring, dt.date(2028, 1, 26))
    assert occurs(tenant, lantern, dt.date(2027, 2, 20))
    assert occurs(tenant, eve, dt.date(2027, 9, 14)) and not occurs(tenant, eve, dt.date(2027, 9, 15))


def test_special_days_once_or_every_year(tenant):
    add_member(tenant, "+8613900000001", "Ann")
    opening = add_rule(tenant, GreetingKind.SPECIAL_DAY, special_month=5, special_day=18)
    once = add_rule(tenant, GreetingKind.SPECIAL_DAY, special_month=12, special_day=1, special_year=2027)
    leap = add_rule(tenant, GreetingKind.SPECIAL_DAY, special_month=2, special_day=29)
    assert occurs(tenant, opening, dt.date(2027, 5, 18)) and occurs(tenant, opening, dt.date(2028, 5, 18))
    assert not occurs(tenant, opening, dt.date(2027, 5, 19))
    assert _greeted(tenant, opening, dt.date(2027, 5, 18)) == {"Ann"}
    assert occurs(tenant, once, dt.date(2027, 12, 1)) and not occurs(tenant, once, dt.date(2028, 12, 1))
    assert occurs(tenant, leap, dt.date(2027, 2, 28)) and not occurs(tenant, leap, dt.date(2028, 2, 28))
    assert occurs(tenant, leap, dt.date(2028, 2, 29))


def test_members_who_opted_out_are_never_greeted(tenant):
    gone = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    add_member(tenant, "+8613900000001", "Stays", birthday_month=9, birthday_day=15)
    add_member(tenant, "+8613900000002", "Gone", birthday_month=9, birthday_day=15, opted_out_at=gone)
    birthday = add_rule(tenant, GreetingKind.BIRTHDAY)
    holiday = add_rule(tenant, GreetingKind.HOLIDAY, holiday_key="Mid-Autumn Festival")
    assert _greeted(tenant, birthday, dt.date(2027, 9, 15)) == {"Stays"}
    assert _greeted(tenant, holiday, dt.date(2027, 9, 15)) == {"Stays"}


def test_the_portal_counts_and_previews_who_is_due(tenant):
    for n in range(3):
        add_member(tenant, f"+861390000000{n}", f"Member {n}", birthday_month=9, birthday_day=15)
    rule = add_rule(tenant, GreetingKind.BIRTHDAY)
    assert due_count(tenant, rule, dt.date(2027, 9, 15)) == 3
    assert [m.name for m in preview_members(tenant, rule, dt.date(2027, 9, 15), 2)] == ["Member 0", "Member 1"]
    assert due_count(tenant, rule, dt.date(2027, 9, 14)) == 0
