"""Time in a shop's timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tenants.models import Tenant


def shop_local_to_utc(tenant: Tenant, local: dt.datetime) -> dt.datetime:
    """A wall-clock time typed in the shop (naive) as an aware UTC datetime."""
    return local.replace(tzinfo=ZoneInfo(tenant.timezone)).astimezone(dt.UTC)
