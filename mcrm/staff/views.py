"""The owner's staff pages."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mcrm.auth.decorators import owner_required
from mcrm.db import db
from mcrm.staff.forms import ROLE_LABELS, StaffCreateForm, StaffEditForm
from mcrm.staff.services import add_staff_with_mobile, set_mobile
from tenants.isolation import get_or_404
from tenants.models import Role, User
from tenants.services import TenantError, update_staff

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@owner_required
def index():
    return render_template("staff/index.html", users=g.tenant.users, role_labels=ROLE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def create():
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user = add_staff_with_mobile(
                g.tenant,
                name=form.name.data,
                login=form.login.data,
                mobile=form.mobile.data or "",
                password=form.password.data,
                role=Role(form.role.data),
            )
        except TenantError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(_("%(name)s can now log in as %(login)s.", name=user.name, login=user.login), "success")
            return redirect(url_for("staff.index"))
    return render_template("staff/form.html", form=form, user=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@owner_required
def edit(user_id: int):
    user = get_or_404(User, user_id)
    form = StaffEditForm(obj=user, role=user.role.value, mobile=user.phone or "")
    if form.validate_on_submit():
        try:
            update_staff(
                g.tenant,
                user,
                name=form.name.data,
                role=Role(form.role.data),
                active=form.active.data,
                acting=current_user,
                new_password=form.new_password.data or None,
            )
            set_mobile(g.tenant, user, form.mobile.data or "")
        except TenantError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("staff.index"))
    return render_template("staff/form.html", form=form, user=user)
