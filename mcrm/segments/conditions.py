"""A segment's definition: conditions in AND/OR groups, parsed and checked before anything is counted or saved.

The JSON kept in `Segment.definition` (and copied onto promotions):

    {"match": "all" | "any",
     "groups": [{"match": "all" | "any", "conditions": [{"field": "points", "op": "gte", "value": 500}]}]}

The top-level `match` combines the groups, each group's `match` its conditions; no groups means every
member who has not opted out. Each field is one `Condition` class in `FIELDS` (field id → class): it parses
its op and value and compiles to one SQL expression over `members` (a column comparison or an EXISTS),
so a new kind of condition is one more class.

Value shapes by the op's `kind` (the builder page draws its inputs from the same catalogue):
choices: a non-empty list of option values; choice: one option value; number: an int ≥ 0;
decimal: an amount ≥ 0 with at most two decimals; range / decimal_range: {"min": …, "max": …};
date_range: {"from": "YYYY-MM-DD" | null, "to": …}; none: no value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import aliased

from mcrm.analytics.models import MemberScore, RfmClass
from mcrm.analytics.rfm_classes import CLASS_LABELS
from mcrm.apps.models import AppKind, AppSubscriber, AppUse, KeywordApp
from mcrm.db import db
from mcrm.members.models import Gender, Member, Source, Tag, member_tags
from mcrm.surveys.models import Survey, SurveyResponse
from tenants.models import Tenant

MATCHES = ("all", "any")
# Bounds that keep a definition (and its SQL) of a size a person builds by hand.
MAX_GROUPS = 20
MAX_CONDITIONS = 50
MAX_CHOICES = 500
MAX_NUMBER = 10**9
MAX_AGE = 150
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

GENDER_LABELS = {Gender.FEMALE: _l("Female"), Gender.MALE: _l("Male"), Gender.UNKNOWN: _l("Unknown")}
SOURCE_LABELS = {
    Source.SMS: _l("Joined by SMS"),
    Source.PORTAL: _l("Added in the portal"),
    Source.WAP: _l("Added at the counter (WAP)"),
    Source.IMPORT: _l("Imported"),
    Source.API: _l("Added through the API"),
}
MONTH_LABELS = [
    _l("January"),
    _l("February"),
    _l("March"),
    _l("April"),
    _l("May"),
    _l("June"),
    _l("July"),
    _l("August"),
    _l("September"),
    _l("October"),
    _l("November"),
    _l("December"),
]


class SegmentError(ValueError):
    """A definition that cannot be used; str() is the message for the owner."""


class _Bad(ValueError):
    """A problem with one condition, before `parse_definition` says which condition it is."""


@dataclass(frozen=True)
class Op:
    id: str
    label: Any  # a lazy string
    kind: str
    # How `describe` words it: "%(field)s …", with the value as %(value)s.
    wording: Any


class Condition(ABC):
    """One condition; a subclass per field, registered in FIELDS."""

    field: ClassVar[str]
    label: ClassVar[Any]
    ops: ClassVar[tuple[Op, ...]]
    help: ClassVar[Any] = ""

    def __init__(self, op: str, value: Any) -> None:
        self.op = op
        self.value = value

    @classmethod
    def op_named(cls, op: Any) -> Op:
        for known in cls.ops:
            if known.id == op:
                return known
        raise _Bad(_("“%(field)s” has no test “%(op)s”.", field=cls.label, op=str(op)[:30]))

    @classmethod
    def parse(cls, tenant: Tenant, op: Any, value: Any) -> Condition:
        """The condition with its value checked and normalised (raises _Bad)."""
        known = cls.op_named(op)
        return cls(known.id, cls.parse_value(tenant, known, value))

    @classmethod
    def parse_value(cls, tenant: Tenant, op: Op, value: Any) -> Any:
        return _VALUE_PARSERS[op.kind](cls, value)

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        """(value, label) of each choice, for choice fields."""
        return []

    @abstractmethod
    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        """The condition over `members`, every other table it reads filtered on the tenant explicitly."""

    def as_json(self) -> dict:
        return {"field": self.field, "op": self.op, "value": self.value}

    def shown_value(self, names: dict[Any, str]) -> str:
        """The value as the owner reads it; `names` maps option values to labels."""
        kind = self.op_named(self.op).kind
        if kind == "choices":
            return ", ".join(names.get(v, str(v)) for v in self.value)
        if kind == "choice":
            return names.get(self.value, str(self.value))
        if kind in ("range", "decimal_range"):
            low, high = self.value["min"], self.value["max"]
            if low is None:
                return _("at most %(max)s", max=high)
            if high is None:
                return _("at least %(min)s", min=low)
            return _("%(min)s to %(max)s", min=low, max=high)
        if kind == "date_range":
            start, end = self.value["from"], self.value["to"]
            if start is None:
                return _("on or before %(date)s", date=end)
            if end is None:
                return _("on or after %(date)s", date=start)
            return _("%(start)s to %(end)s", start=start, end=end)
        return "" if self.value is None else str(self.value)

    def describe(self, tenant: Tenant) -> str:
        op = self.op_named(self.op)
        names = {value: str(label) for value, label in self.options(tenant)}
        return str(op.wording) % {"field": self.label, "value": self.shown_value(names)}


FIELDS: dict[str, type[Condition]] = {}


def register(cls: type[Condition]) -> type[Condition]:
    FIELDS[cls.field] = cls
    return cls


# Values --------------------------------------------------------------------------------------------------


def _int(value: Any, what: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Bad(_("%(what)s must be a whole number.", what=what))
    try:
        number = int(value)
    except ValueError:
        raise _Bad(_("%(what)s must be a whole number.", what=what)) from None
    if number < 0:
        raise _Bad(_("%(what)s cannot be negative.", what=what))
    if number > MAX_NUMBER:
        raise _Bad(_("%(what)s is too large.", what=what))
    return number


def _decimal(value: Any, what: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Bad(_("%(what)s must be an amount such as 99.50.", what=what))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad(_("%(what)s must be an amount such as 99.50.", what=what)) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise _Bad(_("%(what)s must be an amount such as 99.50.", what=what))
    if amount < 0:
        raise _Bad(_("%(what)s cannot be negative.", what=what))
    if amount > MAX_NUMBER:
        raise _Bad(_("%(what)s is too large.", what=what))
    return amount


def _number(cls: type[Condition], value: Any) -> int:
    return _int(value, cls.label)


def _amount(cls: type[Condition], value: Any) -> str:
    # Kept as a string in JSON: a float would turn 0.1 into 0.1000000000000000055….
    return str(_decimal(value, cls.label))


def _range_of(cls: type[Condition], value: Any, parse, minimum_above: str = "") -> dict:
    if not isinstance(value, dict):
        raise _Bad(_("give a minimum, a maximum or both for %(field)s.", field=cls.label))
    low, high = value.get("min"), value.get("max")
    low = None if low in (None, "") else parse(low, _("The minimum"))
    high = None if high in (None, "") else parse(high, _("The maximum"))
    if low is None and high is None:
        raise _Bad(_("give a minimum, a maximum or both for %(field)s.", field=cls.label))
    if low is not None and high is not None and low > high:
        raise _Bad(
            _(
                "the %(field)s range is empty (minimum %(min)s is above maximum %(max)s).",
                field=str(cls.label).lower(),
                min=low,
                max=high,
            )
        )
    return {"min": low, "max": high}


def _int_range(cls: type[Condition], value: Any) -> dict:
    return _range_of(cls, value, _int)


def _decimal_range(cls: type[Condition], value: Any) -> dict:
    parsed = _range_of(cls, value, _decimal)
    return {key: None if amount is None else str(amount) for key, amount in parsed.items()}


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    # fromisoformat alone would also take 20250101 and week dates.
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Bad(_("“%(value)s” is not a date (YYYY-MM-DD).", value=str(value)[:20]))


def _date_range(cls: type[Condition], value: Any) -> dict:
    if not isinstance(value, dict):
        raise _Bad(_("give a first day, a last day or both."))
    start, end = _date(value.get("from")), _date(value.get("to"))
    if start is None and end is None:
        raise _Bad(_("give a first day, a last day or both."))
    if start is not None and end is not None and start > end:
        raise _Bad(
            _("the dates are the wrong way round (%(start)s is after %(end)s).", start=start.isoformat(), end=end)
        )
    return {"from": start and start.isoformat(), "to": end and end.isoformat()}


def _choice_value(cls: type[Condition], value: Any) -> Any:
    """One option value in its canonical type (ids are ints, everything else strings)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Bad(_("“%(value)s” is not a choice of %(field)s.", value=str(value)[:30], field=cls.label))
    return value


