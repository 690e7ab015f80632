"""The owner's surveys (市场调查): the list, the builder, open and close, sending to a segment, the results
and their CSV.

The builder is one ordinary form with a fixed number of question rows (and a button for more), so it works
without JavaScript. Sending is a promotion with the survey attached: the page previews the first SMS and
what the audience costs, then hands over to the promotion's page, where the progress shows.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import FieldList

from mcrm.auth.decorators import owner_required
from mcrm.db import db, utcnow
from mcrm.promotions.forms import DEFAULT_COUPON_DAYS, NOW
from mcrm.promotions.services import Plan, PromotionError, audience_of, preview, segment_of
from mcrm.segments.conditions import SegmentError, parse_definition
from mcrm.segments.models import Segment
from mcrm.surveys import sending
from mcrm.surveys.forms import BLANK_QUESTION_ROWS, KIND_LABELS, STATUS_LABELS, SendForm, SurveyForm
from mcrm.surveys.models import QuestionKind, Survey, SurveyStatus
from mcrm.surveys.results import answers_csv, average_text, survey_results
from mcrm.surveys.services import (
    MAX_QUESTIONS,
    QuestionDraft,
    SurveyDraft,
    SurveyError,
    close_survey,
    create_survey,
    has_responses,
    list_surveys,
    open_survey,
    question_counts,
    response_counts,
    update_survey,
)
from tenants.isolation import get_or_404

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
MORE_QUESTION_ROWS = 3


def _segments() -> list[Segment]:
    return list(db.scalars(select(Segment).where(Segment.tenant_id == g.tenant.id).order_by(Segment.name)))


def _form_error(form, error: SurveyError | PromotionError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    # The question rows show their own errors: a message about all of them goes above the form.
    if field is None or isinstance(field, FieldList):
        form.form_errors.append(str(error))
    else:
        field.errors = [*field.errors, str(error)]  # a tuple until the form is validated


@bp.route("/")
@owner_required
def index():
    surveys = list_surveys(g.tenant)
    ids = [survey.id for survey in surveys]
    return render_template(
        "surveys/index.html",
        surveys=surveys,
        counts=response_counts(g.tenant, ids),
        questions=question_counts(g.tenant, ids),
        statuses=STATUS_LABELS,
    )


# The builder.


def _form_data(survey: Survey) -> dict:
    return {
        "name": survey.name,
        "keyword": (survey.keyword or "").upper(),
        "intro": survey.intro,
        "thank_you": survey.thank_you,
        "reward_points": survey.reward_points,
        "coupon_offer": survey.coupon_offer,
        "coupon_valid_days": survey.coupon_valid_days,
        "expire_hours": survey.expire_hours,
        "questions": [
            {"prompt": q.prompt, "kind": q.kind.value, "options": "\n".join(q.options or [])} for q in survey.questions
        ],
    }


def _add_rows(form: SurveyForm, count: int) -> None:
    for _row in range(count):
        if len(form.questions.entries) < MAX_QUESTIONS:
            form.questions.append_entry()


def _draft(form: SurveyForm, survey: Survey | None, locked: bool) -> SurveyDraft:
    rows = [
        QuestionDraft(
            prompt=entry.prompt.data or "",
            kind=QuestionKind(entry.kind.data),
            options=tuple((entry.options.data or "").splitlines()),
        )
        for entry in form.questions.entries
    ]
    if locked and survey is not None and not any(row.prompt.strip() for row in rows):
        # The page shows answered questions without their inputs: they stay as they are.
        rows = [QuestionDraft(q.prompt, q.kind, tuple(q.options or ())) for q in survey.questions]
    return SurveyDraft(
        name=form.name.data or "",
        keyword=form.keyword.data or "",
        intro=form.intro.data or "",
        thank_you=form.thank_you.data or "",
        reward_points=form.reward_points.data or 0,
        coupon_offer=form.coupon_offer.data or "",
        coupon_valid_days=form.coupon_valid_days.data or DEFAULT_COUPON_DAYS,
        expire_hours=form.expire_hours.data or 48,
        questions=tuple(rows),
    )


def _builder(form: SurveyForm, survey: Survey | None):
    locked = survey is not None and has_responses(g.tenant, survey)
    if not form.is_submitted() and not locked:
        # A couple of blank rows below the questions there are, to add one without JavaScript.
        wanted = max(BLANK_QUESTION_ROWS, len(survey.questions) + 2 if survey else 0)
        _add_rows(form, wanted - len(form.questions.entries))
    elif request.form.get("more"):
        _add_rows(form, MORE_QUESTION_ROWS)
    elif form.validate_on_submit():
        try:
            draft = _draft(form, survey, locked)
            if survey is None:
                survey = create_survey(g.tenant, draft)
            else:
                update_survey(g.tenant, survey, draft)
        except SurveyError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            flash(_("The survey “%(name)s” is saved.", name=survey.name), "success")
            return redirect(url_for(".edit", survey_id=survey.id))
    return render_template(
        "surveys/builder.html",
        form=form,
        survey=survey,
        locked=locked,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        more_rows=not locked and len(form.questions.entries) < MAX_QUESTIONS,
    )


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def new():
    return _builder(SurveyForm(), None)


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@owner_required
def edit(survey_id: int):
    survey = get_or_404(Survey, survey_id)
    return _builder(SurveyForm(data=_form_data(survey)), survey)


@bp.route("/<int:survey_id>/open", methods=["POST"])
@owner_required
def open_(survey_id: int):
    survey = get_or_404(Survey, survey_id)
    try:
        open_survey(g.tenant, survey)
    except SurveyError as error:
        db.rollback()
        flash(str(error), "error")
    else:
        db.commit()
        if survey.keyword:
            message = _(
                "“%(name)s” is open: send it to a segment, or customers can text %(keyword)s to start it.",
                name=survey.name,
                keyword=survey.keyword.upper(),
            )
        else:
            message = _("“%(name)s” is open: send it to a segment.", name=survey.name)
        flash(message, "success")
    return redirect(url_for(".edit", survey_id=survey.id))


@bp.route("/<int:survey_id>/close", methods=["POST"])
@owner_required
def close(survey_id: int):
    survey = get_or_404(Survey, survey_id)
    try:
        close_survey(g.tenant, survey)
    except SurveyError as error:
        db.rollback()
        flash(str(error), "error")
    else:
        db.commit()
        flash(_("“%(name)s” is closed: it takes no more answers.", name=survey.name), "success")
    return redirect(url_for(".edit", survey_id=survey.id))


# Sending.


def _preview(form: SendForm, survey: Survey, now: dt.datetime):
    """The first SMS as the audience's first member gets it, and what the whole audience costs."""
    if not form.segment_id.data or not survey.questions:
        return None
    try:
        definition = audience_of(g.tenant, segment_of(g.tenant, form.segment_id.data))
        plan = Plan(name=survey.name, segment_id=form.segment_id.data, body=sending.survey_message(g.tenant, survey))
        return preview(g.tenant, definition, plan, "", now)
    except PromotionError as error:
        _form_error(form, error)
        return None


