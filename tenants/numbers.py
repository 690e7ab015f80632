"""A shop's SMS number: the platform short code followed by the shop's extension."""

from flask import current_app

from tenants.models import Tenant


def sms_number(tenant: Tenant) -> str:
    return current_app.config["MCRM_SHORT_CODE"] + tenant.sms_extension
