"""What a shop changes about its SMS conversation: keyword aliases, reply texts, and the owner's pending
`QF` broadcasts that wait for a `Y`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mcrm.db import Base, utcnow
from mcrm.keywords.system import Action
from tenants.isolation import TenantScoped
from tenants.models import _enum


class KeywordAlias(TenantScoped, Base):
    """A shop's own word for a system action (`JOIN` → also `入会`). It adds to the system keywords; it
    never replaces or removes one."""

    __tablename__ = "keyword_aliases"
    __table_args__ = (UniqueConstraint("tenant_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(20))  # normalised
    action: Mapped[Action] = mapped_column(_enum(Action))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReplyText(TenantScoped, Base):
    """The owner's wording of one automatic reply in one language; without a row the default is used."""

    __tablename__ = "reply_texts"
    __table_args__ = (UniqueConstraint("tenant_id", "key", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PendingBroadcast(TenantScoped, Base):
    """An owner's `QF <list> <text>`: sized and priced, sent only if the owner answers `Y` before
    `expires_at`."""

    __tablename__ = "pending_broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))
    app_id: Mapped[int] = mapped_column(ForeignKey("keyword_apps.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[int]
    credits: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