def _choices(cls: type[Condition], value: Any) -> list:
    if not isinstance(value, list) or not value:
        raise _Bad(_("choose at least one %(field)s.", field=str(cls.label).lower()))
    if len(value) > MAX_CHOICES:
        raise _Bad(_("too many choices."))
    chosen = []
    for item in value:
        item = _choice_value(cls, item)
        if item not in chosen:
            chosen.append(item)
    return chosen


def _nothing(cls: type[Condition], value: Any) -> None:
    return None


_VALUE_PARSERS = {
    "number": _number,
    "decimal": _amount,
    "range": _int_range,
    "decimal_range": _decimal_range,
    "date_range": _date_range,
    "choices": _choices,
    "choice": _choice_value,
    "none": _nothing,
}


class _ChoiceCondition(Condition):
    """A condition on values from a fixed list; `choices` gives them and `coerce` their type."""

    unknown: ClassVar[Any] = _l("unknown choice")

    @classmethod
    def coerce(cls, value: Any) -> Any:
        return str(value)

    @classmethod
    def parse_value(cls, tenant: Tenant, op: Op, value: Any) -> Any:
        parsed = super().parse_value(tenant, op, value)
        values = parsed if isinstance(parsed, list) else [parsed]
        allowed = {value for value, _label in cls.options(tenant)}
        coerced = []
        for item in values:
            try:
                item = cls.coerce(item)
            except ValueError:
                item = None
            if item not in allowed:
                raise _Bad(_("%(unknown)s “%(value)s”.", unknown=cls.unknown, value=str(values[len(coerced)])[:30]))
            coerced.append(item)
        if not isinstance(parsed, list):
            return coerced[0]
        return list(dict.fromkeys(coerced))  # "2" and 2 are the same tag


