"""The shop's reminders (日志任务): the owner's and staff's own appointments, texted to the shop's phones.

Nothing is sent from a web request: the scheduler's tick texts each reminder when it is due.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mcrm.auth.decorators import shop_user_required
from mcrm.db import db, utcnow
from mcrm.messaging.counter import cost
from mcrm.messaging.models import MessageKind
from mcrm.reminders.forms import SEND_STATUS_LABELS, ActionForm, ReminderForm, repeat_words
from mcrm.reminders.models import Reminder, ReminderRepeat
from mcrm.reminders.schedule import next_times
from mcrm.reminders.services import (
    Plan,
    ReminderError,
    create_reminder,
    delete_reminder,
    first_time,
    list_reminders,
    pause_reminder,
    phone_users,
    recent_sends,
    resume_reminder,
    update_reminder,
)
from tenants.isolation import get_or_404

bp = Blueprint("reminders", __name__, url_prefix="/reminders")
PREVIEW_TIMES = 3
PREVIEW_FIELDS = frozenset({"at", "repeat", "cron"})


def _plan(form: ReminderForm) -> Plan:
    return Plan(
        text=form.text.data or "",
        at_local=form.at.data,
        repeat=form.repeat_value,
        cron=form.cron.data or "",
        recipient_ids=list(form.recipients.data or []),
    )


def _form_data(reminder: Reminder) -> dict:
    local = reminder.first_at.astimezone(ZoneInfo(g.tenant.timezone)).replace(tzinfo=None)
    return {
        "text": reminder.text,
        # A cron reminder's first time is worked out from the expression: the form starts it afresh.
        "at": None if reminder.repeat == ReminderRepeat.CRON else local,
        "repeat": reminder.repeat.value,
        "cron": reminder.cron or "",
        "recipients": [user.id for user in reminder.recipients],
    }


def _cron_preview(form: ReminderForm, now) -> list:
    """The next times of the cron expression typed, to check it reads as meant; [] when it does not read."""
    if form.repeat_value != ReminderRepeat.CRON or not (form.cron.data or "").strip():
        return []
    plan = _plan(form)
    try:
        first = first_time(g.tenant, plan, now)
    except ReminderError as error:
        field = form.cron if error.field == "cron" else form.at
        if str(error) not in field.errors:
            field.errors.append(str(error))
        return []
    sample = Reminder(first_at=first, repeat=ReminderRepeat.CRON, cron=plan.cron)
    return [first, *next_times(g.tenant, sample, first, PREVIEW_TIMES - 1)]


def _edit(form: ReminderForm, reminder: Reminder | None):
    now = utcnow()
    valid = form.validate_on_submit()
    if form.preview.data:
        # Previewing the times saves nothing: only what the times depend on reports its errors.
        for field in form:
            if field.name not in PREVIEW_FIELDS:
                field.errors = []
    elif valid:
        try:
            if reminder is None:
                reminder = create_reminder(g.tenant, _plan(form), current_user, now)
            else:
                update_reminder(g.tenant, reminder, _plan(form), now)
        except ReminderError as error:
            db.rollback()
            field = getattr(form, error.field, None) if error.field else None
            (field.errors if field is not None else form.form_errors).append(str(error))
        else:
            db.commit()
            flash(_("Reminder saved."), "success")
            return redirect(url_for(".index"))
    return render_template(
        "reminders/form.html",
        form=form,
        reminder=reminder,
        users=phone_users(g.tenant),
        chosen=set(form.recipients.data or []),
        cron_times=_cron_preview(form, now),
        text_cost=cost(g.tenant, form.text.data or "", MessageKind.TRANSACTIONAL),
        zone=g.tenant.timezone,
    )


@bp.route("/")
@shop_user_required
def index():
    reminders = list_reminders(g.tenant)
    now = utcnow()
    return render_template(
        "reminders/index.html",
        reminders=reminders,
        sends=recent_sends(g.tenant, [r.id for r in reminders]),
        words={r.id: repeat_words(g.tenant, r) for r in reminders},
        cron_times={
            r.id: next_times(g.tenant, r, now, PREVIEW_TIMES)
            for r in reminders
            if r.repeat == ReminderRepeat.CRON and r.next_at is not None
        },
        statuses=SEND_STATUS_LABELS,
        action_form=ActionForm(),
        zone=g.tenant.timezone,
    )


@bp.route("/new", methods=["GET", "POST"])
@shop_user_required
def new():
    form = ReminderForm()
    if not form.is_submitted() and current_user.phone:
        form.recipients.data = [current_user.id]
    return _edit(form, None)


@bp.route("/<int:reminder_id>/edit", methods=["GET", "POST"])
@shop_user_required
def edit(reminder_id: int):
    reminder = get_or_404(Reminder, reminder_id)
    return _edit(ReminderForm(data=_form_data(reminder)), reminder)


@bp.route("/<int:reminder_id>/pause", methods=["POST"])
@shop_user_required
def pause(reminder_id: int):
    reminder = get_or_404(Reminder, reminder_id)
    if ActionForm().validate_on_submit():
        pause_reminder(reminder)
        db.commit()
        flash(_("Reminder paused: nothing is sent until you resume it."), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:reminder_id>/resume", methods=["POST"])
@shop_user_required
def resume(reminder_id: int):
    reminder = get_or_404(Reminder, reminder_id)
    if ActionForm().validate_on_submit():
        resume_reminder(g.tenant, reminder, utcnow())
        db.commit()
        if reminder.next_at is None:
            flash(_("Reminder resumed, but its time passed while it was paused: nothing more is due."), "error")
        else:
            flash(_("Reminder resumed."), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:reminder_id>/delete", methods=["POST"])
@shop_user_required
def delete(reminder_id: int):
    reminder = get_or_404(Reminder, reminder_id)
    if ActionForm().validate_on_submit():
        delete_reminder(reminder)
        db.commit()
        flash(_("Reminder deleted."), "success")
    return redirect(url_for(".index"))
