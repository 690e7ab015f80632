"""Each member's RFM scores and class, recomputed for a whole shop at once by `mcrm.analytics.rfm`."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import _enum


class RfmClass(enum.StrEnum):
    """Where a member stands by recency and by frequency and spend together (see `rfm_classes.CLASS_GRID`)."""

    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL = "potential"
    NEW = "new"
    NEEDS_ATTENTION = "needs_attention"
    AT_RISK = "at_risk"
    CANT_LOSE = "cant_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"


class MemberScore(TenantScoped, Base):
    """One member's scores as of `computed_at`.

    A table of its own rather than columns on `members`: a refresh rewrites every row of a shop, and
    doing that to the wide, busy members table would fight the cashiers' purchase updates for row locks
    and bloat it; this narrow table is replaced in one DELETE + INSERT … SELECT.
    """

    __tablename__ = "member_scores"
    __table_args__ = (
        CheckConstraint("r BETWEEN 1 AND 5", name="r_score"),
        CheckConstraint("f BETWEEN 1 AND 5", name="f_score"),
        CheckConstraint("m BETWEEN 1 AND 5", name="m_score"),
        # The class grid's member lists and "needs care" (best spenders of a class first).
        Index("ix_member_scores_tenant_class_monetary", "tenant_id", "rfm_class", "monetary"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    # Shop-calendar days since the last counted purchase; None when there is none in the window.
    recency_days: Mapped[int | None]
    frequency: Mapped[int]  # counted purchases in the window
    monetary: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # their total amount
    r: Mapped[int]
    f: Mapped[int]
    m: Mapped[int]
    rfm_class: Mapped[RfmClass] = mapped_column(_enum(RfmClass))
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
