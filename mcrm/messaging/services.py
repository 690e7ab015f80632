"""Queueing messages: nothing else writes the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mcrm.credits.services import NotEnoughCredit, refund, spend
from mcrm.db import db, utcnow
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from mcrm.messaging.policies import POLITE_KINDS, VALIDITY, compose, decide
from sms_gateway.encoding import sms_shape
from tenants.models import Tenant
from tenants.numbers import sms_number

__all__ = ["NotEnoughCredit", "queue_sms", "release_credit"]


def queue_sms(
    tenant: Tenant,
    to: str,
    body: str,
    kind: MessageKind,
    *,
    dedupe_key: str | None = None,
    now: dt.datetime | None = None,
) -> Message:
    """Put one SMS from the shop's number to `to` (E.164) in the outbox and return it.

    The policies decide first: the message is queued, deferred to the end of quiet hours, or stored as
    suppressed with its reason (and costs nothing). A queued or deferred message spends one credit per part;
    when the shop's credit is short, NotEnoughCredit is raised and nothing is stored. A `dedupe_key` already
    used by the shop returns that earlier message instead of queueing again. The caller commits.
    """
    if dedupe_key is not None:
        earlier = _by_dedupe_key(tenant, dedupe_key)
        if earlier is not None:
            return earlier
    now = now or utcnow()
    text = compose(tenant, body, kind)
    shape = sms_shape(text)
    decision = decide(tenant, to, kind, now)
    if decision.suppress:
        status = MessageStatus.SUPPRESSED
    elif decision.send_after:
        status = MessageStatus.DEFERRED
    else:
        status = MessageStatus.QUEUED
    planned = decision.send_after or now
    message = Message(
        tenant_id=tenant.id,
        direction=Direction.OUT,
        kind=kind,
        phone=to,
        shop_number=sms_number(tenant),
        body=text,
        encoding=shape.encoding,
        parts=shape.count,
        status=status,
        suppressed_reason=decision.suppress,
        dedupe_key=dedupe_key,
        send_after=decision.send_after,
        expires_at=planned + VALIDITY if kind in POLITE_KINDS else None,
        created_at=now,
    )
    savepoint = db.begin_nested()
    db.add(message)
    try:
        db.flush()
    except IntegrityError:
        # Another transaction queued the same dedupe key first: theirs stands.
        savepoint.rollback()
        earlier = _by_dedupe_key(tenant, dedupe_key) if dedupe_key else None
        if earlier is None:
            raise
        return earlier
    if status != MessageStatus.SUPPRESSED:
        try:
            spend(tenant, shape.count, message_id=message.id)
        except NotEnoughCredit:
            savepoint.rollback()
            raise
    savepoint.commit()
    return message


def _by_dedupe_key(tenant: Tenant, key: str) -> Message | None:
    return db.scalar(select(Message).where(Message.tenant_id == tenant.id, Message.dedupe_key == key))


def release_credit(message: Message, note: str = "") -> None:
    """Give back what a message that never reached the network cost (failed, suppressed, expired)."""
    tenant = db.get(Tenant, message.tenant_id)
    refund(tenant, message.parts, message_id=message.id, note=note or message.status.value)
