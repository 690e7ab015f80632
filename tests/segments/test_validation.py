"""A bad definition is a SegmentError naming the bad condition, never anything else."""

from __future__ import annotations

import json

import pytest

from mcrm.segments.conditions import SegmentError, parse_definition
from tests.segments.conftest import one


def group_of(*conditions, match="all") -> dict:
    return {"match": "all", "groups": [{"match": match, "conditions": list(conditions)}]}


def fails(world, definition) -> str:
    with pytest.raises(SegmentError) as raised:
        parse_definition(world.tenant, definition)
    return str(raised.value)


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (one("height", "gte", 1), "Condition 1 in group 1: unknown field “height”."),
        (one("points", "over", 1), "Condition 1 in group 1: “Points” has no test “over”."),
        (
            group_of(
                {"field": "gender", "op": "is", "value": "male"},
                {"field": "points", "op": "between", "value": {"min": 500, "max": 100}},
            ),
            "Condition 2 in group 1: the points range is empty (minimum 500 is above maximum 100).",
        ),
        (one("points", "gte", -1), "Condition 1 in group 1: Points cannot be negative."),
        (one("points", "gte", "many"), "Condition 1 in group 1: Points must be a whole number."),
        (one("points", "gte", True), "Condition 1 in group 1: Points must be a whole number."),
        (one("points", "gte", 10**12), "Condition 1 in group 1: Points is too large."),
        (one("visits", "between", {"min": None, "max": None}), "give a minimum, a maximum or both for Visits."),
        (one("visits", "between", 3), "give a minimum, a maximum or both for Visits."),
        (one("spend", "gte", "1.234"), "Condition 1 in group 1: Total spend must be an amount such as 99.50."),
        (one("spend", "lte", "NaN"), "must be an amount such as 99.50."),
        (one("spend", "between", {"min": "-5", "max": "1"}), "The minimum cannot be negative."),
        (one("age", "between", {"min": 40, "max": 30}), "the age range is empty (minimum 40 is above maximum 30)."),
        (one("age", "between", {"min": 200}), "an age is at most 150."),
        (one("birthday_month", "in", [13]), "unknown month “13”."),
        (one("birthday_month", "in", []), "choose at least one birthday month."),
        (one("gender", "is", "other"), "unknown gender “other”."),
        (one("rfm", "in", ["vip"]), "unknown RFM class “vip”."),
        (one("source", "in", ["fax"]), "unknown source “fax”."),
        (one("joined", "between", {"from": "2025-02-30", "to": None}), "“2025-02-30” is not a date (YYYY-MM-DD)."),
        (one("joined", "between", {"from": "20250101", "to": None}), "“20250101” is not a date (YYYY-MM-DD)."),
        (one("joined", "between", {"from": None, "to": None}), "give a first day, a last day or both."),
        (
            one("joined", "between", {"from": "2025-06-02", "to": "2025-06-01"}),
            "the dates are the wrong way round (2025-06-02 is after 2025-06-01).",
        ),
        (one("joined", "last_days", 0), "the number of days must be at least 1."),
        (one("days_since_visit", "gte", 1.5), "Days since last visit must be a whole number."),
        (one("tag", "any", []), "Condition 1 in group 1: choose at least one tag."),
        (one("tag", "any", "VIP"), "choose at least one tag."),
        (one("tag", "any", [999999]), "Condition 1 in group 1: unknown tag “999999”."),
        (one("list", "in", 999999), "unknown subscription list “999999”."),
        (one("app", "used", None), "“None” is not a choice of Keyword app."),
        ({"match": "some", "groups": []}, "The segment: choose “all” or “any”."),
        ({"match": "all", "groups": [{"match": "most", "conditions": [{"field": "days_since_visit", "op": "never"}]}]},
         "Group 1: choose “all” or “any”."),
        ({"match": "all", "groups": [{"match": "all", "conditions": []}]},
         "Group 1 has no conditions: add one or remove the group."),
        ({"match": "all", "groups": "everyone"}, "The conditions could not be read"),
        ({"match": "all", "groups": ["x"]}, "Group 1 could not be read"),
        ({"match": "all", "groups": [{"conditions": ["x"]}]}, "Condition 1 in group 1: it could not be read."),
        ("{not json", "The conditions could not be read"),
        ("[]", "The conditions could not be read"),
        ({"groups": [{"conditions": [{"field": "days_since_visit", "op": "never"}]}] * 21}, "at most 20 groups"),
    ],
)  # fmt: skip
def test_bad_definitions_say_what_is_wrong(world, definition, message):
    assert message in fails(world, definition)


def test_another_shops_tag_and_app_are_unknown_not_leaked(world):
    message = fails(world, one("tag", "any", [world.other_tag]))
    assert message == f"Condition 1 in group 1: unknown tag “{world.other_tag}”."
    assert "unknown app" in fails(world, one("app", "used", world.other_app))


def test_a_list_must_be_a_subscription_app(world):
    assert "unknown subscription list" in fails(world, one("list", "in", world.jg))


def test_the_definition_is_normalised(world):
    vip = world.tags["VIP"]
    parsed = parse_definition(
        world.tenant,
        json.dumps(
            {
                "groups": [
                    {
                        "conditions": [
                            {"field": "tag", "op": "any", "value": [str(vip), vip]},
                            {"field": "spend", "op": "gte", "value": 99.5},
                            {"field": "days_since_visit", "op": "never", "value": 3},
                        ]
                    }
                ]
            }
        ),
    )
    assert parsed.as_json() == {
        "match": "all",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "tag", "op": "any", "value": [vip]},
                    {"field": "spend", "op": "gte", "value": "99.5"},
                    {"field": "days_since_visit", "op": "never", "value": None},
                ],
            }
        ],
    }
