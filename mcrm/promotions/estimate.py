"""What sending a promotion would cost: its audience, hold-out, recipients and SMS credits, in one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import String, func, literal, select

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.promotions.coupon_codes import MIN_COUPON_DIGITS, coupon_digits
from mcrm.promotions.materialise import holdout_size
from mcrm.promotions.sms_sql import personalise
from mcrm.segments.compile import audience_query
from mcrm.segments.conditions import Definition
from tenants.models import Tenant


@dataclass(frozen=True)
class Estimate:
    audience: int  # members matching now, hold-out included
    held_out: int
    recipients: int
    credits: int  # before the daily cap, which can only lower it
    credit_left_after: int  # negative when the shop is short
    enough_credit: bool


def _coupon_of_length(digits: int):
    # Codes are three capital letters and digits: every one costs the same in both encodings.
    return literal("A" * 3 + "0" * digits, String)


def estimate(
    tenant: Tenant,
    definition: Definition | dict,
    body: str,
    holdout_percent: int,
    coupon_enabled: bool,
    now: dt.datetime,
) -> Estimate:
    """The figures the compose page shows; the run itself counts the same way (materialise)."""
    audience = audience_query(tenant, definition, now).subquery("audience")

    def totals(digits: int) -> tuple[int, int]:
        shape = personalise(tenant, body, coupon=_coupon_of_length(digits) if coupon_enabled else None)
        query = (
            select(func.count(), func.coalesce(func.sum(shape.parts), 0))
            .select_from(Member)
            .join(audience, audience.c.member_id == Member.id)
            .where(Member.tenant_id == tenant.id)
        )
        count, parts = db.execute(query).one()
        return count, int(parts)

    count, parts = totals(MIN_COUPON_DIGITS)
    held_out = holdout_size(count, holdout_percent) if holdout_percent > 0 else 0
    recipients = count - held_out
    if coupon_enabled and coupon_digits(recipients) != MIN_COUPON_DIGITS:
        count, parts = totals(coupon_digits(recipients))  # over a million recipients: longer codes
    # The hold-out is a random share: its part of the cost is taken out in proportion, rounded up.
    credits = -(-parts * recipients // count) if count else 0
    left = tenant.sms_credit - credits
    return Estimate(count, held_out, recipients, credits, left, left >= 0)