@bp.route("/<int:survey_id>/send", methods=["GET", "POST"])
@owner_required
def send(survey_id: int):
    survey = get_or_404(Survey, survey_id)
    now = utcnow()
    form = SendForm()
    form.segment_id.choices = [(segment.id, segment.name) for segment in _segments()]
    if not form.is_submitted():
        form.segment_id.data = request.args.get("segment_id", type=int)
    elif form.validate() and request.form.get("send"):
        try:
            promotion = sending.send_survey(
                g.tenant, survey, form.segment_id.data, form.send_at_local, current_user, now
            )
        except SurveyError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            flash(_("The survey “%(name)s” goes out as this promotion: follow it here.", name=survey.name), "success")
            return redirect(url_for("promotions.show", promotion_id=promotion.id))
    return render_template(
        "surveys/send.html",
        survey=survey,
        form=form,
        preview=_preview(form, survey, now),
        send_now=form.when.data == NOW,
        zone=g.tenant.timezone,
        is_open=survey.status == SurveyStatus.OPEN,
    )


# Results.


@bp.route("/<int:survey_id>/results")
@owner_required
def results(survey_id: int):
    survey = get_or_404(Survey, survey_id)
    now = utcnow()
    segments = _segments()
    chosen = next((s for s in segments if s.id == request.args.get("segment", type=int)), None)
    problem = None
    definition = None
    if chosen is not None:
        try:
            definition = parse_definition(g.tenant, chosen.definition)
        except SegmentError as error:
            problem = str(error)
    return render_template(
        "surveys/results.html",
        survey=survey,
        results=survey_results(g.tenant, survey, now, definition),
        segments=segments,
        chosen=chosen if definition is not None else None,
        problem=problem,
        statuses=STATUS_LABELS,
        average=average_text,
    )


@bp.route("/<int:survey_id>/answers.csv")
@owner_required
def export(survey_id: int):
    survey = get_or_404(Survey, survey_id)
    today = dt.datetime.now(ZoneInfo(g.tenant.timezone)).strftime("%Y%m%d")
    # The survey's name may be Chinese, which a header cannot carry as is: the file is named by its number.
    name = f"survey-{survey.id}-{g.tenant.slug}-{today}.csv"
    return Response(
        answers_csv(g.tenant, survey),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
