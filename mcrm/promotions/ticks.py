"""The scheduler's promotions tick: start the runs that are due, and close one-off promotions that are done.

Each promotion is claimed and started in its own transaction, so one shop's failure never stops another's.
On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, and the unique (promotion_id, due_at) of a run is the
last guard, so two ticks (or two schedulers by mistake) never queue a run twice. On SQLite every
transaction takes the write lock up front (mcrm/db.py), so a second tick waits and then finds it done.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select, update

from mcrm.db import db, utcnow
from mcrm.messaging.models import Message, MessageStatus
from mcrm.promotions.materialise import RunAlreadyStarted, materialise_run, record_failed_run
from mcrm.promotions.models import Promotion, PromotionRun, PromotionStatus, Repeat
from mcrm.promotions.schedule import next_run_after
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)
UNFINISHED = (MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SENDING)


def run_due_promotions(now: dt.datetime | None = None) -> int:
    """Start every due run of every active shop; the number that queued messages (not missed or failed ones)."""
    now = now or utcnow()
    with unscoped():
        due = db.execute(
            select(Promotion.id, Promotion.tenant_id)
            .join(Tenant, Tenant.id == Promotion.tenant_id)
            .where(
                Promotion.status == PromotionStatus.SCHEDULED,
                Promotion.next_run_at <= now,
                Tenant.status == TenantStatus.ACTIVE,
            )
            .order_by(Promotion.next_run_at)
        ).all()
    db.commit()
    started = 0
    for promotion_id, tenant_id in due:
        try:
            with scoped_to(tenant_id):
                started += _start_due(promotion_id, tenant_id, now)
                db.commit()
        except Exception:
            db.rollback()
            log.exception("promotion %s of shop %s could not start", promotion_id, tenant_id)
    finish_sent(now)
    db.commit()
    return started


def grace() -> dt.timedelta:
    """A run found later than this is stale news (yesterday's lunch offer): recorded as missed, not sent."""
    return dt.timedelta(hours=current_app.config["MCRM_SCHEDULER_GRACE_HOURS"])


def _start_due(promotion_id: int, tenant_id: int, now: dt.datetime) -> int:
    # Locked, then checked again: another tick may have started it since the list was read.
    promotion = db.scalar(
        select(Promotion)
        .where(
            Promotion.id == promotion_id,
            Promotion.status == PromotionStatus.SCHEDULED,
            Promotion.next_run_at <= now,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if promotion is None:
        return 0
    tenant = db.get(Tenant, tenant_id)
    due_at = promotion.next_run_at
    try:
        if now - due_at > grace():
            _record_missed(tenant, promotion, due_at, now)
            return 0
        run = materialise_run(tenant, promotion, due_at, now)
    except RunAlreadyStarted:
        return 0
    return 0 if run.error else 1


def _record_missed(tenant: Tenant, promotion: Promotion, due_at: dt.datetime, now: dt.datetime) -> None:
    local = due_at.astimezone(ZoneInfo(tenant.timezone))
    with force_locale(tenant.locale):
        error = _("missed: the scheduler was not running at %(time)s", time=local.strftime("%Y-%m-%d %H:%M"))
    record_failed_run(tenant, promotion, due_at, now, error)
    # A repeating promotion goes on from its next run that is still fresh; a one-off one has failed.
    following = next_run_after(tenant, promotion, now - grace()) if promotion.repeat != Repeat.NONE else None
    promotion.next_run_at = following
    if following is None:
        promotion.status = PromotionStatus.FAILED if promotion.repeat == Repeat.NONE else PromotionStatus.SENT
    db.flush()


def finish_sent(now: dt.datetime) -> int:
    """One-off promotions whose messages have all left the queue: sending → sent. The number moved."""
    unfinished = exists().where(
        PromotionRun.promotion_id == Promotion.id,
        PromotionRun.tenant_id == Promotion.tenant_id,
        Message.promotion_run_id == PromotionRun.id,
        Message.tenant_id == Promotion.tenant_id,
        Message.status.in_(UNFINISHED),
    )
    with unscoped():
        result = db.execute(
            update(Promotion)
            .where(Promotion.status == PromotionStatus.SENDING, Promotion.repeat == Repeat.NONE, ~unfinished)
            .values(status=PromotionStatus.SENT, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount
