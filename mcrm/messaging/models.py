"""Stored messages and their states."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
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
    """Where a message is in its life.

    Outbound::

        queue_sms ─┬─► queued ───────────────────────► sending ──► sent ──┬─► delivered
                   │     │  ▲                            │ │ │            ├─► undelivered
                   │     │  └── deferred (quiet hours) ◄─┘ │ │            └─► expired
                   │     ├─► suppressed (reason)  ◄────────┘ │   (the receipt says so)
                   │     └─► expired (not sent in time)      ├─► failed (the SMSC refused it)
                   └─► deferred / suppressed                 └─► unknown (the link dropped before
                                                                 the SMSC answered: maybe sent)

    The gateway re-checks the policies when it claims a message, so a message can go back from
    `sending` to `deferred` (quiet hours began), to `suppressed` (the member opted out, the daily cap is
    reached) or to `expired`, before anything reaches the network. Suppressed, expired and failed
    messages give their credit back; `unknown` does not, because the SMSC may have sent it. A queued
    message of a suspended shop stays queued until the shop is active again.

    Inbound messages are stored as `received`; `handled_at` says when the router answered them.
    """

    QUEUED = "queued"
    DEFERRED = "deferred"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    EXPIRED = "expired"
    SUPPRESSED = "suppressed"
    UNKNOWN = "unknown"
    RECEIVED = "received"


# States a message never leaves.
FINAL_STATES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.EXPIRED,
        MessageStatus.SUPPRESSED,
        MessageStatus.UNKNOWN,
        MessageStatus.RECEIVED,
    }
)
# States waiting for the gateway.
PENDING_STATES = (MessageStatus.QUEUED, MessageStatus.DEFERRED)


class Problem(enum.StrEnum):
    """What the pipeline itself writes into `Message.error` (the SMSC's own words are stored as given)."""

    NO_CREDIT_TO_ANSWER = "no SMS credit left to answer"
    EXPIRED_UNSENT = "not sent before it expired"
    LINK_DROPPED = "the SMPP link dropped before the SMSC answered"
    STOPPED_MID_MESSAGE = "the gateway stopped mid-message"
    GATEWAY_STOPPED = "the gateway stopped while sending"
    GATEWAY_RESTARTED = "the gateway restarted while sending"


class SuppressReason(enum.StrEnum):
    OPTED_OUT = "opted_out"
    DAILY_CAP = "daily_cap"


class Message(TenantScoped, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A member's message history.
        Index("ix_messages_tenant_phone", "tenant_id", "phone"),
        # The gateway's queue: only the few pending rows are indexed.
        Index(
            "ix_messages_pending",
            "id",
            sqlite_where=text("status IN ('queued', 'deferred')"),
            postgresql_where=text("status IN ('queued', 'deferred')"),
        ),
        # Rows a gateway holds; what a crashed gateway left is found here.
        Index(
            "ix_messages_sending",
            "gateway",
            sqlite_where=text("status = 'sending'"),
            postgresql_where=text("status = 'sending'"),
        ),
        # A second queue of the same logical message is a no-op.
        UniqueConstraint("tenant_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    kind: Mapped[MessageKind | None] = mapped_column(_enum(MessageKind))  # None for inbound
    phone: Mapped[str] = mapped_column(String(20))  # the other party, E.164
    shop_number: Mapped[str] = mapped_column(String(21))  # the shop's SMS number
    body: Mapped[str] = mapped_column(Text)
    # How it travels and what it cost: GSM-7 or UCS-2, and the number of SMS parts (= credits).
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    parts: Mapped[int] = mapped_column(default=1)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus))
    suppressed_reason: Mapped[SuppressReason | None] = mapped_column(_enum(SuppressReason))
    error: Mapped[str | None] = mapped_column(String(200))  # as the SMSC or the transport said it
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the SMSC's id (first part)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    send_after: Mapped[dt.datetime | None]  # deferred until then (the end of quiet hours)
    expires_at: Mapped[dt.datetime | None]  # not worth sending after this
    gateway: Mapped[str | None] = mapped_column(String(120))  # the gateway process that claimed it
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)  # the admin's send rate reads recent ones
    delivered_at: Mapped[dt.datetime | None]
    handled_at: Mapped[dt.datetime | None]  # inbound: when the router answered it
    # The promotion run that wrote it (its progress and results read these rows).
    promotion_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotion_runs.id", ondelete="SET NULL"), index=True
    )
