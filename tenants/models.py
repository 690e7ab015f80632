"""Shops, their users and roles."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Numeric, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.plans import Plan


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings so adding a value never needs a PostgreSQL type migration.
    return Enum(
        cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e], validate_strings=True
    )


class TenantStatus(enum.StrEnum):
    """active ⇄ suspended (by the platform admin); a suspended shop cannot log in or send."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class Role(enum.StrEnum):
    OWNER = "owner"  # everything, including settings, exports and staff
    STAFF = "staff"  # members, purchases, feedback
    ADMIN = "admin"  # the platform operator; belongs to no shop


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (CheckConstraint("sms_credit >= 0", name="sms_credit_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    # Digits appended to MCRM_SHORT_CODE to make the shop's SMS number.
    sms_extension: Mapped[str] = mapped_column(String(8), unique=True)
    signature: Mapped[str] = mapped_column(String(30))
    quiet_start: Mapped[dt.time] = mapped_column(Time, default=dt.time(21, 0))
    quiet_end: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 0))
    # Ends every marketing message; empty means the default for the shop's language ("回TD退订").
    opt_out_line: Mapped[str] = mapped_column(String(40), default="")
    marketing_daily_cap: Mapped[int] = mapped_column(default=1)  # marketing messages per member per day
    complaint_alerts: Mapped[bool] = mapped_column(default=True)  # text the owners' phones on a complaint
    # ISO 3166 region: the default for members' phone numbers (and later, public holidays).
    country: Mapped[str] = mapped_column(String(2), default="CN")
    # The earning rule: floor(amount × points_per_unit) points for a purchase of at least points_min_amount.
    points_per_unit: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("1"))
    points_min_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    welcome_bonus: Mapped[int] = mapped_column(default=0)
    # Members' RFM scores look at this many days of purchases, today included (mcrm.analytics.rfm).
    rfm_window_days: Mapped[int] = mapped_column(default=365)
    # SMS credits left; changed only by mcrm.credits with a ledger entry.
    sms_credit: Mapped[int] = mapped_column(default=0)
    status: Mapped[TenantStatus] = mapped_column(_enum(TenantStatus), default=TenantStatus.ACTIVE)
    plan: Mapped[Plan] = mapped_column(_enum(Plan), default=Plan.TRIAL)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="tenant", order_by="User.id")

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class User(UserMixin, TenantScoped, Base):
    """A person who logs in: a shop's owner or staff, or a platform admin (no shop)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("(role = 'admin') = (tenant_id IS NULL)", name="admin_has_no_tenant"),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # Either identifies the user at login; both are unique across the platform.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Part of the login cookie: bumping it ends every session and remember-me cookie of this user.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tenant: Mapped[Tenant | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active and (self.tenant is None or self.tenant.is_active)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def login(self) -> str:
        return self.email or self.phone or ""
