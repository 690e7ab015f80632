"""The shop's SMS credit page: balance, usage and every entry."""

from flask import Blueprint, g, render_template
from sqlalchemy import select

from mcrm.auth.decorators import owner_required
from mcrm.credits.models import CREDIT_REASON_LABELS, CreditEntry
from mcrm.credits.services import usage
from mcrm.db import db

bp = Blueprint("credits", __name__, url_prefix="/settings/credit")


@bp.route("/")
@owner_required
def index():
    entries = db.scalars(
        select(CreditEntry).where(CreditEntry.tenant_id == g.tenant.id).order_by(CreditEntry.id.desc()).limit(200)
    ).all()
    return render_template(
        "credits/index.html", tenant=g.tenant, entries=entries, usage=usage(g.tenant), reasons=CREDIT_REASON_LABELS
    )
