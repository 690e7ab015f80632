"""The gateway's own tables: what the SMSC called each part it accepted, and inbound text no shop owns.

They are platform data, not a shop's: only the gateway reads and writes them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mcrm.db import Base, utcnow


class SmscSubmit(Base):
    """One accepted `submit_sm`: a message has one per part. Receipts are matched here by `smsc_id`."""

    __tablename__ = "smsc_submits"
    __table_args__ = (Index("ix_smsc_submits_smsc_id", "smsc_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    part: Mapped[int]  # 1-based
    smsc_id: Mapped[str] = mapped_column(String(64))  # normalised: lower case, no leading zeros
    # None until a receipt arrives, then its stat: DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, ...
    receipt_state: Mapped[str | None] = mapped_column(String(8))
    receipt_error: Mapped[str | None] = mapped_column(String(16))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboundPart(Base):
    """A part of a concatenated inbound message, kept until every part has arrived."""

    __tablename__ = "inbound_parts"
    __table_args__ = (UniqueConstraint("source", "destination", "reference", "total", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(21))
    destination: Mapped[str] = mapped_column(String(21))
    reference: Mapped[int]
    total: Mapped[int]
    seq: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UnroutedMessage(Base):
    """An inbound text to a number no shop has: kept for the platform admin, never lost."""

    __tablename__ = "unrouted_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(21))
    destination: Mapped[str] = mapped_column(String(21))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
