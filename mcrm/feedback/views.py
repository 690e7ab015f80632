"""The portal's inbox: complaints, suggestions and feedback texted to the shop, answered by SMS from here."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from mcrm.auth.decorators import shop_user_required
from mcrm.db import db, utcnow
from mcrm.feedback.forms import AnswerForm
from mcrm.feedback.labels import KIND_LABELS, STATUS_LABELS
from mcrm.feedback.models import Feedback, FeedbackKind, FeedbackStatus
from mcrm.feedback.services import (
    FeedbackError,
    answer_feedback,
    answer_times,
    close_feedback,
    inbox_query,
    members_by_id,
    open_count,
    reopen_feedback,
    status_counts,
)
from mcrm.messaging.counter import cost
from mcrm.messaging.labels import MESSAGE_STATUS_LABELS, SUPPRESS_REASON_LABELS
from mcrm.messaging.models import Message, MessageKind
from mcrm.pagination import page_choice
from tenants.isolation import get_or_404
from tenants.models import User

bp = Blueprint("feedback", __name__, url_prefix="/inbox")
TABS = ("open", "answered", "closed", "all")
KIND_VALUES = frozenset(k.value for k in FeedbackKind)


@bp.app_context_processor
def _inbox_badge() -> dict:
    # A function, so the COUNT runs only where the nav calls it (a shop user's page), not on every render.
    return {"open_feedback_count": lambda: open_count(g.tenant) if getattr(g, "tenant", None) else 0}


@bp.app_template_filter("wait_time")
def _wait_time(waited: dt.timedelta) -> str:
    """A wait as people say it (3 hours, 2 days); a text that just arrived has waited a minute, not 0."""
    return format_timedelta(max(waited, dt.timedelta(minutes=1)), granularity="minute")


@bp.route("/")
@shop_user_required
def index():
    tenant = g.tenant
    tab = request.args.get("status", "open")
    tab = tab if tab in TABS else "open"
    kind_arg = request.args.get("kind", "")
    kind = FeedbackKind(kind_arg) if kind_arg in KIND_VALUES else None
    query = inbox_query(tenant, status=None if tab == "all" else FeedbackStatus(tab), kind=kind)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    chosen = page_choice(total)
    page, pages = chosen.page, chosen.pages
    items = db.scalars(chosen.of(query)).all()
    counts = status_counts(tenant, kind)
    return render_template(
        "feedback/index.html",
        items=items,
        members=members_by_id(tenant, items),
        tab=tab,
        kind=kind.value if kind else "",
        tabs=[(s.value, STATUS_LABELS[s], counts[s]) for s in FeedbackStatus]
        + [("all", _("All"), sum(counts.values()))],
        times=answer_times(tenant),
        total=total,
        page=page,
        pages=pages,
        now=utcnow(),
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
    )


@bp.route("/<int:feedback_id>")
@shop_user_required
def show(feedback_id: int):
    return render_thread(get_or_404(Feedback, feedback_id))


def render_thread(feedback: Feedback, form: AnswerForm | None = None):
    """The thread; an answer form that failed is passed in to show its errors."""
    answers = feedback.answers
    message_ids = {a.message_id for a in answers if a.message_id}
    messages = {m.id: m for m in db.scalars(select(Message).where(Message.id.in_(message_ids)))} if message_ids else {}
    user_ids = {a.user_id for a in answers if a.user_id}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    form = form or AnswerForm(prefix="sms")
    return render_template(
        "feedback/show.html",
        feedback=feedback,
        member=members_by_id(g.tenant, [feedback]).get(feedback.member_id),
        answers=answers,
        messages=messages,
        users=users,
        form=form,
        text_cost=cost(g.tenant, form.body.data or "", MessageKind.TRANSACTIONAL),
        now=utcnow(),
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        message_statuses=MESSAGE_STATUS_LABELS,
        suppress_reasons=SUPPRESS_REASON_LABELS,
    )


@bp.route("/<int:feedback_id>/answer", methods=["POST"])
@shop_user_required
def answer(feedback_id: int):
    feedback = get_or_404(Feedback, feedback_id)
    form = AnswerForm(prefix="sms")
    if not form.validate_on_submit():
        return render_thread(feedback, form)
    try:
        reply = answer_feedback(feedback, current_user, form.body.data, idempotency_key=form.idempotency_key.data)
    except FeedbackError as error:
        db.rollback()
        form.form_errors.append(str(error))
        return render_thread(feedback, form)
    parts = db.get(Message, reply.message_id).parts
    db.commit()
    flash(ngettext("Answer queued: %(num)d credit used.", "Answer queued: %(num)d credits used.", parts), "success")
    return redirect(url_for(".show", feedback_id=feedback.id))


@bp.route("/<int:feedback_id>/close", methods=["POST"])
@shop_user_required
def close(feedback_id: int):
    close_feedback(get_or_404(Feedback, feedback_id))
    db.commit()
    flash(_("Closed."), "success")
    # Closing is usually the last step: back to the items still waiting.
    return redirect(url_for(".index"))


@bp.route("/<int:feedback_id>/reopen", methods=["POST"])
@shop_user_required
def reopen(feedback_id: int):
    feedback = get_or_404(Feedback, feedback_id)
    reopen_feedback(feedback)
    db.commit()
    flash(_("Reopened."), "success")
    return redirect(url_for(".show", feedback_id=feedback.id))
