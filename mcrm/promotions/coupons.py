"""Coupons at the counter: look a code up, show the cashier whose it is, redeem it exactly once."""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from mcrm.care.models import GreetingRule, GreetingRun
from mcrm.db import db
from mcrm.feedback.services import masked_phone
from mcrm.members.models import Member
from mcrm.points.models import Channel
from mcrm.promotions.models import Coupon, Promotion, PromotionRun
from mcrm.surveys.models import Survey, SurveyResponse
from tenants.models import Tenant, User

# Codes are capital letters and digits (KPW482931) and fit the column; anything else is no code at all,
# and is answered without a query (a NUL byte would even make PostgreSQL fail).
CODE_SHAPE = re.compile(r"[A-Z0-9]{1,16}")


class CouponStatus(enum.StrEnum):
    VALID = "valid"
    REDEEMED = "redeemed"
    EXPIRED = "expired"


STATUS_LABELS = {
    CouponStatus.VALID: _l("valid"),
    CouponStatus.REDEEMED: _l("redeemed"),
    CouponStatus.EXPIRED: _l("expired"),
}


class CouponError(ValueError):
    """A coupon that cannot be redeemed; the message is for the cashier, `reason` for machines."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def normalise_code(text: str) -> str:
    """The code as stored, from what a cashier typed: full-width forms, lower case, spaces and dashes forgiven."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) != "Pd")


def find_coupon(tenant: Tenant, code: str) -> Coupon | None:
    """The shop's coupon with this code as typed, or None."""
    code = normalise_code(code)
    if not CODE_SHAPE.fullmatch(code):
        return None
    return db.scalar(select(Coupon).where(Coupon.tenant_id == tenant.id, Coupon.code == code))


def status_of(coupon: Coupon, now: dt.datetime) -> CouponStatus:
    if coupon.redeemed_at is not None:
        return CouponStatus.REDEEMED
    return CouponStatus.EXPIRED if coupon.expires_at <= now else CouponStatus.VALID


def _local(tenant: Tenant, moment: dt.datetime) -> str:
    return moment.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M")


def _refusal(tenant: Tenant, coupon: Coupon) -> CouponError:
    if coupon.redeemed_at is not None:
        return CouponError(
            _(
                "Coupon %(code)s was already redeemed at %(time)s.",
                code=coupon.code,
                time=_local(tenant, coupon.redeemed_at),
            ),
            CouponStatus.REDEEMED.value,
        )
    return CouponError(
        _("Coupon %(code)s expired at %(time)s.", code=coupon.code, time=_local(tenant, coupon.expires_at)),
        CouponStatus.EXPIRED.value,
    )


def unknown(code: str) -> CouponError:
    return CouponError(_("No coupon with the code %(code)s in this shop.", code=normalise_code(code)), "unknown")


def redeem(tenant: Tenant, code: str, user: User | None, via: Channel, now: dt.datetime) -> Coupon:
    """Mark the coupon redeemed by `user` through `via`, or raise CouponError (unknown, redeemed, expired).

    A coupon sent stays good when its promotion is cancelled later: the member holds it.
    """
    coupon = find_coupon(tenant, code)
    if coupon is None:
        raise unknown(code)
    if status_of(coupon, now) is not CouponStatus.VALID:
        raise _refusal(tenant, coupon)
    # The condition is checked again by the UPDATE itself: of two cashiers tapping at once, one
    # changes the row and the other, waiting on its lock, finds it redeemed and changes nothing.
    result = db.execute(
        update(Coupon)
        .where(
            Coupon.tenant_id == tenant.id,
            Coupon.id == coupon.id,
            Coupon.redeemed_at.is_(None),
            Coupon.expires_at > now,
        )
        .values(redeemed_at=now, redeemed_by_id=user.id if user else None, redeemed_via=via.value)
        .execution_options(synchronize_session=False)
    )
    db.refresh(coupon)
    if result.rowcount != 1:
        raise _refusal(tenant, coupon)
    return coupon


@dataclass(frozen=True)
class CouponView:
    """What the cashier (or the till) needs to see about a coupon."""

    code: str
    status: CouponStatus
    offer: str
    promotion: str
    member_id: int
    member_name: str
    member_phone: str
    masked_phone: str
    expires_at: dt.datetime
    redeemed_at: dt.datetime | None

    @property
    def member_label(self) -> str:
        """王芳 (138****8000), or the masked number alone for a member without a name."""
        return f"{self.member_name} ({self.masked_phone})" if self.member_name else self.masked_phone

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def coupon_view(tenant: Tenant, coupon: Coupon, now: dt.datetime) -> CouponView:
    giver_name, offer = _giver(tenant, coupon)
    name, phone = db.execute(
        select(Member.name, Member.phone).where(Member.id == coupon.member_id, Member.tenant_id == tenant.id)
    ).one()
    return CouponView(
        code=coupon.code,
        status=status_of(coupon, now),
        offer=offer or giver_name,  # a promotion saved without an offer: its name says what it was
        promotion=giver_name,
        member_id=coupon.member_id,
        member_name=name,
        member_phone=phone,
        masked_phone=masked_phone(phone),
        expires_at=coupon.expires_at,
        redeemed_at=coupon.redeemed_at,
    )


def _giver(tenant: Tenant, coupon: Coupon) -> tuple[str, str]:
    """(name, offer) of what gave the coupon: a promotion, a greeting rule or a survey."""
    if coupon.greeting_run_id is not None:
        query = (
            select(GreetingRule.name, GreetingRule.coupon_offer)
            .join(GreetingRun, GreetingRun.rule_id == GreetingRule.id)
            .where(GreetingRun.id == coupon.greeting_run_id, GreetingRun.tenant_id == tenant.id)
        )
    elif coupon.survey_response_id is not None:
        query = (
            select(Survey.name, Survey.coupon_offer)
            .join(SurveyResponse, SurveyResponse.survey_id == Survey.id)
            .where(SurveyResponse.id == coupon.survey_response_id, SurveyResponse.tenant_id == tenant.id)
        )
    else:
        query = (
            select(Promotion.name, Promotion.coupon_offer)
            .join(PromotionRun, PromotionRun.promotion_id == Promotion.id)
            .where(PromotionRun.id == coupon.run_id, PromotionRun.tenant_id == tenant.id)
        )
    name, offer = db.execute(query).one()
    return name, offer
