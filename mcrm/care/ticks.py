"""The scheduler's greetings tick: each enabled rule of each active shop greets the occasions that are due.

A rule sends on a shop-local day at its hour, in the shop's timezone (on the night clocks go forward over
that hour, at the hour that exists next: zoneinfo's fold=0 reads it with the offset before the change).
A tick looks back over the days the grace period can reach, so a scheduler that was down catches up on
what is at most `MCRM_SCHEDULER_GRACE_HOURS` late and records what is older as missed, with the reason.
Occasions due before the rule was last changed are not the rule's: switching a rule on at 15:00 neither
sends nor reports as missed that morning's 10:00 greeting.

Each rule is locked and handled in its own transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite
every transaction takes the write lock up front), and the unique (rule_id, occurs_on) of a run is the last
guard, so two ticks (or two schedulers by mistake) never greet an occasion twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mcrm.care.audience import occurs
from mcrm.care.models import GreetingRule, GreetingRun, GreetingRunStatus
from mcrm.care.send import AlreadyGreeted, record_run, send_greetings
from mcrm.db import db, utcnow
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)


def grace() -> dt.timedelta:
    """How late a greeting may still go out (MCRM_SCHEDULER_GRACE_HOURS)."""
    return dt.timedelta(hours=current_app.config["MCRM_SCHEDULER_GRACE_HOURS"])


def due_time(tenant: Tenant, rule: GreetingRule, day: dt.date) -> dt.datetime:
    """UTC instant of `rule`'s hour on shop-local `day`."""
    local = dt.datetime.combine(day, dt.time(rule.send_hour), tzinfo=ZoneInfo(tenant.timezone))
    return local.astimezone(dt.UTC)


def run_due_greetings(now: dt.datetime | None = None) -> int:
    """Greet every due occasion of every active shop; the number of greetings queued."""
    now = now or utcnow()
    late = grace()
    with unscoped():
        rules = db.execute(
            select(GreetingRule.id, GreetingRule.tenant_id)
            .join(Tenant, Tenant.id == GreetingRule.tenant_id)
            .where(GreetingRule.enabled.is_(True), Tenant.status == TenantStatus.ACTIVE)
            .order_by(GreetingRule.tenant_id, GreetingRule.id)
        ).all()
    db.commit()
    sent = 0
    for rule_id, tenant_id in rules:
        try:
            with scoped_to(tenant_id):
                sent += _greet_due(rule_id, tenant_id, now, late)
                db.commit()
        except Exception:
            db.rollback()
            log.exception("greeting rule %s of shop %s could not run", rule_id, tenant_id)
    return sent


def _greet_due(rule_id: int, tenant_id: int, now: dt.datetime, late: dt.timedelta) -> int:
    # Locked, then read again: another tick may have handled it, or the owner switched it off, meanwhile.
    rule = db.scalar(
        select(GreetingRule)
        .where(GreetingRule.id == rule_id, GreetingRule.enabled.is_(True))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if rule is None:
        return 0
    tenant = db.get(Tenant, tenant_id)
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    # A day more than the grace period spans: a greeting due late yesterday is still found after midnight.
    first = today - dt.timedelta(days=math.ceil(late / dt.timedelta(days=1)) + 1)
    handled = set(
        db.scalars(
            select(GreetingRun.occurs_on).where(
                GreetingRun.tenant_id == tenant.id, GreetingRun.rule_id == rule.id, GreetingRun.occurs_on >= first
            )
        )
    )
    sent = 0
    day = first
    while day <= today:
        due_at = due_time(tenant, rule, day)
        if day not in handled and rule.updated_at <= due_at <= now and occurs(tenant, rule, day):
            try:
                if now - due_at <= late:
                    run = send_greetings(tenant, rule, day, due_at, now)
                    sent += run.messages
                else:
                    _record_missed(tenant, rule, day, due_at, now)
            except AlreadyGreeted:
                pass  # another tick got there first: theirs stands
        day += dt.timedelta(days=1)
    return sent


def _record_missed(tenant: Tenant, rule: GreetingRule, day: dt.date, due_at: dt.datetime, now: dt.datetime) -> None:
    local = due_at.astimezone(ZoneInfo(tenant.timezone))
    with force_locale(tenant.locale):
        error = _("missed: the scheduler was not running at %(time)s", time=local.strftime("%Y-%m-%d %H:%M"))
    record_run(tenant, rule, day, due_at, now, GreetingRunStatus.MISSED, error)
