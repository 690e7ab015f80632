"""Each condition against the hand-built members of conftest (read its table first), then AND/OR."""

from __future__ import annotations

import datetime as dt

import pytest

from mcrm.db import db
from mcrm.segments.compile import audience_query, count_audience, describe
from tests.segments.conftest import EVERYONE, NOW, one, who


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("gender", "is", "female", {"ann", "dan", "eve"}),
        ("gender", "is", "male", {"bob"}),
        ("gender", "is", "unknown", {"cat"}),
        # Today is 16 June in Shanghai: ann turns 25 today, bob tomorrow; cat (year only) counts as 24.
        ("age", "between", {"min": 25, "max": None}, {"ann", "dan"}),
        ("age", "between", {"min": 25, "max": 25}, {"ann"}),
        ("age", "between", {"min": 24, "max": 24}, {"bob", "cat"}),
        ("age", "between", {"min": None, "max": 24}, {"bob", "cat"}),
        ("age", "between", {"min": 30, "max": 40}, {"dan"}),
        ("birthday_month", "in", [6], {"ann", "bob"}),
        ("birthday_month", "in", [8, 12], {"dan"}),  # dan's is lunar: the stored month
        # Joined: shop-local days, both ends included; ann joined at local midnight of the 16th.
        ("joined", "between", {"from": "2025-06-16", "to": "2025-06-16"}, {"ann"}),
        ("joined", "between", {"from": "2025-06-15", "to": "2025-06-15"}, {"bob"}),
        ("joined", "between", {"from": None, "to": "2025-01-01"}, {"cat", "dan", "eve"}),
        ("joined", "between", {"from": "2024-06-16", "to": None}, {"ann", "bob", "cat", "dan"}),
        ("joined", "last_days", 1, {"ann"}),
        ("joined", "last_days", 2, {"ann", "bob"}),
        ("points", "gte", 500, {"ann", "dan"}),
        ("points", "lte", 499, {"bob", "cat", "eve"}),
        ("points", "between", {"min": 100, "max": 500}, {"bob", "dan", "eve"}),
        ("spend", "gte", "120.50", {"ann", "dan"}),
        ("spend", "lte", "120.49", {"bob", "cat", "eve"}),
        ("spend", "between", {"min": "120.49", "max": "120.5"}, {"ann", "bob"}),
        ("visits", "gte", 5, {"ann", "dan"}),
        ("visits", "lte", 1, {"bob", "cat"}),
        ("visits", "between", {"min": 2, "max": 5}, {"ann", "eve"}),
        # Days since the last visit, in shop days: ann 0, bob 1 (23:59 yesterday), dan 30, eve 31, cat never.
        ("days_since_visit", "gte", 30, {"dan", "eve"}),
        ("days_since_visit", "gte", 31, {"eve"}),
        ("days_since_visit", "gte", 0, {"ann", "bob", "dan", "eve"}),
        ("days_since_visit", "lte", 0, {"ann"}),
        ("days_since_visit", "lte", 1, {"ann", "bob"}),
        ("days_since_visit", "lte", 30, {"ann", "bob", "dan"}),
        ("days_since_visit", "never", None, {"cat"}),
        ("rfm", "in", ["champions", "at_risk"], {"ann", "dan"}),
        ("rfm", "in", ["lost"], {"bob"}),
        ("source", "in", ["sms", "portal"], {"ann", "bob"}),
        ("source", "in", ["api"], {"eve"}),
    ],
)
def test_each_condition_selects_exactly_the_matching_members(world, field, op, value, expected):
    assert who(world, one(field, op, value)) == expected


def test_tags(world):
    vip, regular = world.tags["VIP"], world.tags["Regular"]
    assert who(world, one("tag", "any", [vip])) == {"ann", "dan"}
    assert who(world, one("tag", "any", [vip, regular])) == {"ann", "bob", "dan"}
    assert who(world, one("tag", "none", [vip])) == {"bob", "cat", "eve"}
    assert who(world, one("tag", "none", [vip, regular])) == {"cat", "eve"}


def test_subscription_lists_count_only_who_is_still_on_them(world):
    assert who(world, one("list", "in", world.xp)) == {"ann"}  # bob left, olga opted out
    assert who(world, one("list", "not_in", world.xp)) == {"bob", "cat", "dan", "eve"}
    assert who(world, one("list", "in", world.news)) == {"dan"}


def test_app_used_and_not_used(world):
    assert who(world, one("app", "used", world.jg)) == {"ann"}
    assert who(world, one("app", "not_used", world.jg)) == {"bob", "cat", "dan", "eve"}
    assert who(world, one("app", "used", world.xp)) == set()