class _IdCondition(_ChoiceCondition):
    """Choices that are the shop's own rows: only this shop's ids are known (another shop's is unknown)."""

    @classmethod
    def coerce(cls, value: Any) -> int:
        if isinstance(value, str) and not value.isdigit():
            raise ValueError(value)
        return int(value)


# The conditions ------------------------------------------------------------------------------------------


@register
class TagCondition(_IdCondition):
    field = "tag"
    label = _l("Tag")
    unknown = _l("unknown tag")
    ops = (
        Op("any", _l("has any of"), "choices", _l("%(field)s is %(value)s")),
        Op("none", _l("has none of"), "choices", _l("%(field)s is none of %(value)s")),
    )

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        rows = db.execute(select(Tag.id, Tag.name).where(Tag.tenant_id == tenant.id).order_by(Tag.name))
        return [(tag_id, name) for tag_id, name in rows]

    def describe(self, tenant: Tenant) -> str:
        names = dict(self.options(tenant))
        shown = _(" or ").join(names.get(v, str(v)) for v in self.value)
        if self.op == "any":
            return _("Tag is %(tags)s", tags=shown)
        return _("Tag is not %(tags)s", tags=shown)

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        tagged = exists().where(
            member_tags.c.tenant_id == tenant.id,
            member_tags.c.member_id == Member.id,
            member_tags.c.tag_id.in_(self.value),
        )
        return tagged if self.op == "any" else ~tagged


@register
class ListCondition(_IdCondition):
    field = "list"
    label = _l("Subscription list")
    unknown = _l("unknown subscription list")
    ops = (
        Op("in", _l("is on"), "choice", _l("on the list %(value)s")),
        Op("not_in", _l("is not on"), "choice", _l("not on the list %(value)s")),
    )

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        rows = db.execute(
            select(KeywordApp.id, KeywordApp.name, KeywordApp.keyword)
            .where(KeywordApp.tenant_id == tenant.id, KeywordApp.kind == AppKind.SUBSCRIPTION)
            .order_by(KeywordApp.keyword)
        )
        return [(app_id, f"{name} ({keyword.upper()})") for app_id, name, keyword in rows]

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        on_list = exists().where(
            AppSubscriber.tenant_id == tenant.id,
            AppSubscriber.member_id == Member.id,
            AppSubscriber.app_id == self.value,
            AppSubscriber.left_at.is_(None),
        )
        return on_list if self.op == "in" else ~on_list


