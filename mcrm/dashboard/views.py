"""The shop's home page: the shop at a glance, and its figures for the period asked for."""

from flask import Blueprint, g, render_template, request

from mcrm.analytics.charts import dashboard_charts
from mcrm.analytics.rfm import class_counts
from mcrm.analytics.rfm_classes import CLASS_LABELS
from mcrm.analytics.summary import summarize
from mcrm.auth.decorators import shop_user_required
from mcrm.dashboard.period_choice import PERIOD_LABELS, period_from_args, previous_label
from mcrm.db import utcnow
from mcrm.feedback.labels import KIND_LABELS
from mcrm.members.forms import SOURCE_LABELS
from tenants.numbers import sms_number
from tenants.plans import PLAN_TERMS

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@shop_user_required
def index():
    tenant, now = g.tenant, utcnow()
    period, period_error = period_from_args(request.args, tenant.timezone, now)
    summary = summarize(tenant, period, now)
    return render_template(
        "dashboard/index.html",
        tenant=tenant,
        sms_number=sms_number(tenant),
        plan=PLAN_TERMS[tenant.plan],
        active_users=sum(1 for u in tenant.users if u.active),
        summary=summary,
        charts=dashboard_charts(tenant, period, class_counts(tenant), summary.messages),
        period_error=period_error,
        period_labels=PERIOD_LABELS,
        previous_label=previous_label(period),
        range_from=request.args.get("from", ""),
        range_to=request.args.get("to", ""),
        sources=SOURCE_LABELS,
        kinds=KIND_LABELS,
        classes=CLASS_LABELS,
    )
