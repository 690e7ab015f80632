"""Background processes report that they are alive; the admin's health page reads it."""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from mcrm.db import Base, db, utcnow


class ProcessHeartbeat(Base):
    """One row per running scheduler or gateway process (platform-wide, not a shop's data)."""

    __tablename__ = "process_heartbeats"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def is_stale(self, now: dt.datetime | None = None) -> bool:
        return (now or utcnow()) - self.beat_at > dt.timedelta(minutes=2)


def process_name(kind: str) -> str:
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


def beat(kind: str, detail: str = "", name: str | None = None) -> None:
    """Record that this process is alive; the caller's session commits."""
    name = name or process_name(kind)
    row = db.scalar(select(ProcessHeartbeat).where(ProcessHeartbeat.name == name))
    if row is None:
        db.add(ProcessHeartbeat(name=name, kind=kind, detail=detail))
    else:
        row.beat_at, row.detail = utcnow(), detail
