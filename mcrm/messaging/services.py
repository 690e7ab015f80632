"""Queueing messages: nothing else writes the outbox."""

from __future__ import annotations

from mcrm.db import db
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from tenants.models import Tenant
from tenants.numbers import sms_number


def queue_sms(tenant: Tenant, to: str, body: str, kind: MessageKind) -> Message:
    """Put one SMS from the shop's number to `to` (E.164) in the outbox; the caller commits."""
    message = Message(
        tenant_id=tenant.id,
        direction=Direction.OUT,
        kind=kind,
        phone=to,
        shop_number=sms_number(tenant),
        body=body,
        status=MessageStatus.QUEUED,
    )
    db.add(message)
    return message
