"""Inbound texts: stored first (once), then handed to the router.

The gateway stores a message before it answers the SMSC, so a crash loses nothing; the router runs after
and marks the message handled, so a message stored but not yet answered is picked up again at start-up.
The portal's phone simulator uses the same two steps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from mcrm.credits.services import NotEnoughCredit
from mcrm.db import db, job_session, utcnow
from mcrm.keywords.router import Batch, respond
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus, Problem
from mcrm.messaging.services import SmsRequest, queue_many, queue_sms
from sms_gateway.encoding import Concat
from sms_gateway.models import InboundPart, UnroutedMessage
from tenants.isolation import unscoped
from tenants.models import Tenant
from tenants.phones import normalise_phone

log = logging.getLogger(__name__)
# The same text from the same phone to the same number within this window is the SMSC retrying.
DUPLICATE_WINDOW = 600  # seconds
MAX_BODY = 65_536


def tenant_for_number(destination: str) -> Tenant | None:
    """The shop whose number (short code + extension) the text was sent to; extra digits are allowed."""
    short_code = current_app.config["MCRM_SHORT_CODE"]
    digits = destination.strip().lstrip("+")
    if not digits.startswith(short_code):
        return None
    rest = digits[len(short_code) :]
    candidates = [rest[:n] for n in range(1, min(len(rest), 8) + 1)]
    if not candidates:
        return None
    tenants = db.scalars(select(Tenant).where(Tenant.sms_extension.in_(candidates))).all()
    # The longest extension that matches wins (1001 over 100, should both exist).
    return max(tenants, key=lambda t: len(t.sms_extension), default=None)


def sender_phone(source: str, region: str) -> str:
    """E.164 when the number parses; the digits as given otherwise (still worth keeping)."""
    raw = source.strip()
    for candidate in (raw, "+" + raw.lstrip("+")):
        phone = normalise_phone(candidate, region)
        if phone:
            return phone
    return raw[:20] or "unknown"


def _dedupe_key(phone: str, text: str, bucket: int) -> str:
    digest = hashlib.sha256(f"{phone}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"mo:{digest}:{bucket}"


def receive_many(texts: list[tuple[str, str, str, Concat | None]], now: dt.datetime | None = None) -> list[int | None]:
    """The gateway's entry: store (destination, source, text, concat) texts in one transaction, committed
    before the SMSC is answered. Returns, per text, the id of a new message to route, or None."""
    now = now or utcnow()
    with job_session(), unscoped():
        try:
            with db.begin_nested():
                return _store_batch(texts, now)
        except IntegrityError:
            # Another gateway stored one of these a moment ago: one at a time, each deciding for itself.
            stored = [store_inbound(d, s, t, concat=c, now=now) for d, s, t, c in texts]
            return [message.id if message else None for message in stored]


def _store_batch(texts: list[tuple[str, str, str, Concat | None]], now: dt.datetime) -> list[int | None]:
    """store_inbound for many texts with a few statements: shops looked up once, duplicates found with one
    query, new messages inserted together."""
    results: list[int | None] = [None] * len(texts)
    tenants: dict[str, Tenant | None] = {}
    candidates = []
    bucket = int(now.timestamp()) // DUPLICATE_WINDOW
    for index, (destination, source, text, concat) in enumerate(texts):
        text = text.replace("\x00", "")[:MAX_BODY]
        if concat is not None and concat.total > 1:
            text = _assemble(destination, source, text, concat, now)
            if text is None:
                continue
        if destination not in tenants:
            tenants[destination] = tenant_for_number(destination)
        tenant = tenants[destination]
        if tenant is None:
            db.add(UnroutedMessage(source=source[:21], destination=destination[:21], body=text, received_at=now))
            log.warning("inbound text to %s: no shop has that number", destination)
            continue
        phone = sender_phone(source, tenant.country)
        keys = (_dedupe_key(phone, text, bucket), _dedupe_key(phone, text, bucket - 1))
        row = dict(
            tenant_id=tenant.id,
            direction=Direction.IN,
            kind=None,
            phone=phone,
            shop_number=destination[:21],
            body=text,
            encoding="",
            parts=concat.total if concat else 1,
            status=MessageStatus.RECEIVED,
            dedupe_key=keys[0],
            created_at=now,
        )
        candidates.append((index, tenant.id, keys, row))
    if not candidates:
        return results
    seen = set(
        db.execute(
            select(Message.tenant_id, Message.dedupe_key).where(
                Message.tenant_id.in_({c[1] for c in candidates}),
                Message.dedupe_key.in_({key for c in candidates for key in c[2]}),
            )
        ).tuples()
    )
    fresh = []
    for index, tenant_id, keys, row in candidates:
        if (tenant_id, keys[0]) in seen or (tenant_id, keys[1]) in seen:
            continue  # the SMSC retrying, or the same text twice in this batch
        seen.add((tenant_id, keys[0]))
        fresh.append((index, row))
    if fresh:
        ids = db.scalars(
            insert(Message).returning(Message.id, sort_by_parameter_order=True), [row for _, row in fresh]
        ).all()
        for (index, _), message_id in zip(fresh, ids, strict=True):
            results[index] = message_id
    return results


def store_inbound(
    destination: str, source: str, text: str, *, concat: Concat | None = None, now: dt.datetime | None = None
) -> Message | None:
    """Store one inbound text (or one part of a long one) and return the new complete message to route;
    None for a duplicate, an incomplete part, or a number no shop owns (kept for the admin).
    The caller commits."""
    try:
        with db.begin_nested():
            [message_id] = _store_batch([(destination, source, text, concat)], now or utcnow())
    except IntegrityError:
        return None  # the same message, stored a moment ago by another bind
    return db.get(Message, message_id) if message_id else None


def _assemble(destination: str, source: str, text: str, concat: Concat, now: dt.datetime) -> str | None:
    """Keep a part; when the last one is in, return the whole text (and forget the parts)."""
    key = dict(source=source[:21], destination=destination[:21], reference=concat.reference, total=concat.total)
    savepoint = db.begin_nested()
    db.add(InboundPart(**key, seq=concat.seq, text=text, received_at=now))
    try:
        db.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()  # this part came twice
    parts = db.execute(
        select(InboundPart.seq, InboundPart.text).where(*(getattr(InboundPart, k) == v for k, v in key.items()))
    ).all()
    if len(parts) < concat.total:
        return None
    db.execute(delete(InboundPart).where(*(getattr(InboundPart, k) == v for k, v in key.items())))
    return "".join(part_text for _, part_text in sorted(parts))


def route_inbound(message_ids: list[int]) -> None:
    """The gateway's entry: let the router act on stored messages and queue a shop's replies together. A
    message the router fails on is logged and marked handled (it would fail again); if the replies cannot
    be queued together (credit short), each is queued alone so as many as possible go."""
    if not message_ids:
        return
    with job_session(), unscoped():
        messages = db.scalars(
            select(Message).where(Message.id.in_(message_ids), Message.handled_at.is_(None)).order_by(Message.id)
        ).all()
        by_shop: dict[int, list[Message]] = {}
        for message in messages:
            by_shop.setdefault(message.tenant_id, []).append(message)
        for tenant_id, shop_messages in by_shop.items():
            _answer_shop(db.get(Tenant, tenant_id), shop_messages)


def answer_inbound(message: Message) -> None:
    """Route one stored message and queue its reply (the phone simulator). The caller commits."""
    if message.handled_at is None:
        _answer_shop(db.get(Tenant, message.tenant_id), [message])


def _answer_shop(tenant: Tenant, messages: list[Message]) -> None:
    requests = []
    now = utcnow()
    batch = Batch.load(tenant, {m.phone for m in messages}, now)
    for message in messages:
        # Texts that change data get a savepoint, so one that fails is undone alone.
        savepoint = db.begin_nested() if batch.writes(message) else None
        try:
            reply = respond(tenant, message, batch, now)
            if savepoint is not None:
                savepoint.commit()
        except Exception:
            if savepoint is not None:
                savepoint.rollback()
            log.exception("routing inbound message %s failed", message.id)
            reply = None
        message.handled_at = now
        if reply:
            requests.append((message, SmsRequest(message.phone, reply, MessageKind.REPLY, f"reply:{message.id}")))
    try:
        queue_many(tenant, [request for _, request in requests])
    except (NotEnoughCredit, IntegrityError):
        for message, request in requests:
            try:
                queue_sms(tenant, request.to, request.body, request.kind, dedupe_key=request.dedupe_key)
            except NotEnoughCredit:
                message.error = Problem.NO_CREDIT_TO_ANSWER


def unhandled_inbound(limit: int = 1000) -> list[int]:
    """Inbound messages stored but never answered (the gateway stopped in between)."""
    with job_session(), unscoped():
        return list(
            db.scalars(
                select(Message.id)
                .where(Message.direction == Direction.IN, Message.handled_at.is_(None), Message.status == "received")
                .order_by(Message.id)
                .limit(limit)
            )
        )
