"""Members and their tags."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import _enum


class Gender(enum.StrEnum):
    UNKNOWN = "unknown"
    FEMALE = "female"
    MALE = "male"


class Source(enum.StrEnum):
    """Where a member, or their consent, came from."""

    SMS = "sms"
    PORTAL = "portal"
    WAP = "wap"
    IMPORT = "import"
    API = "api"


member_tags = Table(
    "member_tags",
    Base.metadata,
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(TenantScoped, Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


class Member(TenantScoped, Base):
    """A shop's customer, identified by an E.164 phone number (one member per phone per shop).

    `points_balance`, `total_spent`, `visit_count` and `last_visit_at` are kept by the points services
    in the same transaction as the ledger entry or purchase that changes them.
    """

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "phone"),
        CheckConstraint("points_balance >= 0", name="balance_not_negative"),
        CheckConstraint("birthday_month IS NULL OR birthday_month BETWEEN 1 AND 12", name="birthday_month"),
        CheckConstraint("birthday_day IS NULL OR birthday_day BETWEEN 1 AND 31", name="birthday_day"),
        # The cashier's "last four digits" search.
        Index("ix_members_tenant_phone_tail", "tenant_id", "phone_tail"),
        Index("ix_members_tenant_joined", "tenant_id", "joined_at"),
        # The dashboard's best customers of all time.
        Index("ix_members_tenant_spent", "tenant_id", "total_spent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    phone_tail: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(80), default="")
    gender: Mapped[Gender] = mapped_column(_enum(Gender), default=Gender.UNKNOWN)
    # A solar date, or a lunar month and day (birthday_lunar); the year is optional either way.
    birthday_year: Mapped[int | None]
    birthday_month: Mapped[int | None]
    birthday_day: Mapped[int | None]
    birthday_lunar: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[Source] = mapped_column(_enum(Source))
    # Consent to receive messages: how, when, on what evidence, recorded by whom.
    consent_source: Mapped[Source | None] = mapped_column(_enum(Source))
    consent_at: Mapped[dt.datetime | None]
    consent_evidence: Mapped[str | None] = mapped_column(String(200))
    consent_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opted_out_at: Mapped[dt.datetime | None]
    # The language automatic replies use for this member (None: the shop's, or the keyword's they texted).
    locale: Mapped[str | None] = mapped_column(String(8))
    points_balance: Mapped[int] = mapped_column(default=0)
    total_spent: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    visit_count: Mapped[int] = mapped_column(default=0)
    last_visit_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tags: Mapped[list[Tag]] = relationship(secondary=member_tags, order_by=Tag.name)

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None

    @property
    def birthday_text(self) -> str:
        """The birthday as people write it: 1990-08-15, 08-15, or 农历 08-15."""
        if not (self.birthday_month and self.birthday_day):
            return ""
        text = f"{self.birthday_month:02d}-{self.birthday_day:02d}"
        if self.birthday_year:
            text = f"{self.birthday_year}-{text}"
        return f"农历 {text}" if self.birthday_lunar else text
