"""The outbox as the gateway sees it: claim due messages (policies re-checked), record what happened.

Every function is one transaction. Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL so gateways share
the queue without taking the same row; SQLite serialises writers with `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import and_, bindparam, insert, or_, select, update

from mcrm.credits.services import refund
from mcrm.db import db, job_session, utcnow
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.members.models import Member
from mcrm.messaging.models import (
    PENDING_STATES,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Problem,
    SuppressReason,
)
from mcrm.messaging.policies import POLITE_KINDS, over_daily_cap, quiet_until
from mcrm.messaging.services import release_credit
from sms_gateway.events import Accepted, Outbound, ReceiptArrived, Refused, Returned, Unanswered
from sms_gateway.models import SmscSubmit
from sms_gateway.receipts import id_candidates
from tenants.isolation import unscoped
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(minutes=2)  # a gateway that has not beaten for this long is gone


def claim(gateway: str, limit: int, now: dt.datetime | None = None) -> list[Outbound]:
    """Take up to `limit` due messages of active shops for `gateway`, re-checking the policies first."""
    now = now or utcnow()
    with job_session(), unscoped():
        rows = (
            db.execute(
                select(Message)
                .join(Tenant, Tenant.id == Message.tenant_id)
                .where(
                    Message.status.in_(PENDING_STATES),
                    Message.direction == Direction.OUT,
                    or_(Message.send_after.is_(None), Message.send_after <= now),
                    Tenant.status == TenantStatus.ACTIVE,
                )
                .order_by(Message.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Message)
            )
            .scalars()
            .all()
        )
        if not rows:
            return []
        ready = [message for message in rows if _still_sendable(message, now)]
        if ready:
            db.execute(
                update(Message)
                .where(Message.id.in_([m.id for m in ready]))
                .values(status=MessageStatus.SENDING, gateway=gateway)
                .execution_options(synchronize_session=False)
            )
        return [Outbound(m.id, m.phone, m.shop_number, m.body) for m in ready]


def _still_sendable(message: Message, now: dt.datetime) -> bool:
    """The send-time check: expire, suppress or defer what should not go now (crediting back)."""
    if message.expires_at is not None and message.expires_at <= now:
        message.status = MessageStatus.EXPIRED
        message.error = Problem.EXPIRED_UNSENT
        release_credit(message, "expired")
        return False
    if message.kind not in POLITE_KINDS:
        return True
    tenant = db.get(Tenant, message.tenant_id)
    opted_out = db.scalar(
        select(Member.id).where(
            Member.tenant_id == message.tenant_id, Member.phone == message.phone, Member.opted_out_at.is_not(None)
        )
    )
    reason = None
    if opted_out is not None:
        reason = SuppressReason.OPTED_OUT
    elif message.kind == MessageKind.MARKETING and over_daily_cap(tenant, message.phone, now, before_id=message.id):
        reason = SuppressReason.DAILY_CAP
    if reason is not None:
        message.status, message.suppressed_reason = MessageStatus.SUPPRESSED, reason
        release_credit(message, "suppressed")
        return False
    later = quiet_until(tenant, now)
    if later is not None:
        message.status, message.send_after = MessageStatus.DEFERRED, later
        return False
    return True


def record(events: list, now: dt.datetime | None = None) -> list[ReceiptArrived]:
    """Store a batch of transport events in one transaction.

    Returns the receipts that matched no accepted part yet (a receipt can beat its `submit_sm_resp`),
    for the caller to offer again in a later batch.
    """
    now = now or utcnow()
    by_type = defaultdict(list)
    for event in events:
        by_type[type(event)].append(event)
    with job_session(), unscoped():
        _record_accepted(by_type[Accepted], now)
        _record_refused(by_type[Refused])
        _record_ended(by_type[Unanswered], by_type[Returned])
        return _record_receipts(by_type[ReceiptArrived], now)


def _record_accepted(accepted: list[Accepted], now: dt.datetime) -> None:
    if not accepted:
        return
    db.execute(
        insert(SmscSubmit),
        [
            {"message_id": event.message_id, "part": part, "smsc_id": smsc_id, "submitted_at": now}
            for event in accepted
            for part, smsc_id in enumerate(event.smsc_ids, start=1)
        ],
    )
    db.connection().execute(
        update(Message.__table__)
        .where(Message.__table__.c.id == bindparam("mid"), Message.__table__.c.status == MessageStatus.SENDING)
        .values(status=MessageStatus.SENT, sent_at=now, external_id=bindparam("ext")),
        [{"mid": event.message_id, "ext": event.smsc_ids[0]} for event in accepted],
    )


def _record_refused(refused: list[Refused]) -> None:
    for event in refused:
        message = db.get(Message, event.message_id)
        if message is None or message.status != MessageStatus.SENDING:
            continue
        message.status, message.error = MessageStatus.FAILED, event.error[:200]
        unsent = message.parts - event.accepted_parts
        if unsent > 0:
            db.flush()
            refund(db.get(Tenant, message.tenant_id), unsent, message_id=message.id, note=event.error)


def _record_ended(unanswered: list[Unanswered], returned: list[Returned]) -> None:
    for event in unanswered:
        db.execute(
            update(Message)
            .where(Message.id == event.message_id, Message.status == MessageStatus.SENDING)
            .values(status=MessageStatus.UNKNOWN, error=event.error[:200])
            .execution_options(synchronize_session=False)
        )
    if returned:
        db.execute(
            update(Message)
            .where(Message.id.in_([e.message_id for e in returned]), Message.status == MessageStatus.SENDING)
            .values(status=MessageStatus.QUEUED, gateway=None)
            .execution_options(synchronize_session=False)
        )


def _record_receipts(receipts: list[ReceiptArrived], now: dt.datetime) -> list[ReceiptArrived]:
    if not receipts:
        return []
    wanted = {event: id_candidates(event.receipt.smsc_id) for event in receipts}
    all_ids = set().union(*wanted.values())
    submits = db.execute(
        select(SmscSubmit.id, SmscSubmit.message_id, SmscSubmit.smsc_id).where(SmscSubmit.smsc_id.in_(all_ids))
    ).all()
    by_smsc_id = defaultdict(list)
    for row in submits:
        by_smsc_id[row.smsc_id].append(row)
    updates, touched, unmatched = [], set(), []
    for event, candidates in wanted.items():
        # The exact form first: a decimal reading is only a fallback.
        rows = by_smsc_id.get(event.receipt.smsc_id) or [r for c in candidates for r in by_smsc_id.get(c, [])]
        if not rows:
            unmatched.append(event)
            continue
        row = max(rows, key=lambda r: r.id)  # ids can repeat over years: the newest submit is meant
        updates.append({"sid": row.id, "state": event.receipt.state, "err": event.receipt.error})
        touched.add(row.message_id)
    if updates:
        table = SmscSubmit.__table__
        db.connection().execute(
            update(table)
            .where(table.c.id == bindparam("sid"))
            .values(receipt_state=bindparam("state"), receipt_error=bindparam("err")),
            updates,
        )
        _settle_messages(touched, now)
    return unmatched


def _settle_messages(message_ids: set[int], now: dt.datetime) -> None:
    """A message whose every part has a receipt takes its final state."""
    states = defaultdict(list)
    errors = {}
    for message_id, state, error in db.execute(
        select(SmscSubmit.message_id, SmscSubmit.receipt_state, SmscSubmit.receipt_error).where(
            SmscSubmit.message_id.in_(message_ids)
        )
    ):
        states[message_id].append(state)
        if state not in (None, "DELIVRD"):
            errors[message_id] = f"{state}" + (f" err:{error}" if error else "")
    parts = dict(db.execute(select(Message.id, Message.parts).where(Message.id.in_(message_ids))).all())
    settled = []
    for message_id, part_states in states.items():
        if None in part_states or len(part_states) < parts.get(message_id, 1):
            continue
        if all(state == "DELIVRD" for state in part_states):
            status = MessageStatus.DELIVERED
        elif "EXPIRED" in part_states:
            status = MessageStatus.EXPIRED
        else:
            status = MessageStatus.UNDELIVERED
        settled.append({"mid": message_id, "status": status, "err": errors.get(message_id), "at": now})
    if settled:
        table = Message.__table__
        db.connection().execute(
            update(table)
            .where(
                table.c.id == bindparam("mid"),
                # A receipt never overrides a state already final (unknown stays for a person to see).
                or_(table.c.status == MessageStatus.SENT, table.c.status == MessageStatus.SENDING),
            )
            .values(status=bindparam("status"), error=bindparam("err"), delivered_at=bindparam("at")),
            settled,
        )


def mark_orphans_unknown(now: dt.datetime | None = None) -> int:
    """Messages left in `sending` by a gateway that stopped beating: maybe sent, so shown, not resent."""
    now = now or utcnow()
    with job_session(), unscoped():
        alive = select(ProcessHeartbeat.name).where(
            ProcessHeartbeat.kind == "gateway", ProcessHeartbeat.beat_at > now - STALE_AFTER
        )
        result = db.execute(
            update(Message)
            .where(
                Message.status == MessageStatus.SENDING,
                or_(Message.gateway.is_(None), Message.gateway.not_in(alive)),
            )
            .values(status=MessageStatus.UNKNOWN, error=Problem.GATEWAY_STOPPED)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount


def release_own(gateway: str) -> int:
    """This gateway's claimed rows that no transport holds any more (at start-up): unknown."""
    with job_session(), unscoped():
        result = db.execute(
            update(Message)
            .where(and_(Message.status == MessageStatus.SENDING, Message.gateway == gateway))
            .values(status=MessageStatus.UNKNOWN, error=Problem.GATEWAY_RESTARTED)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
