"""Saved segments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped


class Segment(TenantScoped, Base):
    """A named audience: `definition` holds the conditions (see mcrm.segments.conditions), never member ids,
    so the audience is worked out afresh each time it is used."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
