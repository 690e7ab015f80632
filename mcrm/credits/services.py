"""Granting, spending and refunding SMS credit. The balance lives on the tenant and changes only here,
with a guarded UPDATE in the same transaction as its ledger entry (as the points ledger does)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from mcrm.credits.models import CreditEntry, CreditReason
from mcrm.db import db
from tenants.models import Tenant, User

MAX_CREDIT = 2**31 - 1


class NotEnoughCredit(ValueError):
    """The shop's SMS credit is short of what sending would cost."""


def _book(
    tenant: Tenant,
    credits: int,
    reason: CreditReason,
    *,
    note: str = "",
    message_id: int | None = None,
    by_user: User | None = None,
) -> CreditEntry:
    guard = Tenant.sms_credit >= -credits if credits < 0 else Tenant.sms_credit <= MAX_CREDIT - credits
    balance = db.execute(
        update(Tenant)
        .where(Tenant.id == tenant.id, guard)
        .values(sms_credit=Tenant.sms_credit + credits)
        .returning(Tenant.sms_credit)
        .execution_options(synchronize_session=False)
    ).scalar()
    if balance is None:
        if credits < 0:
            raise NotEnoughCredit(
                _(
                    "Not enough SMS credit: this needs %(need)d and %(left)d are left.",
                    need=-credits,
                    left=credit_balance(tenant),
                )
            )
        raise ValueError(_("A shop can hold at most %(max)d credits.", max=MAX_CREDIT))
    entry = CreditEntry(
        tenant_id=tenant.id,
        credits=credits,
        balance_after=balance,
        reason=reason,
        note=note[:200],
        message_id=message_id,
        created_by_id=by_user.id if by_user else None,
    )
    db.add(entry)
    db.flush()
    # The caller's Tenant (possibly from another session) shows the new balance without a reload.
    set_committed_value(tenant, "sms_credit", balance)
    return entry


def credit_balance(tenant: Tenant) -> int:
    return db.scalar(select(Tenant.sms_credit).where(Tenant.id == tenant.id))


def grant(
    tenant: Tenant,
    credits: int,
    *,
    reason: CreditReason = CreditReason.TOP_UP,
    note: str = "",
    by_user: User | None = None,
) -> CreditEntry:
    """Add credit: the platform's top-up, or a new shop's trial credit."""
    if credits <= 0:
        raise ValueError(_("Top up a positive number of credits."))
    return _book(tenant, credits, reason, note=note, by_user=by_user)


def spend(tenant: Tenant, credits: int, *, message_id: int | None = None, note: str = "") -> CreditEntry:
    """Take credit for SMS parts; NotEnoughCredit (and nothing booked) when the balance is short."""
    return _book(tenant, -credits, CreditReason.SPEND, note=note, message_id=message_id)


def refund(tenant: Tenant, credits: int, *, message_id: int | None = None, note: str = "") -> CreditEntry:
    """Give back the credit of a message that could not be sent."""
    return _book(tenant, credits, CreditReason.REFUND, note=note, message_id=message_id)


def usage(tenant: Tenant) -> dict[CreditReason, int]:
    """Credits by reason over the shop's life (for the shop's usage page)."""
    rows = db.execute(
        select(CreditEntry.reason, func.sum(CreditEntry.credits))
        .where(CreditEntry.tenant_id == tenant.id)
        .group_by(CreditEntry.reason)
    )
    return {reason: abs(total) for reason, total in rows}
