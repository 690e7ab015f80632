"""The scheduler's reminders tick: text each due reminder to its recipients once, record it, move it on.

Each reminder is claimed in its own transaction, so one shop's failure never stops another's. On PostgreSQL
the claim is `FOR UPDATE SKIP LOCKED`; the unique (reminder_id, due_at) of a send and the messages' dedupe
keys are the last guards, so two ticks (or two schedulers by mistake) text nobody twice. On SQLite every
transaction takes the write lock up front (mcrm/db.py), so a second tick waits and then finds it done.

A scheduler that was down comes back to at most one due time per reminder: within the grace period
(MCRM_SCHEDULER_GRACE_HOURS, 6 by default, shared by every tick) it is sent late; beyond it it is recorded as
missed, with the reason. Either way the reminder then moves on to its next time still to come: a daily
reminder whose scheduler was down for three days is recorded missed once, for the time it was due, and is
not texted three times on return.
Reminders are transactional: the shop's quiet hours do not hold them back.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mcrm.db import db, utcnow
from mcrm.messaging.models import MessageKind
from mcrm.messaging.services import NotEnoughCredit, SmsRequest, queue_many
from mcrm.reminders.models import Reminder, ReminderSend, ReminderSendStatus
from mcrm.reminders.schedule import next_after
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)
ERROR_LENGTH = 200  # ReminderSend.error


def run_due_reminders(now: dt.datetime | None = None) -> int:
    """Handle every due reminder of every active shop; the number whose messages were queued."""
    now = now or utcnow()
    with unscoped():
        due = db.execute(
            select(Reminder.id, Reminder.tenant_id)
            .join(Tenant, Tenant.id == Reminder.tenant_id)
            .where(
                Reminder.paused.is_(False),
                Reminder.next_at <= now,
                Tenant.status == TenantStatus.ACTIVE,
            )
            .order_by(Reminder.next_at)
        ).all()
    db.commit()
    grace = dt.timedelta(hours=current_app.config.get("MCRM_SCHEDULER_GRACE_HOURS", 6))
    sent = 0
    for reminder_id, tenant_id in due:
        try:
            with scoped_to(tenant_id):
                sent += _handle_due(reminder_id, tenant_id, now, grace)
                db.commit()
        except Exception:
            db.rollback()
            log.exception("reminder %s of shop %s could not be handled", reminder_id, tenant_id)
    return sent


def _handle_due(reminder_id: int, tenant_id: int, now: dt.datetime, grace: dt.timedelta) -> int:
    # Locked, then checked again: another tick may have handled it since the list was read.
    reminder = db.scalar(
        select(Reminder)
        .where(Reminder.id == reminder_id, Reminder.paused.is_(False), Reminder.next_at <= now)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if reminder is None:
        return 0
    tenant = db.get(Tenant, tenant_id)
    due_at = reminder.next_at
    send = ReminderSend(
        tenant_id=tenant_id, reminder_id=reminder.id, due_at=due_at, handled_at=now, status=ReminderSendStatus.SENT
    )
    savepoint = db.begin_nested()
    db.add(send)
    try:
        db.flush()
    except IntegrityError:
        # This due time was handled already: only move on.
        savepoint.rollback()
        reminder.next_at = next_after(tenant, reminder, now)
        return 0
    savepoint.commit()
    with force_locale(tenant.locale):
        if now - due_at > grace:
            local = due_at.astimezone(ZoneInfo(tenant.timezone))
            _record(
                send,
                ReminderSendStatus.MISSED,
                _("missed: the scheduler was not running at %(time)s", time=local.strftime("%Y-%m-%d %H:%M")),
            )
        else:
            _text(tenant, reminder, send, now)
    reminder.next_at = next_after(tenant, reminder, now)
    db.flush()
    return 1 if send.status == ReminderSendStatus.SENT else 0


def _text(tenant: Tenant, reminder: Reminder, send: ReminderSend, now: dt.datetime) -> None:
    """One transactional SMS to each recipient who (still) has a mobile and may log in."""
    stamp = int(send.due_at.timestamp())
    requests = [
        SmsRequest(
            to=user.phone,
            body=reminder.text,
            kind=MessageKind.TRANSACTIONAL,
            dedupe_key=f"reminder:{reminder.id}:{stamp}:{user.id}",
        )
        for user in reminder.recipients
        if user.phone and user.active
    ]
    if not requests:
        _record(send, ReminderSendStatus.FAILED, _("nobody to text: no recipient has a mobile number"))
        return
    try:
        send.messages = len(queue_many(tenant, requests, now=now))
    except NotEnoughCredit as error:
        _record(send, ReminderSendStatus.FAILED, str(error))


def _record(send: ReminderSend, status: ReminderSendStatus, error: str) -> None:
    send.status = status
    send.error = error[:ERROR_LENGTH]
