"""Analytics actions in the portal: refreshing the RFM scores on demand."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, url_for
from flask_babel import ngettext

from mcrm.analytics.rfm import refresh_scores
from mcrm.auth.decorators import shop_user_required
from mcrm.auth.views import safe_next
from mcrm.db import db

bp = Blueprint("analytics", __name__, url_prefix="/analytics")


@bp.post("/rfm/refresh")
@shop_user_required
def refresh_rfm():
    scored = refresh_scores(g.tenant)
    db.commit()
    flash(ngettext("%(num)d member scored.", "%(num)d members scored.", scored), "success")
    return redirect(safe_next(url_for("members.index")))
