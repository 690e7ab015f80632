"""Promotions as the owner makes them: check, preview, schedule, edit and cancel until a run starts.

Nothing here writes to the outbox: "send now" is a promotion scheduled for now, and the scheduler's tick
(mcrm.promotions.ticks) starts the run, so no web request holds a large audience open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select, update

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.members.services import MemberError, find_by_phone, member_phone
from mcrm.promotions.estimate import Estimate, estimate
from mcrm.promotions.models import EDITABLE, Promotion, PromotionStatus, Repeat
from mcrm.promotions.schedule import LocalTimeError, local_to_utc
from mcrm.promotions.sms_sql import preview_text
from mcrm.segments.compile import audience_query
from mcrm.segments.conditions import Definition, SegmentError, parse_definition
from mcrm.segments.models import Segment
from sms_gateway.encoding import SmsShape, sms_shape
from tenants.models import Tenant, User

# Shown for {coupon} in the preview: each member gets a code of their own, of this shape.
EXAMPLE_COUPON = "KPW482931"


class PromotionError(ValueError):
    """A promotion that cannot be saved or changed; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Plan:
    """What the owner asked for, as typed: times are naive and in the shop's timezone."""

    name: str
    segment_id: int | None
    body: str
    holdout_percent: int = 0
    attribution_days: int = 7
    coupon_enabled: bool = False
    coupon_offer: str = ""
    coupon_valid_days: int = 30
    send_at_local: dt.datetime | None = None  # None: send now
    repeat: Repeat = Repeat.NONE
    repeat_until_local: dt.date | None = None
    survey_id: int | None = None  # a survey's sending (mcrm.surveys.sending)


@dataclass(frozen=True)
class Checked:
    """A plan that can be saved: its audience, what it costs, and its times in UTC."""

    segment: Segment
    definition: Definition
    estimate: Estimate
    send_at: dt.datetime
    repeat_until: dt.datetime | None


@dataclass(frozen=True)
class Preview:
    member: Member | None  # the sample: None when the audience is empty
    text: str  # exactly as sent to the sample member
    shape: SmsShape
    estimate: Estimate
    credit_now: int


def segment_of(tenant: Tenant, segment_id: int | None) -> Segment:
    segment = (
        db.scalar(select(Segment).where(Segment.tenant_id == tenant.id, Segment.id == segment_id))
        if segment_id
        else None
    )
    if segment is None:
        raise PromotionError(_("Choose a segment."), field="segment_id")
    return segment


def audience_of(tenant: Tenant, segment: Segment) -> Definition:
    """The segment's conditions as they are now (a promotion keeps a copy)."""
    try:
        return parse_definition(tenant, segment.definition)
    except SegmentError as error:
        raise PromotionError(
            _("The segment “%(name)s” cannot be used: %(problem)s", name=segment.name, problem=str(error)),
            field="segment_id",
        ) from None