@register
class GenderCondition(_ChoiceCondition):
    field = "gender"
    label = _l("Gender")
    unknown = _l("unknown gender")
    ops = (Op("is", _l("is"), "choice", _l("%(field)s is %(value)s")),)

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        return [(gender.value, str(label)) for gender, label in GENDER_LABELS.items()]

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        return Member.gender == Gender(self.value)


def _today(tenant: Tenant, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(tenant.timezone)).date()


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 29 February becomes 28 February in a common year."""
    year = day.year - years
    if year < dt.MINYEAR:
        return dt.date.min
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


@register
class AgeCondition(Condition):
    """Age in whole years today in the shop's timezone, from the birthday.

    The birth date becomes the number yyyymmdd, compared with cutoffs computed here, so the SQL is plain
    integer arithmetic on every database: age ≥ n ⇔ born on or before today n years ago. Members born on
    29 February turn a year older on 1 March in common years. A member with a year but no month or day
    counts as not having had this year's birthday yet (month 13, day 32), the age we can be sure of; a
    lunar birthday's month and day are compared as they are (at most a few weeks off). Members without a
    birth year never match.
    """

    field = "age"
    label = _l("Age")
    ops = (Op("between", _l("between"), "range", _l("%(field)s %(value)s")),)

    @classmethod
    def parse_value(cls, tenant: Tenant, op: Op, value: Any) -> Any:
        parsed = super().parse_value(tenant, op, value)
        if any(age is not None and age > MAX_AGE for age in parsed.values()):
            raise _Bad(_("an age is at most %(max)s.", max=MAX_AGE))
        return parsed

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        today = _today(tenant, now)
        born = (
            Member.birthday_year * 10000
            + func.coalesce(Member.birthday_month, 13) * 100
            + func.coalesce(Member.birthday_day, 32)
        )
        parts = [Member.birthday_year.is_not(None)]
        if self.value["min"] is not None:
            parts.append(born <= _key(_years_before(today, self.value["min"])))
        if self.value["max"] is not None:
            parts.append(born > _key(_years_before(today, self.value["max"] + 1)))
        return and_(*parts)


def _key(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@register
class BirthdayMonthCondition(_ChoiceCondition):
    field = "birthday_month"
    label = _l("Birthday month")
    unknown = _l("unknown month")
    help = _l("For a lunar birthday this is the lunar month.")
    ops = (Op("in", _l("is in"), "choices", _l("%(field)s is %(value)s")),)

    @classmethod
    def coerce(cls, value: Any) -> int:
        if isinstance(value, str) and not value.isdigit():
            raise ValueError(value)
        return int(value)

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        return [(month, str(label)) for month, label in enumerate(MONTH_LABELS, 1)]

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        return Member.birthday_month.in_(self.value)


def _local_midnight(tenant: Tenant, day: dt.date) -> dt.datetime:
    """The start of a shop-local day, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(tenant.timezone)).astimezone(dt.UTC)


@register
class JoinedCondition(Condition):
    field = "joined"
    label = _l("Joined")
    ops = (
        Op("between", _l("between"), "date_range", _l("%(field)s %(value)s")),
        Op("last_days", _l("in the last … days"), "number", _l("%(field)s in the last %(value)s days")),
    )

    @classmethod
    def parse_value(cls, tenant: Tenant, op: Op, value: Any) -> Any:
        parsed = super().parse_value(tenant, op, value)
        if op.id == "last_days" and parsed < 1:
            raise _Bad(_("the number of days must be at least 1."))
        return parsed

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        if self.op == "last_days":
            # Shop-calendar days, today included: "the last 1 day" is today.
            first = _today(tenant, now) - dt.timedelta(days=self.value - 1)
            return Member.joined_at >= _local_midnight(tenant, first)
        parts = []
        if self.value["from"]:
            parts.append(Member.joined_at >= _local_midnight(tenant, dt.date.fromisoformat(self.value["from"])))
        if self.value["to"]:
            after = dt.date.fromisoformat(self.value["to"]) + dt.timedelta(days=1)
            parts.append(Member.joined_at < _local_midnight(tenant, after))
        return and_(*parts)


