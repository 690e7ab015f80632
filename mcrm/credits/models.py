"""The SMS credit ledger."""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import User, _enum


class CreditReason(enum.StrEnum):
    TRIAL = "trial"  # the credit a new shop starts with
    TOP_UP = "top_up"  # bought from the platform
    SPEND = "spend"  # one credit per SMS part queued
    REFUND = "refund"  # a send that failed gives its credit back


CREDIT_REASON_LABELS = {
    CreditReason.TRIAL: _l("Trial credit"),
    CreditReason.TOP_UP: _l("Top-up"),
    CreditReason.SPEND: _l("SMS sent"),
    CreditReason.REFUND: _l("Refund for a failed send"),
}


class CreditEntry(TenantScoped, Base):
    """One signed change of a shop's SMS credit; entries are only added, like the points ledger."""

    __tablename__ = "credit_entries"
    __table_args__ = (
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        Index("ix_credit_entries_tenant_id_id", "tenant_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credits: Mapped[int]
    balance_after: Mapped[int]
    reason: Mapped[CreditReason] = mapped_column(_enum(CreditReason))
    note: Mapped[str] = mapped_column(String(200), default="")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()
