"""Promotions, their runs, hold-out groups and coupons."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from mcrm.segments.models import Segment
from tenants.isolation import TenantScoped
from tenants.models import _enum


class PromotionStatus(enum.StrEnum):
    """Where a promotion is::

        draft ──► scheduled ──(the tick starts a run)──► sending ──► sent
          ▲  │        │  ▲                                  │
          │  │        │  └──── a repeating one returns ◄────┘   (next_run_at moves on)
          │  ▼        ▼
          cancelled ◄─┘        failed (the run could not start: no credit, audience gone) ──► edited ──► scheduled

    A promotion can be edited or cancelled while it is a draft, scheduled or failed; once a run has
    started its messages are in the outbox and the run stands.
    """

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


EDITABLE = frozenset({PromotionStatus.DRAFT, PromotionStatus.SCHEDULED, PromotionStatus.FAILED})


class Repeat(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"  # the same weekday and local time
    MONTHLY = "monthly"  # the same day of the month (the last day when the month is shorter)


class Promotion(TenantScoped, Base):
    __tablename__ = "promotions"
    __table_args__ = (
        # The scheduler's tick: only promotions waiting for a run are indexed.
        Index(
            "ix_promotions_due",
            "next_run_at",
            sqlite_where=text("status = 'scheduled'"),
            postgresql_where=text("status = 'scheduled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)  # the template: {name}, {points}, {shop}, {coupon}
    # The audience: the conditions as they were when the promotion was saved (a copy of the segment's,
    # so editing a saved segment later does not change what an already scheduled promotion sends).
    definition: Mapped[dict] = mapped_column(JSON)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    # A survey's sending: each recipient's run also opens a survey conversation (mcrm.surveys.sending).
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    status: Mapped[PromotionStatus] = mapped_column(_enum(PromotionStatus), default=PromotionStatus.DRAFT)
    send_at: Mapped[dt.datetime | None]  # the first run (UTC)
    repeat: Mapped[Repeat] = mapped_column(_enum(Repeat), default=Repeat.NONE)
    repeat_until: Mapped[dt.datetime | None]  # no run after this (UTC); None: until cancelled
    next_run_at: Mapped[dt.datetime | None]  # when the scheduler should start the next run (UTC)
    holdout_percent: Mapped[int] = mapped_column(default=0)  # 0: everyone in the audience is sent it
    attribution_days: Mapped[int] = mapped_column(default=7)  # a purchase this soon after counts as a result
    coupon_enabled: Mapped[bool] = mapped_column(default=False)
    coupon_offer: Mapped[str] = mapped_column(String(80), default="")  # what the coupon is worth, for the cashier
    coupon_valid_days: Mapped[int] = mapped_column(default=30)
    last_error: Mapped[str | None] = mapped_column(String(200))  # why the last run could not start
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    segment: Mapped[Segment | None] = relationship()
    runs: Mapped[list[PromotionRun]] = relationship(
        back_populates="promotion", order_by="PromotionRun.due_at", cascade="all, delete-orphan"
    )


class PromotionRun(TenantScoped, Base):
    """One sending of a promotion: its audience written into the outbox at `started_at`.

    The unique (promotion_id, due_at) is what keeps two scheduler ticks from sending a run twice.
    """

    __tablename__ = "promotion_runs"
    __table_args__ = (UniqueConstraint("promotion_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"))
    due_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    audience: Mapped[int] = mapped_column(default=0)  # members matching, hold-out included
    held_out: Mapped[int] = mapped_column(default=0)
    messages: Mapped[int] = mapped_column(default=0)  # written into the outbox (suppressed ones included)
    credits: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(200))  # set when the run could not be queued
    coupon_prefix: Mapped[str | None] = mapped_column(String(4))  # unique per shop: keeps codes apart

    promotion: Mapped[Promotion] = relationship(back_populates="runs")


class PromotionHoldout(TenantScoped, Base):
    """A member of a run's audience who was deliberately not sent it: the comparison group."""

    __tablename__ = "promotion_holdouts"

    run_id: Mapped[int] = mapped_column(ForeignKey("promotion_runs.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)


class Coupon(TenantScoped, Base):
    """A personal code sent in a promotion run's message, a greeting or a survey's thanks; a cashier redeems
    it once."""

    __tablename__ = "coupons"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_coupons_run", "run_id"),
        Index("ix_coupons_greeting_run", "greeting_run_id"),
        Index("ix_coupons_survey_response", "survey_response_id"),
        # A coupon has exactly one owner, whose offer it carries.
        CheckConstraint(
            "(CASE WHEN run_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN greeting_run_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN survey_response_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="coupon_one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("promotion_runs.id", ondelete="CASCADE"))
    greeting_run_id: Mapped[int | None] = mapped_column(ForeignKey("greeting_runs.id", ondelete="CASCADE"))
    survey_response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime]
    redeemed_at: Mapped[dt.datetime | None]
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    redeemed_via: Mapped[str | None] = mapped_column(String(8))  # wap, portal, api
