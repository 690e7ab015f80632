"""Queueing messages: nothing else writes the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from mcrm.credits.services import NotEnoughCredit, refund, spend
from mcrm.db import db, utcnow
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from mcrm.messaging.policies import POLITE_KINDS, VALIDITY, compose, decide
from sms_gateway.encoding import sms_shape
from tenants.models import Tenant
from tenants.numbers import sms_number

__all__ = ["NotEnoughCredit", "SmsRequest", "queue_many", "queue_sms", "release_credit"]


@dataclass(frozen=True)
class SmsRequest:
    """One message for queue_many."""

    to: str
    body: str
    kind: MessageKind
    dedupe_key: str | None = None


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
    message = Message(**_row(tenant, sms_number(tenant), to, body, kind, dedupe_key, now))
    status = message.status
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
            spend(tenant, message.parts, message_id=message.id)
        except NotEnoughCredit:
            savepoint.rollback()
            raise
    savepoint.commit()
    return message


def queue_many(tenant: Tenant, requests: list[SmsRequest], *, now: dt.datetime | None = None) -> list[int]:
    """queue_sms for many messages of one shop with a few statements (replies to a batch of inbound texts,
    a promotion's audience): the same policies, composition and dedupe, one credit entry for the total.
    All or nothing: NotEnoughCredit when the credit is short for all of them. Returns the message ids in
    request order (an earlier message's id for a dedupe key already used). The caller commits."""
    now = now or utcnow()
    keys = {r.dedupe_key for r in requests if r.dedupe_key}
    existing: dict[str, int] = {}
    if keys:
        # (A Result has .keys(), so dict(result) would treat it as a mapping: build it by hand.)
        query = select(Message.dedupe_key, Message.id).where(
            Message.tenant_id == tenant.id, Message.dedupe_key.in_(keys)
        )
        existing = {key: message_id for key, message_id in db.execute(query)}
    number = sms_number(tenant)
    rows, slots, cost, results = [], [], 0, [None] * len(requests)
    pending_keys: dict[str, int] = {}
    for index, request in enumerate(requests):
        if request.dedupe_key in existing:
            results[index] = existing[request.dedupe_key]
            continue
        if request.dedupe_key in pending_keys:
            slots.append((index, pending_keys[request.dedupe_key]))
            continue
        row = _row(tenant, number, request.to, request.body, request.kind, request.dedupe_key, now)
        if row["status"] != MessageStatus.SUPPRESSED:
            cost += row["parts"]
        if request.dedupe_key:
            pending_keys[request.dedupe_key] = len(rows)
        slots.append((index, len(rows)))
        rows.append(row)
    if rows:
        savepoint = db.begin_nested()
        try:
            ids = db.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows).all()
            if cost:
                spend(tenant, cost, note=f"{len(rows)} messages")
        except (NotEnoughCredit, IntegrityError):  # short of credit, or a dedupe key taken meanwhile
            savepoint.rollback()
            raise
        savepoint.commit()
        for index, row_number in slots:
            results[index] = ids[row_number]
    return results


def _row(
    tenant: Tenant, number: str, to: str, body: str, kind: MessageKind, dedupe_key: str | None, now: dt.datetime
) -> dict:
    """The outbox row for one message, the policies decided."""
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
    return dict(
        tenant_id=tenant.id,
        direction=Direction.OUT,
        kind=kind,
        phone=to,
        shop_number=number,
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


def _by_dedupe_key(tenant: Tenant, key: str) -> Message | None:
    return db.scalar(select(Message).where(Message.tenant_id == tenant.id, Message.dedupe_key == key))


def release_credit(message: Message, note: str = "") -> None:
    """Give back what a message that never reached the network cost (failed, suppressed, expired)."""
    tenant = db.get(Tenant, message.tenant_id)
    refund(tenant, message.parts, message_id=message.id, note=note or message.status.value)