def times_of(tenant: Tenant, plan: Plan, now: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    """The first run and the end of the repeat, in UTC; a chosen time must be in the future."""
    if plan.send_at_local is None:
        return now, None
    try:
        send_at = local_to_utc(tenant, plan.send_at_local)
    except LocalTimeError as error:
        raise PromotionError(str(error), field="send_at") from None
    if send_at <= now:
        raise PromotionError(
            _(
                "Choose a time in the future: it is %(now)s now in %(zone)s.",
                now=format_datetime(now, "short"),
                zone=tenant.timezone,
            ),
            field="send_at",
        )
    repeat_until = None
    if plan.repeat != Repeat.NONE and plan.repeat_until_local is not None:
        # The whole last day counts (a bound, not a time to keep, so a clock change on it does not matter).
        last = dt.datetime.combine(plan.repeat_until_local, dt.time(23, 59, 59), tzinfo=ZoneInfo(tenant.timezone))
        repeat_until = last.astimezone(dt.UTC)
        if repeat_until < send_at:
            raise PromotionError(_("The last day cannot be before the first sending."), field="repeat_until")
    return send_at, repeat_until


def estimate_of(tenant: Tenant, definition: Definition, plan: Plan, now: dt.datetime) -> Estimate:
    return estimate(tenant, definition, plan.body, plan.holdout_percent, plan.coupon_enabled, now)


def check(tenant: Tenant, plan: Plan, now: dt.datetime) -> Checked:
    """The plan checked as it would be saved; PromotionError says what to change."""
    segment = segment_of(tenant, plan.segment_id)
    definition = audience_of(tenant, segment)
    send_at, repeat_until = times_of(tenant, plan, now)
    cost = estimate_of(tenant, definition, plan, now)
    if not cost.enough_credit:
        raise PromotionError(
            _(
                "Not enough SMS credit: this promotion needs %(need)d credits and the shop has %(have)d. "
                "Top up or narrow the audience.",
                need=cost.credits,
                have=tenant.sms_credit,
            )
        )
    return Checked(segment=segment, definition=definition, estimate=cost, send_at=send_at, repeat_until=repeat_until)


def sample_member(tenant: Tenant, definition: Definition, phone: str, now: dt.datetime) -> Member | None:
    """The member typed, or else the first member of the audience."""
    if phone.strip():
        try:
            member = find_by_phone(tenant, member_phone(tenant, phone))
        except MemberError as error:
            raise PromotionError(str(error), field="sample_phone") from None
        if member is None:
            raise PromotionError(_("No member has this phone number."), field="sample_phone")
        return member
    first = audience_query(tenant, definition, now).order_by(Member.id).limit(1)
    member_id = db.scalar(first)
    return db.get(Member, member_id) if member_id is not None else None


def preview(tenant: Tenant, definition: Definition, plan: Plan, sample_phone: str, now: dt.datetime) -> Preview:
    """The message as the sample member would get it, and what the whole audience costs."""
    member = sample_member(tenant, definition, sample_phone, now)
    text = preview_text(tenant, plan.body, member, coupon=EXAMPLE_COUPON if plan.coupon_enabled else None)
    return Preview(
        member=member,
        text=text,
        shape=sms_shape(text),
        estimate=estimate_of(tenant, definition, plan, now),
        credit_now=tenant.sms_credit,
    )


def _values(plan: Plan, checked: Checked) -> dict:
    return {
        "name": plan.name.strip(),
        "body": plan.body.strip(),
        "definition": checked.definition.as_json(),
        "segment_id": checked.segment.id,
        "holdout_percent": plan.holdout_percent,
        "attribution_days": plan.attribution_days,
        "coupon_enabled": plan.coupon_enabled,
        "coupon_offer": plan.coupon_offer.strip() if plan.coupon_enabled else "",
        "coupon_valid_days": plan.coupon_valid_days,
        "send_at": checked.send_at,
        "repeat": plan.repeat,
        "repeat_until": checked.repeat_until,
        "next_run_at": checked.send_at,
        "status": PromotionStatus.SCHEDULED,
        "last_error": None,
    }


def create_promotion(tenant: Tenant, plan: Plan, by_user: User | None, now: dt.datetime) -> Promotion:
    """A scheduled promotion (for now, when it is to be sent now); the caller commits."""
    promotion = Promotion(
        tenant_id=tenant.id,
        created_by_id=by_user.id if by_user else None,
        # Set once: editing the promotion later (its form knows nothing of surveys) keeps it a survey's sending.
        survey_id=plan.survey_id,
        **_values(plan, check(tenant, plan, now)),
    )
    db.add(promotion)
    db.flush()
    return promotion


def _refusal(promotion: Promotion) -> PromotionError:
    if promotion.status == PromotionStatus.CANCELLED:
        return PromotionError(_("This promotion is cancelled."))
    return PromotionError(_("This promotion has already started: its messages are on their way, so it stays as it is."))


def _change(tenant: Tenant, promotion: Promotion, values: dict) -> None:
    # One guarded UPDATE: the scheduler's tick may start the run at any moment, and a run that started wins.
    changed = db.execute(
        update(Promotion)
        .where(Promotion.tenant_id == tenant.id, Promotion.id == promotion.id, Promotion.status.in_(EDITABLE))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.refresh(promotion)
    if not changed:
        raise _refusal(promotion)


def update_promotion(tenant: Tenant, promotion: Promotion, plan: Plan, now: dt.datetime) -> None:
    """Change a promotion that has not started; it is scheduled again (a failed one too)."""
    if promotion.status not in EDITABLE:
        raise _refusal(promotion)
    _change(tenant, promotion, _values(plan, check(tenant, plan, now)))


def cancel_promotion(tenant: Tenant, promotion: Promotion) -> None:
    """Stop a promotion that has not started (a repeating one: its next runs)."""
    if promotion.status not in EDITABLE:
        raise _refusal(promotion)
    _change(tenant, promotion, {"status": PromotionStatus.CANCELLED, "next_run_at": None})


def editable(promotion: Promotion) -> bool:
    return promotion.status in EDITABLE


def plan_of(tenant: Tenant, promotion: Promotion) -> Plan:
    """A saved promotion as the form shows it, times back in the shop's timezone."""
    zone = ZoneInfo(tenant.timezone)
    send_at = promotion.next_run_at or promotion.send_at
    local = send_at.astimezone(zone).replace(tzinfo=None) if send_at else None
    until = promotion.repeat_until.astimezone(zone).date() if promotion.repeat_until else None
    return Plan(
        name=promotion.name,
        segment_id=promotion.segment_id,
        body=promotion.body,
        holdout_percent=promotion.holdout_percent,
        attribution_days=promotion.attribution_days,
        coupon_enabled=promotion.coupon_enabled,
        coupon_offer=promotion.coupon_offer,
        coupon_valid_days=promotion.coupon_valid_days,
        send_at_local=local,
        repeat=promotion.repeat,
        repeat_until_local=until,
    )
