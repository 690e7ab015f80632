"""Stored messages and their states."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import _enum


class Direction(enum.StrEnum):
    OUT = "out"
    IN = "in"


class MessageKind(enum.StrEnum):
    REPLY = "reply"  # an answer to the consumer's own message
    TRANSACTIONAL = "transactional"  # points receipts, reminders to the merchant
    CARE = "care"  # greetings
    MARKETING = "marketing"  # promotions, surveys


class MessageStatus(enum.StrEnum):
    """Outbound: queued → sending → sent → delivered | undelivered, or sending → failed.

    Inbound messages are stored as `received`. A queued message of a suspended shop stays queued
    until the shop is active again.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"


class Message(TenantScoped, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # The gateway's queue: only the few pending rows are indexed.
        # A member's message history.
        Index("ix_messages_tenant_phone", "tenant_id", "phone"),
        Index(
            "ix_messages_queued",
            "id",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind))
    phone: Mapped[str] = mapped_column(String(20))  # the other party, E.164
    shop_number: Mapped[str] = mapped_column(String(21))  # the shop's SMS number
    body: Mapped[str] = mapped_column(Text)
    # How it travels and what it cost: GSM-7 or UCS-2, and the number of SMS parts (= credits).
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    parts: Mapped[int] = mapped_column(default=1)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus))
    error: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
