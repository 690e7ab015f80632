"""Random definitions from the catalogue: the one SQL statement agrees with a plain Python reading of the
same conditions over conftest's members."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.segments.conftest import EVERYONE, NOW, PEOPLE, who

TODAY = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()  # 2025-06-16


def _age(birthday) -> int | None:
    if not birthday:
        return None
    year, month, day, _lunar = birthday
    if month is None:
        return TODAY.year - year - 1  # the birthday may still be ahead this year
    return TODAY.year - year - ((TODAY.month, TODAY.day) < (month, day))


def _days_since(last_visit: dt.datetime | None) -> int | None:
    return None if last_visit is None else (TODAY - last_visit.astimezone(ZoneInfo("Asia/Shanghai")).date()).days


def facts(name: str) -> dict:
    gender, tags, birthday, points, spent, visits, last_visit, source, _joined = PEOPLE[name]
    return {
        "gender": gender.value,
        "tags": set(tags),
        "age": _age(birthday),
        "month": birthday[1] if birthday else None,
        "points": points,
        "spend": Decimal(spent),
        "visits": visits,
        "days": _days_since(last_visit),
        "source": source.value,
    }


def _compare(value, op: str, bound) -> bool:
    if value is None:
        return False
    if op == "gte":
        return value >= bound
    if op == "lte":
        return value <= bound
    return (bound["min"] is None or value >= bound["min"]) and (bound["max"] is None or value <= bound["max"])


def _bounds(numbers):
    return st.one_of(
        st.tuples(st.sampled_from(["gte", "lte"]), numbers),
        st.tuples(
            st.just("between"),
            st.tuples(st.none() | numbers, st.none() | numbers)
            .filter(lambda pair: pair != (None, None) and (None in pair or pair[0] <= pair[1]))
            .map(lambda pair: {"min": pair[0], "max": pair[1]}),
        ),
    )


def conditions():
    """(condition JSON, the Python test of the same thing on `facts`); tags by name, resolved later."""
    numeric = st.one_of(
        _bounds(st.integers(0, 700)).map(lambda b: ("points", *b)),
        _bounds(st.integers(0, 12)).map(lambda b: ("visits", *b)),
        _bounds(st.sampled_from([Decimal(a) for a in ("0", "10", "120.49", "120.50", "500")])).map(
            lambda b: ("spend", *b)
        ),
    ).map(
        lambda c: (
            {"field": c[0], "op": c[1], "value": _json_amounts(c[2])},
            lambda f, c=c: _compare(f[c[0]], c[1], c[2]),
        )
    )
    days = st.one_of(
        st.tuples(st.sampled_from(["gte", "lte"]), st.integers(0, 40)).map(
            lambda c: (
                {"field": "days_since_visit", "op": c[0], "value": c[1]},
                lambda f, c=c: _compare(f["days"], c[0], c[1]),
            )
        ),
        st.just(({"field": "days_since_visit", "op": "never", "value": None}, lambda f: f["days"] is None)),
    )
    ages = (
        st.tuples(st.none() | st.integers(20, 40), st.none() | st.integers(20, 40))
        .filter(lambda pair: pair != (None, None) and (None in pair or pair[0] <= pair[1]))
        .map(
            lambda pair: (
                {"field": "age", "op": "between", "value": {"min": pair[0], "max": pair[1]}},
                lambda f, pair=pair: _compare(f["age"], "between", {"min": pair[0], "max": pair[1]}),
            )
        )
    )
    choices = st.one_of(
        st.sampled_from(["female", "male", "unknown"]).map(
            lambda g: ({"field": "gender", "op": "is", "value": g}, lambda f, g=g: f["gender"] == g)
        ),
        st.lists(st.sampled_from(["sms", "portal", "wap", "import", "api"]), min_size=1, max_size=3).map(
            lambda s: ({"field": "source", "op": "in", "value": s}, lambda f, s=s: f["source"] in s)
        ),
        st.lists(st.integers(1, 12), min_size=1, max_size=3).map(
            lambda m: ({"field": "birthday_month", "op": "in", "value": m}, lambda f, m=m: f["month"] in m)
        ),
        st.tuples(st.sampled_from(["any", "none"]), st.lists(st.sampled_from(["VIP", "Regular"]), min_size=1)).map(
            lambda t: (
                {"field": "tag", "op": t[0], "value": t[1]},
                lambda f, t=t: bool(f["tags"] & set(t[1])) == (t[0] == "any"),
            )
        ),
    )
    return st.one_of(numeric, days, ages, choices)


def _json_amounts(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_amounts(v) for k, v in value.items()}
    return value


def _holds(match: str, results) -> bool:
    results = list(results)
    return all(results) if match == "all" else any(results)


definitions = st.tuples(
    st.sampled_from(["all", "any"]),
    st.lists(st.tuples(st.sampled_from(["all", "any"]), st.lists(conditions(), min_size=1, max_size=3)), max_size=3),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(definition=definitions)
def test_sql_agrees_with_a_python_reading(world, definition):
    match, groups = definition
    as_json = {
        "match": match,
        "groups": [
            {"match": group_match, "conditions": [_with_tag_ids(world, c) for c, _test in group]}
            for group_match, group in groups
        ],
    }
    expected = {
        name
        for name in EVERYONE
        if not groups or _holds(match, (_holds(gm, (test(facts(name)) for _c, test in group)) for gm, group in groups))
    }
    assert who(world, as_json) == expected


def _with_tag_ids(world, condition: dict) -> dict:
    if condition["field"] != "tag":
        return condition
    return {**condition, "value": [world.tags[name] for name in condition["value"]]}
