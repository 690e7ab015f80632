"""The scheduler's RFM tick: each active shop's scores refreshed once a night, in the shop's own night."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mcrm.analytics.models import MemberScore
from mcrm.analytics.rfm import refresh_scores
from mcrm.db import db, utcnow
from tenants.isolation import scoped_to
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)
# Shop time: after closing, and before the day's promotions pick their targets.
REFRESH_AT = dt.time(3, 0)


def _last_refresh_time(tenant: Tenant, now: dt.datetime) -> dt.datetime:
    """The latest REFRESH_AT in shop time at or before `now`."""
    zone = ZoneInfo(tenant.timezone)
    local_now = now.astimezone(zone)
    at = dt.datetime.combine(local_now.date(), REFRESH_AT, tzinfo=zone)
    return at if at <= local_now else at - dt.timedelta(days=1)


def is_due(tenant: Tenant, now: dt.datetime) -> bool:
    """No scores since the shop's last REFRESH_AT: so a missed night (scheduler down) is caught up at once."""
    # A refresh gives all of a shop's rows the same computed_at, so any row tells when it ran. A shop with
    # no members has no rows and is refreshed (a no-op) every tick.
    computed_at = db.scalar(select(MemberScore.computed_at).where(MemberScore.tenant_id == tenant.id).limit(1))
    return computed_at is None or computed_at < _last_refresh_time(tenant, now)


def refresh_due_shops(now: dt.datetime | None = None) -> int:
    """Refresh every active shop that is due, each in its own transaction; the number refreshed.

    Re-running it refreshes nothing new. A shop that fails is logged and skipped, and tried again next tick.
    """
    now = now or utcnow()
    tenant_ids = db.scalars(select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)).all()
    refreshed = 0
    for tenant_id in tenant_ids:
        try:
            with scoped_to(tenant_id):
                tenant = db.get(Tenant, tenant_id)
                if is_due(tenant, now):
                    refresh_scores(tenant, now)
                    db.commit()
                    refreshed += 1
        except Exception:
            db.rollback()
            log.exception("RFM refresh failed for shop %s", tenant_id)
    return refreshed
