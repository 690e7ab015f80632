"""Shop settings (owner only)."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from mcrm.auth.decorators import owner_required
from mcrm.db import db
from mcrm.messaging.shop_alerts import alert_recipients
from mcrm.settings.forms import SettingsForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@owner_required
def edit():
    tenant = g.tenant
    form = SettingsForm(obj=tenant)
    if form.validate_on_submit():
        form.populate_obj(tenant)
        db.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("settings.edit"))
    return render_template(
        "settings/edit.html", form=form, tenant=tenant, alert_phones=[u.phone for u in alert_recipients(tenant)]
    )
