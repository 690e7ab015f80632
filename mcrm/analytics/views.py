"""Analytics pages in the portal: the RFM grid, each class's members (and their CSV), refreshing the scores."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import ngettext

from mcrm.analytics.class_csv import class_members_csv
from mcrm.analytics.models import RfmClass
from mcrm.analytics.rfm import class_counts, members_in_class, refresh_scores, scored_at
from mcrm.analytics.rfm_classes import CLASS_EXPLANATIONS, CLASS_GRID, CLASS_LABELS
from mcrm.auth.decorators import owner_required, shop_user_required
from mcrm.auth.views import safe_next
from mcrm.db import db
from mcrm.pagination import page_choice

bp = Blueprint("analytics", __name__, url_prefix="/analytics")


@bp.route("/rfm")
@shop_user_required
def rfm_grid():
    counts = class_counts(g.tenant)
    return render_template(
        "analytics/rfm_grid.html",
        counts=counts,
        total=sum(counts.values()),
        grid=CLASS_GRID,
        labels=CLASS_LABELS,
        explanations=CLASS_EXPLANATIONS,
        scored_at=scored_at(g.tenant),
    )


@bp.route("/rfm/<rfm_class>")
@shop_user_required
def rfm_class_members(rfm_class: str):
    chosen = _class_or_404(rfm_class)
    total = class_counts(g.tenant)[chosen]
    paging = page_choice(total)
    page, pages = paging.page, paging.pages
    rows = db.execute(paging.of(members_in_class(g.tenant, chosen))).tuples()
    return render_template(
        "analytics/rfm_class.html",
        rfm_class=chosen,
        label=CLASS_LABELS[chosen],
        explanation=CLASS_EXPLANATIONS[chosen],
        rows=list(rows),
        total=total,
        page=page,
        pages=pages,
        scored_at=scored_at(g.tenant),
    )


@bp.route("/rfm/<rfm_class>/export.csv")
@owner_required
def export_rfm_class(rfm_class: str):
    # Owner only, as every member export: a list of phone numbers is what a leaving employee would take.
    chosen = _class_or_404(rfm_class)
    today = datetime.now(ZoneInfo(g.tenant.timezone)).strftime("%Y%m%d")
    return Response(
        class_members_csv(g.tenant, chosen),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=members-{chosen.value}-{g.tenant.slug}-{today}.csv"},
    )


@bp.post("/rfm/refresh")
@shop_user_required
def refresh_rfm():
    scored = refresh_scores(g.tenant)
    db.commit()
    flash(ngettext("%(num)d member scored.", "%(num)d members scored.", scored), "success")
    return redirect(safe_next(url_for("members.index")))


def _class_or_404(name: str) -> RfmClass:
    try:
        return RfmClass(name)
    except ValueError:
        abort(404)
