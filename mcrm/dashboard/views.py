"""The shop's home page."""

from flask import Blueprint, g, render_template

from mcrm.auth.decorators import shop_user_required
from tenants.numbers import sms_number
from tenants.plans import PLAN_TERMS

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@shop_user_required
def index():
    tenant = g.tenant
    return render_template(
        "dashboard/index.html",
        tenant=tenant,
        sms_number=sms_number(tenant),
        plan=PLAN_TERMS[tenant.plan],
        active_users=sum(1 for u in tenant.users if u.active),
    )
