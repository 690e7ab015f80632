"""The merchant's reminders and the record of each time one was due."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import User, _enum


class ReminderRepeat(enum.StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"  # the same day; the month's last day when it is shorter
    YEARLY = "yearly"
    CRON = "cron"  # a five-field cron expression in the shop's timezone


reminder_recipients = Table(
    "reminder_recipients",
    Base.metadata,
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("reminder_id", ForeignKey("reminders.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Reminder(TenantScoped, Base):
    """A text the shop's own phones get at `next_at`, then at each repeat."""

    __tablename__ = "reminders"
    __table_args__ = (
        # The scheduler's tick: only reminders waiting to go are indexed.
        Index(
            "ix_reminders_due",
            "next_at",
            sqlite_where=text("paused = 0 AND next_at IS NOT NULL"),
            postgresql_where=text("paused = false AND next_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    first_at: Mapped[dt.datetime]  # UTC: the first time, whose local clock time the repeats keep
    next_at: Mapped[dt.datetime | None]  # UTC; None when nothing more is due
    repeat: Mapped[ReminderRepeat] = mapped_column(_enum(ReminderRepeat), default=ReminderRepeat.NONE)
    cron: Mapped[str | None] = mapped_column(String(100))
    paused: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Read-only: a link row needs the shop's id, which the ORM would not fill in; services write the links.
    recipients: Mapped[list[User]] = relationship(secondary=reminder_recipients, order_by=User.id, viewonly=True)


class ReminderSendStatus(enum.StrEnum):
    SENT = "sent"
    MISSED = "missed"
    FAILED = "failed"


class ReminderSend(TenantScoped, Base):
    """One due time of a reminder, handled once (unique per reminder and due time)."""

    __tablename__ = "reminder_sends"
    __table_args__ = (UniqueConstraint("reminder_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    due_at: Mapped[dt.datetime]
    handled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[ReminderSendStatus] = mapped_column(_enum(ReminderSendStatus))
    messages: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(200))
