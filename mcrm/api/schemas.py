"""Request and response bodies of the POS API as pydantic models; the OpenAPI document is built from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from mcrm.members.birthdays import Birthday, parse_birthday
from mcrm.members.models import Gender, Member, Source
from mcrm.points.models import EntryReason, LedgerEntry, Reward
from mcrm.points.services import MAX_AMOUNT, MAX_POINTS, parse_amount
from mcrm.promotions.coupons import CouponStatus, CouponView

# Database ids and point counts are 32-bit integers on PostgreSQL.
MAX_ID = 2**31 - 1
# PostgreSQL refuses NUL in text; saying so in the schema keeps generated clients (and fuzzers) honest.
NO_NUL = r"^[^\x00]*$"


def _text(max_length: int, min_length: int = 0, **extra: Any) -> Any:
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=NO_NUL, **extra)]


def _birthday(value: str | None) -> str | None:
    if value is not None and value.strip() and parse_birthday(value) is None:
        raise ValueError(_("Write the birthday as 1990-08-15, 08-15, or 农历08-15 for a lunar date."))
    return value


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(_("Enter the amount as a number, e.g. 88.50."))
    return parse_amount(value)


def _aware_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(_("The time is out of range.")) from None


Phone = _text(40, 1, description="A mobile number; the shop's country is assumed without a +country code.")
Name = _text(80)
Notes = _text(2000)
TagName = _text(30, 1)
BirthdayText = Annotated[
    _text(20, description="1990-08-15, 08-15 without the year, or 农历08-15 for a lunar birthday."),
    AfterValidator(_birthday),
]
IdempotencyKey = _text(
    100, 1, description="Retrying with the same key takes effect once and answers with the first result."
)
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": float(MAX_AMOUNT)},
                {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"},
            ],
            "description": 'More than 0, at most two decimals: 88.5 or "88.50".',
        }
    ),
]


def _absent(description: str | None = None) -> Any:
    """An optional field that is never null: left out, not sent as null (None stands for left out)."""
    return Field(default=None, description=description, json_schema_extra=lambda schema: schema.pop("default"))


PositiveId = Annotated[int, Field(gt=0, le=MAX_ID)]
Points = Annotated[int, Field(gt=0, le=MAX_POINTS)]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a misspelt field is not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class MemberCreate(Body):
    phone: Phone
    name: Name = ""
    gender: Gender = Gender.UNKNOWN
    birthday: BirthdayText | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=20)
    notes: Notes = ""


class MemberUpdate(Body):
    """Fields left out stay as they are; `birthday: null` removes the birthday."""

    # Left out means unchanged; null is accepted for birthday only (the schema says so).
    phone: Phone = _absent()
    name: Name = _absent()
    gender: Gender = _absent()
    birthday: BirthdayText | None = None
    tags: Annotated[list[TagName], Field(max_length=20)] = _absent()
    notes: Notes = _absent()

    @field_validator("phone", "name", "gender", "tags", "notes", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(_("Leave the field out to keep it as it is; it cannot be null."))
        return value


class PurchaseCreate(Body):
    amount: Amount
    occurred_at: Annotated[AwareDatetime | None, AfterValidator(_aware_utc)] = Field(
        default=None, description="When the purchase happened (ISO 8601 with a timezone); now when left out."
    )
    idempotency_key: IdempotencyKey | None = None


class RedemptionCreate(Body):
    """Either `points`, or `reward_id` (one of the shop's active rewards, which sets the points)."""

    points: Points | None = None
    reward_id: PositiveId | None = None
    reason: _text(200) = Field(default="", description="What the points were redeemed for.")
    idempotency_key: IdempotencyKey | None = None


class Page(BaseModel):
    """Query parameters of a paginated list (unknown parameters are ignored)."""

    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 50


class MemberListQuery(Page):
    phone: Phone = _absent("Finds the member with this number (0 or 1 of them).")


class MemberOut(BaseModel):
    id: int
    phone: str = Field(description="E.164, e.g. +8613800138000.")
    name: str
    gender: Gender
    birthday: str | None = Field(description="1990-08-15, 08-15, or 农历08-15 (lunar).")
    tags: list[str]
    notes: str
    joined_at: dt.datetime
    source: Source
    points_balance: int
    total_spent: str = Field(pattern=r"^[0-9]+\.[0-9]{2}$", description='A decimal with two places, e.g. "1288.50".')
    visit_count: int
    last_visit_at: dt.datetime | None
    opted_out: bool = Field(description="True when the member asked to receive no more messages.")

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        birthday = member.birthday_text.replace("农历 ", "农历") or None
        return cls(
            id=member.id,
            phone=member.phone,
            name=member.name,
            gender=member.gender,
            birthday=birthday,
            tags=[t.name for t in member.tags],
            notes=member.notes,
            joined_at=member.joined_at,
            source=member.source,
            points_balance=member.points_balance,
            total_spent=f"{member.total_spent:.2f}",
            visit_count=member.visit_count,
            last_visit_at=member.last_visit_at,
            opted_out=member.opted_out,
        )


class PageOut(BaseModel):
    page: int
    per_page: int
    total: int


class MemberList(PageOut):
    members: list[MemberOut]


class PurchaseOut(BaseModel):
    purchase_id: int
    points_earned: int
    points_balance: int = Field(description="The balance right after this purchase.")
    replayed: bool = Field(description="True when this answers a retry of an earlier request with the same key.")


class RedemptionOut(BaseModel):
    entry_id: int
    points: int = Field(description="The points redeemed (a positive number).")
    points_balance: int = Field(description="The balance right after this redemption.")
    replayed: bool = Field(description="True when this answers a retry of an earlier request with the same key.")


class LedgerEntryOut(BaseModel):
    id: int
    points: int = Field(description="Signed: earned points are positive, redeemed points negative.")
    balance_after: int
    reason: EntryReason
    note: str
    created_at: dt.datetime
    purchase_id: int | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryOut:
        return cls(
            id=entry.id,
            points=entry.points,
            balance_after=entry.balance_after,
            reason=entry.reason,
            note=entry.note,
            created_at=entry.created_at,
            purchase_id=entry.purchase_id,
        )


class Ledger(PageOut):
    entries: list[LedgerEntryOut] = Field(description="Newest first.")


class RewardOut(BaseModel):
    id: int
    name: str
    points_cost: int

    @classmethod
    def of(cls, reward: Reward) -> RewardOut:
        return cls(id=reward.id, name=reward.name, points_cost=reward.points_cost)


class RewardList(BaseModel):
    rewards: list[RewardOut]


class CouponMemberOut(BaseModel):
    id: int
    name: str
    phone: str = Field(description="E.164, e.g. +8613800138000.")


class CouponOut(BaseModel):
    code: str
    status: CouponStatus = Field(description="valid until redeemed or past `expires_at`.")
    offer: str = Field(description="What the coupon is worth, e.g. 10% off a coffee.")
    promotion: str = Field(description="The name of the promotion that sent it.")
    member: CouponMemberOut = Field(description="The member it was sent to.")
    expires_at: dt.datetime
    redeemed_at: dt.datetime | None

    @classmethod
    def of(cls, view: CouponView) -> CouponOut:
        return cls(
            code=view.code,
            status=view.status,
            offer=view.offer,
            promotion=view.promotion,
            member=CouponMemberOut(id=view.member_id, name=view.member_name, phone=view.member_phone),
            expires_at=view.expires_at,
            redeemed_at=view.redeemed_at,
        )


class ErrorOut(BaseModel):
    """An error; the optional fields are left out when they do not apply."""

    error: str = Field(description="What went wrong, in the language of the request's Accept-Language.")
    fields: dict[str, str] | SkipJsonSchema[None] = _absent(
        "Per-field messages; the key is the field's path, e.g. tags.2."
    )
    member_id: int | SkipJsonSchema[None] = _absent("On 409: the member who already has this phone number.")
    points_balance: int | SkipJsonSchema[None] = _absent("On 409 for a redemption: the member's balance.")
    reason: str | SkipJsonSchema[None] = _absent("On 409 for a coupon: redeemed or expired.")


def birthday_of(text: str | None) -> Birthday | None:
    return parse_birthday(text) if text and text.strip() else None


def _message(error: dict) -> str:
    """A validation error in the reader's language (pydantic's own words for the rare kinds)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"])
    messages = {
        "missing": lambda: _("This field is required."),
        "extra_forbidden": lambda: _("Unknown field."),
        "string_type": lambda: _("Send text here."),
        "string_too_short": lambda: _("This cannot be empty."),
        "string_too_long": lambda: _("At most %(n)d characters.", n=ctx.get("max_length", 0)),
        "string_pattern_mismatch": lambda: _("This text contains a character that is not allowed."),
        "int_type": lambda: _("Send a whole number here."),
        "int_parsing": lambda: _("Send a whole number here."),
        "int_from_float": lambda: _("Send a whole number here."),
        "greater_than": lambda: _("Must be more than %(n)s.", n=ctx.get("gt")),
        "greater_than_equal": lambda: _("Must be at least %(n)s.", n=ctx.get("ge")),
        "less_than_equal": lambda: _("Must be at most %(n)s.", n=ctx.get("le")),
        "enum": lambda: _("Must be one of: %(values)s.", values=ctx.get("expected", "")),
        "list_type": lambda: _("Send a list here."),
        "too_long": lambda: _("At most %(n)d items.", n=ctx.get("max_length", 0)),
        "timezone_aware": lambda: _("Give the time with its timezone, e.g. 2024-05-01T12:30:00+08:00."),
    }
    if kind.startswith(("datetime_", "timezone_")) and kind not in messages:
        return _("Give the time in ISO 8601 with its timezone, e.g. 2024-05-01T12:30:00+08:00.")
    return messages[kind]() if kind in messages else error["msg"]


def field_errors(error: ValidationError) -> tuple[str, dict[str, str]]:
    """The overall message and one message per field path (the first error of each field)."""
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False):
        if not item["loc"]:
            return _("The body must be a JSON object."), {}
        fields.setdefault(".".join(str(part) for part in item["loc"]), _message(item))
    return _("Some fields are not valid."), fields
