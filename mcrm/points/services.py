"""The points ledger. Every change of a balance goes through `_book`; callers commit.

A booking is one guarded UPDATE of the member's balance (never below zero, atomic under concurrency)
and one INSERT of the ledger entry with the balance after it, inside a savepoint. A retried request
with the same idempotency key hits the unique key on the entry, the savepoint undoes the balance
change, and the first request's entry is returned instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mcrm.db import db, utcnow
from mcrm.members.models import Member
from mcrm.points.models import Channel, EntryReason, LedgerEntry, Purchase, Reward
from tenants.models import Tenant, User

# One purchase of a small shop; far below what total_spent (Numeric(14, 2)) can add up.
MAX_AMOUNT = Decimal("1000000")
# Balances and entries are 32-bit integers on PostgreSQL.
MAX_POINTS = 2**31 - 1


class PointsError(ValueError):
    """A points request that cannot be carried out; the message is for people."""


class InsufficientPoints(PointsError):
    """The balance is short of what a redemption, adjustment or reversal would take off."""


@dataclass(frozen=True)
class Booking:
    entry: LedgerEntry
    replayed: bool  # True when an earlier request with the same idempotency key had already booked it


def points_for(tenant: Tenant, amount: Decimal) -> int:
    """Points a purchase of `amount` earns under the shop's rule, rounded down."""
    if amount < tenant.points_min_amount:
        return 0
    return int((amount * tenant.points_per_unit).to_integral_value(rounding=ROUND_FLOOR))


def parse_amount(text) -> Decimal:
    """A purchase amount: positive, at most two decimals."""
    try:
        amount = Decimal(str(text).strip().replace(",", "").replace("¥", "").replace("￥", ""))
    except (InvalidOperation, ValueError):
        raise PointsError(_("Enter the amount as a number, e.g. 88.50.")) from None
    if not amount.is_finite() or amount <= 0:
        raise PointsError(_("The amount must be more than 0."))
    if amount > MAX_AMOUNT:
        raise PointsError(_("The amount can be at most %(max)s.", max=f"{MAX_AMOUNT:,}"))
    if amount != amount.quantize(Decimal("0.01")):
        raise PointsError(_("The amount can have at most two decimals."))
    return amount


def _existing(tenant: Tenant, key: str) -> LedgerEntry:
    return db.scalar(select(LedgerEntry).where(LedgerEntry.tenant_id == tenant.id, LedgerEntry.idempotency_key == key))


def _book(
    tenant: Tenant,
    member: Member,
    points: int,
    reason: EntryReason,
    *,
    note: str = "",
    by_user: User | None = None,
    idempotency_key: str | None = None,
    purchase: Purchase | None = None,
    reward: Reward | None = None,
    member_updates: dict | None = None,
) -> Booking:
    if idempotency_key:
        earlier = _existing(tenant, idempotency_key)
        if earlier is not None:
            return Booking(earlier, replayed=True)
    if abs(points) > MAX_POINTS:
        raise PointsError(_("A balance can hold at most %(max)d points.", max=MAX_POINTS))
    savepoint = db.begin_nested()
    try:
        if purchase is not None:
            db.add(purchase)
            db.flush()
        balance = db.execute(
            update(Member)
            .where(
                Member.id == member.id,
                Member.tenant_id == tenant.id,
                # Compared with a constant so that PostgreSQL's 32-bit arithmetic cannot overflow:
                # taking off may not go below zero, adding may not go past the largest balance.
                Member.points_balance >= -points if points < 0 else Member.points_balance <= MAX_POINTS - points,
            )
            .values(points_balance=Member.points_balance + points, **(member_updates or {}))
            .returning(Member.points_balance)
            .execution_options(synchronize_session=False)
        ).scalar()
        if balance is None:
            savepoint.rollback()
            if points > 0:
                raise PointsError(_("A balance can hold at most %(max)d points.", max=MAX_POINTS))
            raise InsufficientPoints(
                _("Not enough points: the balance is %(balance)d.", balance=current_balance(member))
            )
        entry = LedgerEntry(
            tenant_id=tenant.id,
            member_id=member.id,
            points=points,
            balance_after=balance,
            reason=reason,
            note=note[:200],
            purchase_id=purchase.id if purchase else None,
            reward_id=reward.id if reward else None,
            created_by_id=by_user.id if by_user else None,
            idempotency_key=idempotency_key or None,
        )
        db.add(entry)
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()  # the failed flush leaves the savepoint to be rolled back
        if not idempotency_key:
            raise
        # Another request with this key booked first (and has committed: our insert waited for it).
        return Booking(_existing(tenant, idempotency_key), replayed=True)
    db.refresh(member, ["points_balance", "total_spent", "visit_count", "last_visit_at"])
    return Booking(entry, replayed=False)


def current_balance(member: Member) -> int:
    return db.scalar(select(Member.points_balance).where(Member.id == member.id))


def book_welcome_bonus(tenant: Tenant, member: Member, *, by_user: User | None = None) -> None:
    if tenant.welcome_bonus > 0:
        _book(tenant, member, tenant.welcome_bonus, EntryReason.WELCOME, note=_("Welcome bonus"), by_user=by_user)


