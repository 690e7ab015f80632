"""The gateway loop: claim queued messages of active shops, submit them, record the outcome."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import select

from mcrm.credits.services import refund
from mcrm.db import db, job_session, utcnow
from mcrm.heartbeats import beat
from mcrm.messaging.models import Direction, Message, MessageStatus
from sms_gateway.transports import Transport
from tenants.isolation import unscoped
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)
BEAT_SECONDS = 15


def claim_batch(limit: int = 50) -> list[Message]:
    """Move up to `limit` queued messages of active shops to `sending` and return them.

    On PostgreSQL, SKIP LOCKED lets several gateways share the queue without taking the same row.
    """
    with job_session(), unscoped():
        query = (
            select(Message)
            .join(Tenant, Tenant.id == Message.tenant_id)
            .where(
                Message.status == MessageStatus.QUEUED,
                Message.direction == Direction.OUT,
                Tenant.status == TenantStatus.ACTIVE,
            )
            .order_by(Message.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Message)
        )
        batch = list(db.scalars(query))
        for message in batch:
            message.status = MessageStatus.SENDING
    return batch


def send_batch(transport: Transport, batch: list[Message]) -> None:
    """Submit each claimed message and store what the transport answered."""
    for message in batch:
        try:
            outcome = transport.submit(message.phone, message.shop_number, message.body)
        except Exception as error:  # a transport fault fails this message, not the loop
            log.exception("submit failed for message %s", message.id)
            _record(message.id, MessageStatus.FAILED, error=str(error)[:200])
            continue
        if outcome.error:
            _record(message.id, MessageStatus.FAILED, error=outcome.error)
        else:
            status = {True: MessageStatus.DELIVERED, False: MessageStatus.UNDELIVERED}.get(
                outcome.delivered, MessageStatus.SENT
            )
            _record(message.id, status, external_id=outcome.external_id)


def _record(
    message_id: int, status: MessageStatus, *, error: str | None = None, external_id: str | None = None
) -> None:
    with job_session(), unscoped():
        message = db.get(Message, message_id)
        now = utcnow()
        message.status, message.error, message.external_id = status, error, external_id
        if status == MessageStatus.FAILED:
            # Nothing reached the network: the shop gets its credit back, in the same transaction.
            refund(db.get(Tenant, message.tenant_id), message.parts, message_id=message.id, note=error or "")
        else:
            message.sent_at = now
        if status == MessageStatus.DELIVERED:
            message.delivered_at = now


def run_once(transport: Transport, limit: int = 50) -> int:
    """One pass over the queue; the number of messages handled."""
    batch = claim_batch(limit)
    send_batch(transport, batch)
    return len(batch)


def run_forever(transport: Transport, stop: threading.Event, idle_seconds: float = 1.0) -> None:
    """Send until `stop` is set, beating now and then so the admin sees the gateway alive."""
    last_beat = 0.0
    while not stop.is_set():
        try:
            handled = run_once(transport)
            if time.monotonic() - last_beat >= BEAT_SECONDS:
                with job_session():
                    beat("gateway", detail=type(transport).__name__)
                last_beat = time.monotonic()
        except Exception:
            log.exception("gateway pass failed; retrying")
            handled = 0
        if not handled:
            stop.wait(idle_seconds)
