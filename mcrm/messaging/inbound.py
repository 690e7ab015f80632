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
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from mcrm.credits.services import NotEnoughCredit
from mcrm.db import db, job_session, utcnow
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus, Problem
from mcrm.messaging.services import queue_sms
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


def receive_sms(
    destination: str, source: str, text: str, *, concat: Concat | None = None, now: dt.datetime | None = None
) -> int | None:
    """The gateway's entry: store in a transaction of its own and commit before the SMSC is answered."""
    with job_session(), unscoped():
        message = store_inbound(destination, source, text, concat=concat, now=now)
        return message.id if message else None


def store_inbound(
    destination: str, source: str, text: str, *, concat: Concat | None = None, now: dt.datetime | None = None
) -> Message | None:
    """Store one inbound text (or one part of a long one) and return the new complete message to route;
    None for a duplicate, an incomplete part, or a number no shop owns (kept for the admin).
    The caller commits."""
    now = now or utcnow()
    text = text.replace("\x00", "")[:MAX_BODY]
    if concat is not None and concat.total > 1:
        text = _assemble(destination, source, text, concat, now)
        if text is None:
            return None
    tenant = tenant_for_number(destination)
    if tenant is None:
        db.add(UnroutedMessage(source=source[:21], destination=destination[:21], body=text, received_at=now))
        log.warning("inbound text to %s: no shop has that number", destination)
        return None
    phone = sender_phone(source, tenant.country)
    bucket = int(now.timestamp()) // DUPLICATE_WINDOW
    keys = [_dedupe_key(phone, text, bucket), _dedupe_key(phone, text, bucket - 1)]
    seen = db.scalar(select(func.count()).where(Message.tenant_id == tenant.id, Message.dedupe_key.in_(keys)))
    if seen:
        return None
    message = Message(
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
    savepoint = db.begin_nested()
    db.add(message)
    try:
        db.flush()
    except IntegrityError:
        savepoint.rollback()  # the same message, stored a moment ago by another bind
        return None
    savepoint.commit()
    return message


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


def help_text(tenant: Tenant) -> str:
    with force_locale(tenant.locale):
        return _("Text JF for your points, ZC to join, TD to stop messages.")


def route_inbound(message_id: int) -> None:
    """The gateway's entry: answer a stored message in a transaction of its own."""
    with job_session(), unscoped():
        message = db.get(Message, message_id)
        if message is not None:
            answer_inbound(message)


def answer_inbound(message: Message) -> None:
    """Answer a stored inbound message. Until keyword apps exist, the answer is the shop's help text.
    The caller commits."""
    if message.handled_at is not None:
        return
    tenant = db.get(Tenant, message.tenant_id)
    try:
        queue_sms(tenant, message.phone, help_text(tenant), MessageKind.REPLY, dedupe_key=f"reply:{message.id}")
    except NotEnoughCredit:
        message.error = Problem.NO_CREDIT_TO_ANSWER
    message.handled_at = utcnow()


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
