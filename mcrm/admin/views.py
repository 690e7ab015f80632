"""Platform admin: list, create and suspend shops; see the health of the background processes and the gateway."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from mcrm.admin.forms import ShopCreateForm, ShopStatusForm
from mcrm.admin.gateway_stats import gateway_stats
from mcrm.auth.decorators import admin_required
from mcrm.credits.forms import TopUpForm
from mcrm.credits.models import CREDIT_REASON_LABELS, CreditEntry
from mcrm.credits.services import grant
from mcrm.db import db
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.shops import open_shop
from tenants.isolation import get_or_404
from tenants.models import Tenant, TenantStatus, User
from tenants.numbers import sms_number
from tenants.plans import PLAN_TERMS, Plan
from tenants.services import TenantError, update_terms

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@admin_required
def shops():
    counts = dict(db.execute(select(User.tenant_id, func.count()).group_by(User.tenant_id)).all())
    tenants = db.scalars(select(Tenant).order_by(Tenant.id)).all()
    return render_template(
        "admin/shops.html", tenants=tenants, user_counts=counts, sms_number=sms_number, plans=PLAN_TERMS
    )


@bp.route("/shops/new", methods=["GET", "POST"])
@admin_required
def create_shop():
    form = ShopCreateForm()
    if form.validate_on_submit():
        try:
            tenant = open_shop(
                name=form.name.data,
                extension=form.extension.data or None,
                locale=form.locale.data,
                owner_name=form.owner_name.data,
                owner_login=form.owner_login.data,
                owner_password=form.owner_password.data,
            )
        except TenantError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(
                _("Shop %(name)s created with number %(number)s.", name=tenant.name, number=sms_number(tenant)),
                "success",
            )
            return redirect(url_for("admin.shop", tenant_id=tenant.id))
    return render_template("admin/shop_new.html", form=form)


@bp.route("/shops/<int:tenant_id>", methods=["GET", "POST"])
@admin_required
def shop(tenant_id: int):
    tenant = get_or_404(Tenant, tenant_id)
    form = ShopStatusForm(plan=tenant.plan.value)
    if form.validate_on_submit():
        action = request.form.get("action")
        status = {"suspend": TenantStatus.SUSPENDED, "activate": TenantStatus.ACTIVE}.get(action, tenant.status)
        update_terms(tenant, plan=Plan(form.plan.data), status=status)
        db.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.shop", tenant_id=tenant.id))
    entries = db.scalars(
        select(CreditEntry).where(CreditEntry.tenant_id == tenant.id).order_by(CreditEntry.id.desc()).limit(20)
    ).all()
    return render_template(
        "admin/shop.html",
        tenant=tenant,
        form=form,
        sms_number=sms_number(tenant),
        top_up_form=TopUpForm(),
        entries=entries,
        reasons=CREDIT_REASON_LABELS,
    )


@bp.route("/shops/<int:tenant_id>/credit", methods=["POST"])
@admin_required
def top_up(tenant_id: int):
    tenant = get_or_404(Tenant, tenant_id)
    form = TopUpForm()
    if form.validate_on_submit():
        entry = grant(tenant, form.credits.data, note=form.note.data or "", by_user=current_user)
        db.commit()
        flash(
            _("%(n)d credits added; balance %(balance)d.", n=form.credits.data, balance=entry.balance_after), "success"
        )
    else:
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("admin.shop", tenant_id=tenant.id))


@bp.route("/health")
@admin_required
def health():
    beats = db.scalars(select(ProcessHeartbeat).order_by(ProcessHeartbeat.kind, ProcessHeartbeat.name)).all()
    return render_template("admin/health.html", beats=beats)


@bp.route("/gateway")
@admin_required
def gateway():
    return render_template("admin/gateway.html", stats=gateway_stats())
