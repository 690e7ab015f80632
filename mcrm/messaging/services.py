"""Queueing messages: nothing else writes the outbox."""

from __future__ import annotations

from mcrm.credits.services import NotEnoughCredit, spend
from mcrm.db import db
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from sms_gateway.encoding import sms_shape
from tenants.models import Tenant
from tenants.numbers import sms_number


def queue_sms(tenant: Tenant, to: str, body: str, kind: MessageKind) -> Message:
    """Put one SMS from the shop's number to `to` (E.164) in the outbox, paying one credit per part;
    NotEnoughCredit (and nothing queued) when the shop's credit is short. The caller commits."""
    shape = sms_shape(body)
    message = Message(
        tenant_id=tenant.id,
        direction=Direction.OUT,
        kind=kind,
        phone=to,
        shop_number=sms_number(tenant),
        body=body,
        encoding=shape.encoding,
        parts=shape.count,
        status=MessageStatus.QUEUED,
    )
    savepoint = db.begin_nested()
    db.add(message)
    db.flush()
    try:
        spend(tenant, shape.count, message_id=message.id)
    except NotEnoughCredit:
        savepoint.rollback()
        raise
    savepoint.commit()
    return message
