"""The owner's keyword apps (应用管理): the list, the three-step wizard, an app's page, on/off, delete, export.

The wizard creates the app, switched off, at step 1 and edits it at steps 2 and 3, so every step is an
ordinary form post that works without JavaScript, a half-finished app is never lost (it waits in the list,
off), and editing an app later walks the same steps. `?new=1` travels along the steps of a new app only to
propose switching it on at the end.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import FieldList

from mcrm.apps.forms import (
    ANSWER_TYPE_LABELS,
    BLANK_QUESTION_ROWS,
    KIND_HELP,
    KIND_LABELS,
    TEXT_FORMS,
    BasicsForm,
    DeleteAppForm,
    ReviewForm,
)
from mcrm.apps.models import AnswerType, AppKind, KeywordApp
from mcrm.apps.placeholders import substitute
from mcrm.apps.runtime import FORM_TIMEOUT
from mcrm.apps.services import (
    MAX_QUESTIONS,
    AppError,
    create_app,
    delete_app,
    kind_may_change,
    latest_subscribers,
    lookup_rows,
    lookup_table_text,
    missing_parts,
    parse_lookup_table,
    set_enabled,
    set_lookup_rows,
    set_questions,
    set_texts,
    subscriber_count,
    update_app,
)
from mcrm.apps.submissions import answer_cells, answer_columns, latest_submissions, submission_count, submissions_csv
from mcrm.auth.decorators import owner_required
from mcrm.db import db
from mcrm.messaging.counter import cost
from mcrm.messaging.models import MessageKind
from mcrm.messaging.shop_alerts import alert_recipients
from tenants.isolation import get_or_404
from tenants.models import Tenant
from tenants.numbers import sms_number

bp = Blueprint("apps", __name__, url_prefix="/apps")
MORE_QUESTION_ROWS = 3
# The counters under the texts of step 2, by field.
COUNTED = ("reply_text", "leave_text", "not_found_text")


def _form_error(form, error: AppError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    # A list of rows shows its own errors per row: a message about all of them goes above the form.
    (form.form_errors if field is None or isinstance(field, FieldList) else field.errors).append(str(error))


def _wizard() -> dict:
    """The query argument that marks the steps of a new app."""
    return {"new": 1} if request.args.get("new") else {}


def sample(tenant: Tenant, text: str, **extra: object) -> str:
    """`text` as a customer named Wang Fang with 120 points would read it."""
    return substitute(text, {"name": _("Wang Fang"), "points": 120, "shop": tenant.name, **extra})


def _page(template: str, app: KeywordApp | None, **context):
    return render_template(
        template,
        app=app,
        kinds=KIND_LABELS,
        kind_help=KIND_HELP,
        answer_types=ANSWER_TYPE_LABELS,
        number=sms_number(g.tenant),
        sample=lambda text, **extra: sample(g.tenant, text, **extra),
        form_minutes=int(FORM_TIMEOUT.total_seconds() // 60),
        wizard=_wizard(),
        **context,
    )


@bp.route("/")
@owner_required
def index():
    apps = db.scalars(select(KeywordApp).where(KeywordApp.tenant_id == g.tenant.id).order_by(KeywordApp.keyword))
    return _page("apps/index.html", None, apps=apps.all())


# Step 1: keyword, name, type.


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def create():
    form = BasicsForm()
    if form.validate_on_submit():
        try:
            app = create_app(g.tenant, keyword=form.keyword.data, name=form.name.data, kind=AppKind(form.kind.data))
        except AppError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            return redirect(url_for(".texts", app_id=app.id, new=1))
    return _page("apps/basics.html", None, form=form, kind_locked=False)


@bp.route("/<int:app_id>/edit", methods=["GET", "POST"])
@owner_required
def edit(app_id: int):
    app = get_or_404(KeywordApp, app_id)
    form = BasicsForm(obj=app, keyword=app.keyword.upper(), kind=app.kind.value)
    kind_locked = not kind_may_change(app)
    if kind_locked:
        form.kind.data = app.kind.value
    if form.validate_on_submit():
        try:
            update_app(g.tenant, app, keyword=form.keyword.data, name=form.name.data, kind=AppKind(form.kind.data))
        except AppError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            return redirect(url_for(".texts", app_id=app.id, **_wizard()))
    return _page("apps/basics.html", app, form=form, kind_locked=kind_locked)


# Step 2: the texts, and the table or the questions.


def _text_data(app: KeywordApp) -> dict:
    return {
        "reply_text": app.reply_text,
        "leave_text": app.leave_text,
        "not_found_text": app.not_found_text,
        "notify_shop": app.notify_shop,
        "table": lookup_table_text(lookup_rows(app)) if app.kind == AppKind.LOOKUP else "",
        "questions": [{"prompt": q.prompt, "answer_type": q.answer_type.value} for q in app.questions],
    }


def _add_question_rows(form, count: int) -> None:
    for _row in range(count):
        if len(form.questions.entries) < MAX_QUESTIONS:
            form.questions.append_entry()


@bp.route("/<int:app_id>/texts", methods=["GET", "POST"])
@owner_required
def texts(app_id: int):
    app = get_or_404(KeywordApp, app_id)
    form = TEXT_FORMS[app.kind](data=_text_data(app))
    bad_lines = []
    if app.kind == AppKind.FORM:
        if request.method == "GET":
            # A couple of blank rows below the questions there are, to add one without JavaScript.
            wanted = max(BLANK_QUESTION_ROWS, len(app.questions) + 2)
            _add_question_rows(form, wanted - len(form.questions.entries))
        elif request.form.get("more"):
            _add_question_rows(form, MORE_QUESTION_ROWS)
            return _texts_page(app, form, bad_lines)
    if form.validate_on_submit():
        try:
            bad_lines = _save_texts(app, form)
        except AppError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            if not bad_lines:
                return redirect(url_for(".review", app_id=app.id, **_wizard()))
    return _texts_page(app, form, bad_lines)


def _save_texts(app: KeywordApp, form) -> list:
    """Save step 2; the look-up lines that were left out (the good ones are saved all the same)."""
    texts = {field.name: field.data for field in form if field.name in (*COUNTED, "notify_shop")}
    set_texts(app, **texts)
    if app.kind == AppKind.LOOKUP:
        rows, bad_lines = parse_lookup_table(form.table.data)
        if not rows and not bad_lines:
            raise AppError(_("Write at least one row, e.g. 拿铁, 28元."), field="table")
        set_lookup_rows(g.tenant, app, rows)
        return bad_lines
    if app.kind == AppKind.FORM:
        set_questions(
            g.tenant,
            app,
            [(entry.prompt.data or "", AnswerType(entry.answer_type.data)) for entry in form.questions.entries],
        )
    return []


def _texts_page(app: KeywordApp, form, bad_lines: list):
    costs = {
        name: cost(g.tenant, getattr(form, name).data or "", MessageKind.REPLY)
        for name in COUNTED
        if hasattr(form, name)
    }
    return _page(
        "apps/texts.html",
        app,
        form=form,
        costs=costs,
        bad_lines=bad_lines,
        saved_rows=len(lookup_rows(app)) if bad_lines else 0,
        more_rows=app.kind == AppKind.FORM and len(form.questions.entries) < MAX_QUESTIONS,
        owner_phones=len(alert_recipients(g.tenant)) if app.kind == AppKind.FORM else 0,
    )


# Step 3: check, and switch on.


@bp.route("/<int:app_id>/review", methods=["GET", "POST"])
@owner_required
def review(app_id: int):
    app = get_or_404(KeywordApp, app_id)
    form = ReviewForm(enabled=app.enabled or bool(request.args.get("new")))
    if form.validate_on_submit():
        try:
            set_enabled(g.tenant, app, form.enabled.data)
        except AppError as error:
            db.rollback()
            form.enabled.errors.append(str(error))
        else:
            db.commit()
            _flash_state(app)
            return redirect(url_for(".show", app_id=app.id))
    return _page("apps/review.html", app, form=form, rows=lookup_rows(app), gaps=missing_parts(app))


def _flash_state(app: KeywordApp) -> None:
    keyword = app.keyword.upper()
    if app.enabled:
        flash(_("%(keyword)s is on: customers can text it now.", keyword=keyword), "success")
    else:
        flash(
            _("%(keyword)s is saved and off: customers cannot use it until you switch it on.", keyword=keyword),
            "success",
        )


# The app's page, and what is done from it.


@bp.route("/<int:app_id>")
@owner_required
def show(app_id: int):
    app = get_or_404(KeywordApp, app_id)
    context = {"rows": [], "subscribers": [], "subscriber_total": 0, "submissions": [], "submission_total": 0}
    if app.kind == AppKind.SUBSCRIPTION:
        context.update(subscribers=latest_subscribers(app), subscriber_total=subscriber_count(app))
    elif app.kind == AppKind.LOOKUP:
        context.update(rows=lookup_rows(app))
    elif app.kind == AppKind.FORM:
        columns = answer_columns(app)
        submissions = [
            (submission, member, *answer_cells(submission.answers or [], columns))
            for submission, member in latest_submissions(app)
        ]
        context.update(
            columns=columns,
            submissions=submissions,
            submission_total=submission_count(app),
            earlier_answers=any(earlier for *_row, earlier in submissions),
        )
    simulator = current_app.config["MCRM_SMS_TRANSPORT"] == "sandbox"
    return _page("apps/show.html", app, gaps=missing_parts(app), simulator=simulator, **context)


@bp.route("/<int:app_id>/switch", methods=["POST"])
@owner_required
def switch(app_id: int):
    app = get_or_404(KeywordApp, app_id)
    try:
        set_enabled(g.tenant, app, request.form.get("enabled") == "1")
    except AppError as error:
        db.rollback()
        flash(str(error), "error")
    else:
        db.commit()
        _flash_state(app)
    return redirect(url_for(".show", app_id=app.id))


@bp.route("/<int:app_id>/delete", methods=["GET", "POST"])
@owner_required
def delete(app_id: int):
    app = get_or_404(KeywordApp, app_id)
    form = DeleteAppForm()
    if form.validate_on_submit():
        keyword = app.keyword.upper()
        delete_app(app)
        db.commit()
        flash(_("The app %(keyword)s is deleted.", keyword=keyword), "success")
        return redirect(url_for(".index"))
    counts = {
        "subscribers": subscriber_count(app) if app.kind == AppKind.SUBSCRIPTION else 0,
        "rows": len(lookup_rows(app)) if app.kind == AppKind.LOOKUP else 0,
        "submissions": submission_count(app) if app.kind == AppKind.FORM else 0,
    }
    return _page("apps/delete.html", app, form=form, counts=counts)


@bp.route("/<int:app_id>/submissions.csv")
@owner_required
def export_submissions(app_id: int):
    app = get_or_404(KeywordApp, app_id)
    if app.kind != AppKind.FORM:
        abort(404)
    today = dt.datetime.now(ZoneInfo(g.tenant.timezone)).strftime("%Y%m%d")
    # The keyword may be Chinese, which a header cannot carry as is: the file is named by the app's number.
    name = f"form-{app.id}-{g.tenant.slug}-{today}.csv"
    return Response(
        submissions_csv(g.tenant, app),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
