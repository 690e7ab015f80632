"""Opening a shop: the tenant and its owner (tenants/), the trial SMS credit and the greeting rules it starts
with."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from mcrm.care.defaults import ensure_default_rules
from mcrm.credits.models import CreditReason
from mcrm.credits.services import grant
from tenants.models import Tenant
from tenants.services import create_tenant


def open_shop(**details) -> Tenant:
    """create_tenant(**details), plus the configured trial credit and the default greeting rules (off); the
    caller commits."""
    tenant = create_tenant(**details)
    ensure_default_rules(tenant)
    trial = current_app.config["MCRM_TRIAL_SMS_CREDIT"]
    if trial > 0:
        grant(tenant, trial, reason=CreditReason.TRIAL, note=_("Trial credit"))
    return tenant
