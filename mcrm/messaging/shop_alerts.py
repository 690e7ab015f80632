"""Texts from the platform to the shop's own owners: a complaint came in, a form was filled in."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_babel import force_locale
from sqlalchemy import select

from mcrm.credits.services import NotEnoughCredit
from mcrm.db import db
from mcrm.messaging.models import MessageKind
from mcrm.messaging.services import queue_sms
from tenants.models import Role, Tenant, User

log = logging.getLogger(__name__)


def alert_recipients(tenant: Tenant) -> list[User]:
    """The owners alerts go to: active, with a registered mobile."""
    return list(
        db.scalars(
            select(User)
            .where(User.tenant_id == tenant.id, User.role == Role.OWNER, User.active.is_(True), User.phone.is_not(None))
            .order_by(User.id)
        )
    )


def alert_owners(tenant: Tenant, key: str, make_text: Callable[[], str]) -> int:
    """Queue a transactional SMS to every active owner with a registered mobile, each written by
    `make_text` in that owner's language; `key` makes it once-only per owner. A shop short of credit gets
    no alert (logged), and whatever caused it still goes on. Returns how many were queued."""
    queued = 0
    for owner in alert_recipients(tenant):
        with force_locale(owner.locale or tenant.locale):
            text = make_text()
        try:
            with db.begin_nested():
                queue_sms(tenant, owner.phone, text, MessageKind.TRANSACTIONAL, dedupe_key=f"{key}:{owner.id}")
            queued += 1
        except NotEnoughCredit:
            log.warning("shop %s is out of credit: alert %s to owner %s not sent", tenant.id, key, owner.id)
    return queued
