"""The numbers on the admin's gateway page: the queue, what is in flight, and the recent sending rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select

from mcrm.db import db, utcnow
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.messaging.models import Direction, Message, MessageStatus
from sms_gateway.models import UnroutedMessage
from tenants.isolation import unscoped


@dataclass(frozen=True)
class GatewayStats:
    gateways: list[ProcessHeartbeat]
    queued: int  # waiting now: queued, plus deferred ones whose time has come
    deferred_later: int  # deferred to a time still ahead (the end of quiet hours)
    sending: int  # claimed by a gateway, no answer from the SMSC yet
    unknown: int  # the link dropped before the SMSC answered: maybe sent
    sent_last_minute: int
    sent_last_hour: int
    failed_last_hour: int
    unrouted: int  # inbound texts to a number no shop has

    @property
    def per_second(self) -> float:
        return self.sent_last_minute / 60


def _count(condition):
    # One pass over the table: each figure counts the rows its condition holds for.
    return func.count(case((condition, 1)))


def gateway_stats(now: dt.datetime | None = None) -> GatewayStats:
    now = now or utcnow()
    minute_ago, hour_ago = now - dt.timedelta(minutes=1), now - dt.timedelta(hours=1)
    due = or_(Message.send_after.is_(None), Message.send_after <= now)
    deferred = Message.status == MessageStatus.DEFERRED
    with unscoped():  # every shop's messages: the gateway serves them all
        row = db.execute(
            select(
                _count(or_(Message.status == MessageStatus.QUEUED, and_(deferred, due))),
                _count(and_(deferred, ~due)),
                _count(Message.status == MessageStatus.SENDING),
                _count(Message.status == MessageStatus.UNKNOWN),
                _count(Message.sent_at >= minute_ago),
                _count(Message.sent_at >= hour_ago),
                # A failure has no time of its own: count those that were due to go in the last hour.
                _count(
                    and_(
                        Message.status == MessageStatus.FAILED,
                        func.coalesce(Message.send_after, Message.created_at) >= hour_ago,
                    )
                ),
            ).where(Message.direction == Direction.OUT)
        ).one()
        gateways = db.scalars(
            select(ProcessHeartbeat).where(ProcessHeartbeat.kind == "gateway").order_by(ProcessHeartbeat.name)
        ).all()
        unrouted = db.scalar(select(func.count()).select_from(UnroutedMessage))
    return GatewayStats(list(gateways), *row, unrouted=unrouted)
