"""Purchases, the append-only points ledger, and the shop's rewards."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from mcrm.members.models import Member
from tenants.isolation import TenantScoped
from tenants.models import User, _enum


class Channel(enum.StrEnum):
    PORTAL = "portal"
    WAP = "wap"
    API = "api"
    IMPORT = "import"
    SMS = "sms"


class EntryReason(enum.StrEnum):
    WELCOME = "welcome"
    PURCHASE = "purchase"
    REDEMPTION = "redemption"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    GIFT = "gift"  # a greeting's bonus points (birthday, holiday)


class Purchase(TenantScoped, Base):
    """A purchase a cashier or the POS recorded; reversing it sets `reversed_at` (once) and books a reversal."""

    __tablename__ = "purchases"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_purchases_member_occurred", "member_id", "occurred_at"),
        Index("ix_purchases_tenant_occurred", "tenant_id", "occurred_at"),
        # The dashboard's figures count a period's purchases that stand: read from the index alone.
        Index(
            "ix_purchases_tenant_counted",
            "tenant_id",
            "occurred_at",
            postgresql_include=["member_id", "amount"],
            postgresql_where=text("reversed_at IS NULL"),
            sqlite_where=text("reversed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    points_earned: Mapped[int] = mapped_column(default=0)
    reversed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class Reward(TenantScoped, Base):
    """Something a member can redeem points for (a free drink: 100 points)."""

    __tablename__ = "rewards"
    __table_args__ = (CheckConstraint("points_cost > 0", name="cost_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    points_cost: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)


class LedgerEntry(TenantScoped, Base):
    """One signed change of a member's points. Entries are only ever added; a correction is a new entry."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # A retried request with the same key finds the first one's entry instead of booking again.
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        Index("ix_ledger_entries_member_id_id", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    points: Mapped[int]
    balance_after: Mapped[int]
    reason: Mapped[EntryReason] = mapped_column(_enum(EntryReason))
    note: Mapped[str] = mapped_column(String(200), default="")
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id", ondelete="SET NULL"))
    reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()
    reward: Mapped[Reward | None] = relationship()
