"""The owner's promotions (信息发布): compose, preview, schedule, watch it go out, read the results.

Compose is one form with two buttons: Preview renders the page again with the message as a sample member
gets it and what the audience costs, saving nothing; Schedule (or Send now) saves it. Nothing is sent from
a web request: the scheduler's tick starts every run, "send now" included.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mcrm.auth.decorators import owner_required
from mcrm.db import db, utcnow
from mcrm.messaging.counter import cost
from mcrm.messaging.models import MessageKind
from mcrm.promotions.forms import (
    AT,
    DEFAULT_ATTRIBUTION_DAYS,
    DEFAULT_COUPON_DAYS,
    DEFAULT_HOLDOUT,
    NOW,
    REPEAT_LABELS,
    STATUS_LABELS,
    CancelForm,
    PromotionForm,
)
from mcrm.promotions.models import Promotion, PromotionStatus, Repeat
from mcrm.promotions.results import latest_runs, progress, results
from mcrm.promotions.services import (
    EXAMPLE_COUPON,
    Plan,
    Preview,
    PromotionError,
    audience_of,
    cancel_promotion,
    create_promotion,
    editable,
    plan_of,
    preview,
    segment_of,
    update_promotion,
)
from mcrm.segments.compile import describe
from mcrm.segments.conditions import SegmentError, parse_definition
from mcrm.segments.models import Segment
from tenants.isolation import get_or_404

bp = Blueprint("promotions", __name__, url_prefix="/promotions")
# On Preview only the fields the preview needs report their errors: the rest may still be unfilled.
PREVIEW_FIELDS = frozenset({"segment_id", "body", "sample_phone", "coupon_enabled", "holdout_percent"})


def _segments() -> list[Segment]:
    return list(db.scalars(select(Segment).where(Segment.tenant_id == g.tenant.id).order_by(Segment.name)))


def _plan(form: PromotionForm) -> Plan:
    """The form as a plan; a number the form refused falls back to its default so a preview still shows."""
    holdout = (form.holdout_percent.data or DEFAULT_HOLDOUT) if form.holdout_enabled.data else 0
    return Plan(
        name=form.name.data or "",
        segment_id=form.segment_id.data,
        body=form.body.data or "",
        holdout_percent=holdout if 1 <= holdout <= 50 else 0,
        attribution_days=form.attribution_days.data or DEFAULT_ATTRIBUTION_DAYS,
        coupon_enabled=bool(form.coupon_enabled.data),
        coupon_offer=form.coupon_offer.data or "",
        coupon_valid_days=form.coupon_valid_days.data or DEFAULT_COUPON_DAYS,
        send_at_local=form.send_at_local,
        repeat=form.repeat,
        repeat_until_local=form.repeat_until.data if form.repeat != Repeat.NONE else None,
    )


def _form_data(plan: Plan) -> dict:
    """A saved promotion's plan as the form's initial data."""
    when = AT if plan.repeat == Repeat.NONE else plan.repeat.value
    return {
        "name": plan.name,
        "segment_id": plan.segment_id,
        "body": plan.body,
        "coupon_enabled": plan.coupon_enabled,
        "coupon_offer": plan.coupon_offer,
        "coupon_valid_days": plan.coupon_valid_days,
        "holdout_enabled": plan.holdout_percent > 0,
        "holdout_percent": plan.holdout_percent or DEFAULT_HOLDOUT,
        "attribution_days": plan.attribution_days,
        "when": when,
        "send_at": plan.send_at_local,
        "repeat_until": plan.repeat_until_local,
    }


def _form_error(form: PromotionForm, error: PromotionError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(str(error))
    elif str(error) not in field.errors:
        field.errors.append(str(error))


def _preview(form: PromotionForm, now) -> Preview | None:
    """The preview, whenever the audience and the message can be read."""
    if not form.segment_id.data or not (form.body.data or "").strip() or form.body.errors:
        return None
    plan = _plan(form)
    try:
        segment = segment_of(g.tenant, plan.segment_id)
        return preview(g.tenant, audience_of(g.tenant, segment), plan, form.sample_phone.data or "", now)
    except PromotionError as error:
        _form_error(form, error)
        return None


def _saved_message(promotion: Promotion, send_now: bool) -> str:
    if send_now:
        return _("“%(name)s” goes out within a minute: watch it here.", name=promotion.name)
    return _(
        "“%(name)s” is scheduled for %(time)s (%(zone)s).",
        name=promotion.name,
        time=format_datetime(promotion.next_run_at, "short"),
        zone=g.tenant.timezone,
    )


def _compose(form: PromotionForm, promotion: Promotion | None):
    now = utcnow()
    form.segment_id.choices = [(segment.id, segment.name) for segment in _segments()]
    shown = None
    if form.is_submitted():
        valid = form.validate()
        if form.preview.data:
            for field in form:
                if field.name not in PREVIEW_FIELDS:
                    field.errors = []
            form.form_errors.clear()
        elif valid:
            plan = _plan(form)
            try:
                if promotion is None:
                    promotion = create_promotion(g.tenant, plan, current_user, now)
                else:
                    update_promotion(g.tenant, promotion, plan, now)
            except PromotionError as error:
                db.rollback()
                _form_error(form, error)
            else:
                db.commit()
                flash(_saved_message(promotion, plan.send_at_local is None), "success")
                return redirect(url_for(".show", promotion_id=promotion.id))
        shown = _preview(form, now)
    return render_template(
        "promotions/form.html",
        form=form,
        promotion=promotion,
        preview=shown,
        text_cost=cost(g.tenant, form.body.data or "", MessageKind.MARKETING),
        send_now=form.when.data == NOW,
        zone=g.tenant.timezone,
        example_coupon=EXAMPLE_COUPON,
    )


@bp.route("/")
@owner_required
def index():
    promotions = list(
        db.scalars(
            select(Promotion)
            .options(selectinload(Promotion.segment))
            .where(Promotion.tenant_id == g.tenant.id)
            .order_by(Promotion.created_at.desc(), Promotion.id.desc())
        )
    )
    has_segments = bool(db.scalar(select(Segment.id).where(Segment.tenant_id == g.tenant.id).limit(1)))
    return render_template(
        "promotions/index.html",
        promotions=promotions,
        latest=latest_runs(g.tenant, [p.id for p in promotions]),
        statuses=STATUS_LABELS,
        has_segments=has_segments,
        zone=g.tenant.timezone,
    )


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def new():
    form = PromotionForm()
    if not form.is_submitted():
        form.segment_id.data = request.args.get("segment", type=int)
    return _compose(form, None)


@bp.route("/<int:promotion_id>/edit", methods=["GET", "POST"])
@owner_required
def edit(promotion_id: int):
    promotion = get_or_404(Promotion, promotion_id)
    if not editable(promotion):
        flash(_("This promotion has already started, so it can no longer be changed."), "error")
        return redirect(url_for(".show", promotion_id=promotion.id))
    form = PromotionForm(data=_form_data(plan_of(g.tenant, promotion)))
    return _compose(form, promotion)


@bp.route("/<int:promotion_id>/cancel", methods=["POST"])
@owner_required
def cancel(promotion_id: int):
    promotion = get_or_404(Promotion, promotion_id)
    if CancelForm().validate_on_submit():
        try:
            cancel_promotion(g.tenant, promotion)
        except PromotionError as error:
            db.rollback()
            flash(str(error), "error")
        else:
            db.commit()
            flash(_("“%(name)s” is cancelled: nothing more will be sent.", name=promotion.name), "success")
    return redirect(url_for(".show", promotion_id=promotion.id))


@bp.route("/<int:promotion_id>")
@owner_required
def show(promotion_id: int):
    promotion = get_or_404(Promotion, promotion_id)
    now = utcnow()
    try:
        definition = parse_definition(g.tenant, promotion.definition)
        audience = describe(g.tenant, definition)
        sample = preview(g.tenant, definition, plan_of(g.tenant, promotion), "", now)
        problem = None
    except (SegmentError, PromotionError) as error:
        # A condition that no longer reads (a deleted tag): the page still shows what was sent.
        audience, sample, problem = [], None, str(error)
    return render_template(
        "promotions/show.html",
        promotion=promotion,
        audience=audience,
        audience_problem=problem,
        sample=sample,
        editable=editable(promotion),
        statuses=STATUS_LABELS,
        repeats=REPEAT_LABELS,
        progress=progress(g.tenant, promotion, now),
        results=results(g.tenant, promotion, now),
        cancel_form=CancelForm(),
        zone=g.tenant.timezone,
        scheduled=promotion.status == PromotionStatus.SCHEDULED,
    )


@bp.route("/<int:promotion_id>/progress")
@owner_required
def progress_json(promotion_id: int):
    """The latest run's counts for the page's progress bar (promotions.js asks while it moves)."""
    promotion = get_or_404(Promotion, promotion_id)
    return jsonify(progress(g.tenant, promotion, utcnow()))