class _NumberCondition(Condition):
    """At least, at most or between, on one column of `members`."""

    column: ClassVar[Any]
    # The JSON value as the column compares it (amounts travel as strings).
    bound: ClassVar[Any] = int

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        # Through the class: read on an instance, a mapped attribute would look for a mapped object.
        column, value = type(self).column, self.value
        if self.op == "gte":
            return column >= self.bound(value)
        if self.op == "lte":
            return column <= self.bound(value)
        parts = []
        if value["min"] is not None:
            parts.append(column >= self.bound(value["min"]))
        if value["max"] is not None:
            parts.append(column <= self.bound(value["max"]))
        return and_(*parts)


def _number_ops(kind: str, range_kind: str) -> tuple[Op, ...]:
    return (
        Op("gte", _l("at least"), kind, _l("%(field)s ≥ %(value)s")),
        Op("lte", _l("at most"), kind, _l("%(field)s ≤ %(value)s")),
        Op("between", _l("between"), range_kind, _l("%(field)s %(value)s")),
    )


@register
class PointsCondition(_NumberCondition):
    field = "points"
    label = _l("Points")
    ops = _number_ops("number", "range")
    column = Member.points_balance


@register
class SpendCondition(_NumberCondition):
    field = "spend"
    label = _l("Total spend")
    ops = _number_ops("decimal", "decimal_range")
    column = Member.total_spent
    bound = Decimal


@register
class VisitsCondition(_NumberCondition):
    field = "visits"
    label = _l("Visits")
    ops = _number_ops("number", "range")
    column = Member.visit_count


@register
class DaysSinceVisitCondition(Condition):
    """Shop-calendar days since the last visit (a visit today: 0)."""

    field = "days_since_visit"
    label = _l("Days since last visit")
    ops = (
        Op("gte", _l("at least"), "number", _l("%(field)s ≥ %(value)s")),
        Op("lte", _l("at most"), "number", _l("%(field)s ≤ %(value)s")),
        Op("never", _l("never visited"), "none", _l("Never visited")),
    )

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        if self.op == "never":
            return Member.last_visit_at.is_(None)
        today = _today(tenant, now)
        if self.op == "gte":
            # The last visit was on or before today − N: before the start of the day after it.
            return Member.last_visit_at < _local_midnight(tenant, today - dt.timedelta(days=self.value - 1))
        return Member.last_visit_at >= _local_midnight(tenant, today - dt.timedelta(days=self.value))


@register
class RfmCondition(_ChoiceCondition):
    field = "rfm"
    label = _l("RFM class")
    unknown = _l("unknown RFM class")
    help = _l("From the latest scores (Analytics → RFM).")
    ops = (Op("in", _l("is in"), "choices", _l("%(field)s is %(value)s")),)

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        return [(rfm_class.value, str(CLASS_LABELS[rfm_class])) for rfm_class in RfmClass]

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        score = aliased(MemberScore)
        return exists().where(
            score.tenant_id == tenant.id,
            score.member_id == Member.id,
            score.rfm_class.in_([RfmClass(v) for v in self.value]),
        )


@register
class SourceCondition(_ChoiceCondition):
    field = "source"
    label = _l("Source")
    unknown = _l("unknown source")
    ops = (Op("in", _l("is in"), "choices", _l("%(field)s is %(value)s")),)

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        return [(source.value, str(label)) for source, label in SOURCE_LABELS.items()]

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        return Member.source.in_([Source(v) for v in self.value])


@register
class AppCondition(_IdCondition):
    field = "app"
    label = _l("Keyword app")
    unknown = _l("unknown app")
    ops = (
        Op("used", _l("used"), "choice", _l("Used the app %(value)s")),
        Op("not_used", _l("never used"), "choice", _l("Never used the app %(value)s")),
    )

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        rows = db.execute(
            select(KeywordApp.id, KeywordApp.name, KeywordApp.keyword)
            .where(KeywordApp.tenant_id == tenant.id)
            .order_by(KeywordApp.keyword)
        )
        return [(app_id, f"{keyword.upper()} · {name}") for app_id, name, keyword in rows]

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        used = exists().where(AppUse.tenant_id == tenant.id, AppUse.member_id == Member.id, AppUse.app_id == self.value)
        return used if self.op == "used" else ~used


