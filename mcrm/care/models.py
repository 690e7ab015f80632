"""Greeting rules and the record of each occasion they greeted (or missed)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import _enum


class GreetingKind(enum.StrEnum):
    BIRTHDAY = "birthday"  # each member's birthday (solar, or lunar on the solar day it falls on that year)
    HOLIDAY = "holiday"  # a public holiday or festival of the shop's country (the `holidays` library)
    SPECIAL_DAY = "special_day"  # the shop's own date: once, or every year
    ANNIVERSARY = "anniversary"  # each member's membership anniversary


class GreetingRule(TenantScoped, Base):
    """What to send, to whom and when, for one kind of occasion. New shops get one of each kind, off."""

    __tablename__ = "greeting_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[GreetingKind] = mapped_column(_enum(GreetingKind))
    name: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(default=False)
    template: Mapped[str] = mapped_column(Text, default="")  # {name}, {points}, {shop}, {coupon}
    send_hour: Mapped[int] = mapped_column(default=10)  # shop-local hour of the day
    days_before: Mapped[int] = mapped_column(default=0)  # birthday and anniversary: 0 = on the day
    gift_points: Mapped[int] = mapped_column(default=0)  # bonus points credited with the greeting
    # A coupon with the greeting: what it offers ("" = no coupon) and how long it stays good.
    coupon_offer: Mapped[str] = mapped_column(String(80), default="")
    coupon_valid_days: Mapped[int] = mapped_column(default=30)
    # Holiday: the holiday's name as the `holidays` library gives it in English (stable across years).
    holiday_key: Mapped[str | None] = mapped_column(String(120))
    # Special day: month and day; a year makes it a one-off, no year means every year.
    special_month: Mapped[int | None]
    special_day: Mapped[int | None]
    special_year: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GreetingRunStatus(enum.StrEnum):
    SENT = "sent"  # written into the outbox (each message then has its own state)
    MISSED = "missed"  # the scheduler was down past the grace period: not sent, reason kept
    FAILED = "failed"  # could not be queued (no credit): reason kept


class GreetingRun(TenantScoped, Base):
    """One occasion of a rule (a date in the shop's calendar) handled once: the unique (rule_id, occurs_on)
    keeps a second scheduler from greeting it again."""

    __tablename__ = "greeting_runs"
    __table_args__ = (UniqueConstraint("rule_id", "occurs_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("greeting_rules.id", ondelete="CASCADE"))
    occurs_on: Mapped[dt.date]  # the shop-local day the greetings were due
    due_at: Mapped[dt.datetime]  # UTC
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[GreetingRunStatus] = mapped_column(_enum(GreetingRunStatus))
    messages: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(200))

    rule: Mapped[GreetingRule] = relationship()