def test_age_follows_the_shops_timezone(world):
    # At 17:00 UTC it is still 15 June in London: ann is 24 there until midnight.
    world.tenant.timezone = "Europe/London"
    assert who(world, one("age", "between", {"min": 25, "max": None})) == {"dan"}
    assert who(world, one("age", "between", {"min": 25, "max": None}), NOW + dt.timedelta(hours=6)) == {"ann", "dan"}


def test_a_leap_day_birthday_counts_on_the_first_of_march_in_a_common_year(world):
    ann = world.members["ann"]
    ann.birthday_year, ann.birthday_month, ann.birthday_day = 2000, 2, 29
    db.flush()
    adults = one("age", "between", {"min": 25, "max": None})
    feb_28 = dt.datetime(2025, 2, 28, 4, tzinfo=dt.UTC)  # noon in Shanghai
    assert "ann" not in who(world, adults, feb_28)
    assert "ann" in who(world, adults, feb_28 + dt.timedelta(days=1))


def test_joined_last_days_is_in_shop_days(world):
    # 15:59:59 UTC on the 15th is 23:59:59 local: yesterday, not today.
    assert who(world, one("joined", "last_days", 1), NOW) == {"ann"}


def test_empty_definition_is_everyone_but_who_opted_out(world):
    assert who(world, {"match": "all", "groups": []}) == EVERYONE
    assert who(world, {}) == EVERYONE
    assert count_audience(world.tenant, {}, NOW) == 5


def test_opted_out_members_are_never_in_an_audience(world):
    vip = world.tags["VIP"]
    everything_olga_is = {
        "match": "all",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "tag", "op": "any", "value": [vip]},
                    {"field": "points", "op": "gte", "value": 10000},
                    {"field": "birthday_month", "op": "in", "value": [6]},
                ],
            }
        ],
    }
    assert who(world, everything_olga_is) == set()


def test_all_and_any_within_a_group(world):
    female, rich = {"field": "gender", "op": "is", "value": "female"}, {"field": "points", "op": "gte", "value": 500}
    assert who(world, {"match": "all", "groups": [{"match": "all", "conditions": [female, rich]}]}) == {"ann", "dan"}
    assert who(world, {"match": "all", "groups": [{"match": "any", "conditions": [female, rich]}]}) == {
        "ann",
        "dan",
        "eve",
    }


def test_all_and_any_between_groups(world):
    vip, regular = world.tags["VIP"], world.tags["Regular"]
    tagged = {
        "match": "any",
        "conditions": [
            {"field": "tag", "op": "any", "value": [vip]},
            {"field": "tag", "op": "any", "value": [regular]},
        ],
    }
    low_or_frequent = {
        "match": "any",
        "conditions": [{"field": "points", "op": "lte", "value": 100}, {"field": "visits", "op": "gte", "value": 10}],
    }
    assert who(world, {"match": "all", "groups": [tagged, low_or_frequent]}) == {"bob", "dan"}
    assert who(world, {"match": "any", "groups": [tagged, low_or_frequent]}) == {"ann", "bob", "cat", "dan"}
    male = {"match": "all", "conditions": [{"field": "gender", "op": "is", "value": "male"}]}
    frequent_women = {
        "match": "all",
        "conditions": [
            {"field": "gender", "op": "is", "value": "female"},
            {"field": "visits", "op": "gte", "value": 10},
        ],
    }
    assert who(world, {"match": "any", "groups": [male, frequent_women]}) == {"bob", "dan"}


def test_the_query_filters_the_tenant_itself_outside_any_scope(world):
    # As inside INSERT … SELECT: no ORM scoping; shop B's "ann" (tagged VIP in shop B) must not appear.
    from tenants.isolation import unscoped

    query = audience_query(world.tenant, {}, NOW)
    with unscoped():
        ids = set(db.scalars(query))
    assert ids == {world.members[name].id for name in EVERYONE}
    sql = str(audience_query(world.tenant, one("tag", "any", [world.tags["VIP"]]), NOW))
    assert sql.count("tenant_id") >= 2 and [c.name for c in query.selected_columns] == ["member_id"]


def test_describe_reads_like_a_sentence(world):
    vip = world.tags["VIP"]
    definition = {
        "match": "any",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "tag", "op": "any", "value": [vip]},
                    {"field": "points", "op": "gte", "value": 500},
                ],
            },
            {"match": "any", "conditions": [{"field": "days_since_visit", "op": "never"}]},
        ],
    }
    assert describe(world.tenant, definition) == ["Tag is VIP and Points ≥ 500", "or Never visited"]
    assert describe(world.tenant, {}) == ["Every member who has not opted out"]