@register
class SurveyCondition(_IdCondition):
    field = "survey"
    label = _l("Survey")
    unknown = _l("unknown survey")
    help = _l("Answered: gave at least one answer.")
    ops = (
        Op("answered", _l("answered"), "choice", _l("Answered the survey %(value)s")),
        Op("not_answered", _l("did not answer"), "choice", _l("Did not answer the survey %(value)s")),
    )

    @classmethod
    def options(cls, tenant: Tenant) -> list[tuple[Any, str]]:
        rows = db.execute(select(Survey.id, Survey.name).where(Survey.tenant_id == tenant.id).order_by(Survey.name))
        return [(survey_id, name) for survey_id, name in rows]

    def clause(self, tenant: Tenant, now: dt.datetime) -> ColumnElement[bool]:
        answered = exists().where(
            SurveyResponse.tenant_id == tenant.id,
            SurveyResponse.member_id == Member.id,
            SurveyResponse.survey_id == self.value,
            SurveyResponse.answered_at.is_not(None),
        )
        return answered if self.op == "answered" else ~answered


# Definitions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    match: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Definition:
    match: str
    groups: tuple[Group, ...]

    def as_json(self) -> dict:
        """The normalised JSON, as stored."""
        return {
            "match": self.match,
            "groups": [
                {"match": group.match, "conditions": [c.as_json() for c in group.conditions]} for group in self.groups
            ],
        }


EVERYONE = Definition(match="all", groups=())


def _match(raw: Any, where: str) -> str:
    match = "all" if raw is None else raw
    if match not in MATCHES:
        raise SegmentError(_("%(where)s: choose “all” or “any”.", where=where))
    return match


def parse_definition(tenant: Tenant, raw: dict | str | Definition) -> Definition:
    """The definition, checked and normalised; SegmentError names the first bad condition."""
    if isinstance(raw, Definition):
        return raw
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise SegmentError(_("The conditions could not be read: please build them again.")) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("groups", []), list):
        raise SegmentError(_("The conditions could not be read: please build them again."))
    groups_raw = raw.get("groups", [])
    if len(groups_raw) > MAX_GROUPS:
        raise SegmentError(_("Use at most %(max)s groups.", max=MAX_GROUPS))
    total = sum(len(g.get("conditions") or []) for g in groups_raw if isinstance(g, dict))
    if total > MAX_CONDITIONS:
        raise SegmentError(_("Use at most %(max)s conditions.", max=MAX_CONDITIONS))
    match = _match(raw.get("match"), _("The segment"))
    groups = []
    for g, group_raw in enumerate(groups_raw, 1):
        where = _("Group %(group)s", group=g)
        if not isinstance(group_raw, dict) or not isinstance(group_raw.get("conditions", []), list):
            raise SegmentError(_("%(where)s could not be read: please build it again.", where=where))
        conditions = []
        for c, condition_raw in enumerate(group_raw.get("conditions", []), 1):
            conditions.append(_parse_condition(tenant, condition_raw, c, g))
        if not conditions:
            raise SegmentError(_("%(where)s has no conditions: add one or remove the group.", where=where))
        groups.append(Group(match=_match(group_raw.get("match"), where), conditions=tuple(conditions)))
    return Definition(match=match, groups=tuple(groups))


def _parse_condition(tenant: Tenant, raw: Any, c: int, g: int) -> Condition:
    try:
        if not isinstance(raw, dict):
            raise _Bad(_("it could not be read."))
        cls = FIELDS.get(raw.get("field")) if isinstance(raw.get("field"), str) else None
        if cls is None:
            raise _Bad(_("unknown field “%(field)s”.", field=str(raw.get("field"))[:30]))
        return cls.parse(tenant, raw.get("op"), raw.get("value"))
    except _Bad as bad:
        raise SegmentError(
            _("Condition %(condition)s in group %(group)s: %(problem)s", condition=c, group=g, problem=str(bad))
        ) from None


def combine(match: str, clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """The clauses joined by AND (all) or OR (any)."""
    if not clauses:
        return true() if match == "all" else false()
    return and_(*clauses) if match == "all" else or_(*clauses)