def record_purchase(
    tenant: Tenant,
    member: Member,
    amount: Decimal,
    *,
    channel: Channel,
    occurred_at: dt.datetime | None = None,
    by_user: User | None = None,
    idempotency_key: str | None = None,
) -> Booking:
    """Record a purchase and the points it earns (an entry is booked even when it earns none)."""
    occurred_at = occurred_at or utcnow()
    if occurred_at > utcnow() + dt.timedelta(minutes=5):
        raise PointsError(_("A purchase cannot be in the future."))
    points = points_for(tenant, amount)
    purchase = Purchase(
        tenant_id=tenant.id,
        member_id=member.id,
        amount=amount,
        occurred_at=occurred_at,
        channel=channel,
        recorded_by_id=by_user.id if by_user else None,
        points_earned=points,
    )
    last_visit = func.coalesce(Member.last_visit_at, occurred_at)
    updates = {
        "total_spent": Member.total_spent + amount,
        "visit_count": Member.visit_count + 1,
        # The latest purchase, even when an older one is recorded late.
        "last_visit_at": func.max(last_visit, occurred_at)
        if db.get_bind().dialect.name == "sqlite"
        else func.greatest(last_visit, occurred_at),
    }
    return _book(
        tenant,
        member,
        points,
        EntryReason.PURCHASE,
        note=f"{amount:.2f}",
        by_user=by_user,
        idempotency_key=idempotency_key,
        purchase=purchase,
        member_updates=updates,
    )


def redeem(
    tenant: Tenant,
    member: Member,
    points: int,
    *,
    note: str = "",
    reward: Reward | None = None,
    by_user: User | None = None,
    idempotency_key: str | None = None,
) -> Booking:
    """Take points off for a reward or another reason; InsufficientPoints when the balance is short."""
    if reward is not None:
        points, note = reward.points_cost, note or reward.name
    if points <= 0:
        raise PointsError(_("Redeem a positive number of points."))
    if not note.strip():
        raise PointsError(_("Say what the points were redeemed for."))
    return _book(
        tenant,
        member,
        -points,
        EntryReason.REDEMPTION,
        note=note,
        reward=reward,
        by_user=by_user,
        idempotency_key=idempotency_key,
    )


def adjust(tenant: Tenant, member: Member, points: int, *, note: str, by_user: User | None = None) -> Booking:
    """The owner's correction, up or down, with the reason."""
    if points == 0:
        raise PointsError(_("An adjustment must add or take off points."))
    if not note.strip():
        raise PointsError(_("Give the reason for the adjustment."))
    return _book(tenant, member, points, EntryReason.ADJUSTMENT, note=note, by_user=by_user)


def book_adjustments(
    tenant: Tenant,
    points_by_member: dict[int, int],
    *,
    note: str,
    by_user_id: int | None = None,
    reason: EntryReason = EntryReason.ADJUSTMENT,
) -> None:
    """Add points to many members at once, set-based (the CSV import's opening balances, greeting gifts);
    the caller commits.

    Like `adjust`, each member gets an entry with the balance after it, in the same transaction as the
    balance; only additions, so no balance can go below zero.
    """
    if any(points <= 0 for points in points_by_member.values()):
        raise PointsError(_("Only positive points can be added at once."))
    members = Member.__table__
    db.execute(
        update(members)
        .where(members.c.id == bindparam("member_id"), members.c.tenant_id == tenant.id)
        .values(points_balance=members.c.points_balance + bindparam("points")),
        [{"member_id": member_id, "points": points} for member_id, points in points_by_member.items()],
    )
    balances = dict(
        db.execute(
            select(Member.id, Member.points_balance).where(
                Member.tenant_id == tenant.id, Member.id.in_(list(points_by_member))
            )
        ).all()
    )
    db.execute(
        insert(LedgerEntry),
        [
            {
                "tenant_id": tenant.id,
                "member_id": member_id,
                "points": points,
                "balance_after": balances[member_id],
                "reason": reason,
                "note": note[:200],
                "created_by_id": by_user_id,
            }
            for member_id, points in points_by_member.items()
        ],
    )


def reverse_purchase(tenant: Tenant, purchase: Purchase, *, by_user: User | None = None) -> Booking:
    """Undo a purchase: its points come back off and it stops counting as spending (once only)."""
    savepoint = db.begin_nested()
    try:
        marked = db.execute(
            update(Purchase)
            .where(Purchase.id == purchase.id, Purchase.tenant_id == tenant.id, Purchase.reversed_at.is_(None))
            .values(reversed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if marked != 1:
            raise PointsError(_("This purchase was already reversed."))
        updates = {"total_spent": Member.total_spent - purchase.amount, "visit_count": Member.visit_count - 1}
        try:
            booking = _book(
                tenant,
                purchase.member,
                -purchase.points_earned,
                EntryReason.REVERSAL,
                note=f"{purchase.amount:.2f}",
                by_user=by_user,
                member_updates=updates,
            )
        except InsufficientPoints:
            raise InsufficientPoints(
                _("The member has already spent these points; adjust the balance instead.")
            ) from None
    except PointsError:
        savepoint.rollback()
        raise
    savepoint.commit()
    db.refresh(purchase, ["reversed_at"])
    return booking


def ledger_mismatches() -> list[tuple[int, int, str, int, int]]:
    """(tenant id, member id, phone, balance, ledger sum) for every member whose ledger does not add up."""
    sums = (
        select(LedgerEntry.member_id, func.sum(LedgerEntry.points).label("total"))
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    total = func.coalesce(sums.c.total, 0)
    query = (
        select(Member.tenant_id, Member.id, Member.phone, Member.points_balance, total)
        .outerjoin(sums, sums.c.member_id == Member.id)
        .where(Member.points_balance != total)
        .order_by(Member.tenant_id, Member.id)
    )
    return [tuple(row) for row in db.execute(query)]
