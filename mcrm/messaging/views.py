"""The portal's message pages: the shop's messages, what a text costs, an SMS to a member, the phone simulator."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from mcrm.auth.decorators import shop_user_required
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.members.views import render_member_page
from mcrm.messaging.counter import cost
from mcrm.messaging.forms import SendSmsForm, SimulatorForm
from mcrm.messaging.inbound import answer_inbound, store_inbound
from mcrm.messaging.labels import (
    DIRECTION_LABELS,
    MESSAGE_KIND_LABELS,
    MESSAGE_STATUS_LABELS,
    SUPPRESS_REASON_LABELS,
    problem_label,
)
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.messaging.services import NotEnoughCredit, queue_sms
from mcrm.pagination import page_choice
from tenants.isolation import get_or_404
from tenants.models import Tenant
from tenants.numbers import sms_number
from tenants.phones import normalise_phone

# No url_prefix: the member's SMS form posts under /members/, like the points forms do.
bp = Blueprint("messaging", __name__)


@bp.app_template_filter("problem_label")
def _problem_label(error):
    return problem_label(error)


CONVERSATION_LENGTH = 100
# The counter never needs more than the longest message the forms accept (and a little over, to say so).
MAX_SHAPE_TEXT = 2000
STATUS_VALUES = frozenset(s.value for s in MessageStatus)

LABELS = dict(
    statuses=MESSAGE_STATUS_LABELS,
    reasons=SUPPRESS_REASON_LABELS,
    kinds=MESSAGE_KIND_LABELS,
    directions=DIRECTION_LABELS,
)


def _phone_condition(tenant: Tenant, text: str):
    """A whole number matches exactly; a run of digits (the last four, say) matches anywhere in the number."""
    phone = normalise_phone(text, tenant.country)
    if phone:
        return Message.phone == phone
    digits = "".join(c for c in text if c.isdigit())
    return Message.phone.contains(digits) if len(digits) >= 3 else Message.phone == text


def _member_ids(tenant: Tenant, phones: set[str]) -> dict[str, int]:
    if not phones:
        return {}
    rows = db.execute(select(Member.phone, Member.id).where(Member.tenant_id == tenant.id, Member.phone.in_(phones)))
    return dict(rows.all())


@bp.route("/messages/")
@shop_user_required
def index():
    tenant = g.tenant
    status = request.args.get("status", "")
    phone = request.args.get("phone", "").strip()
    query = select(Message).where(Message.tenant_id == tenant.id)
    if status in STATUS_VALUES:
        query = query.where(Message.status == MessageStatus(status))
    else:
        status = ""
    if phone:
        query = query.where(_phone_condition(tenant, phone))
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    chosen = page_choice(total)
    page, pages = chosen.page, chosen.pages
    messages = db.scalars(chosen.of(query.order_by(Message.id.desc()))).all()
    return render_template(
        "messaging/index.html",
        messages=messages,
        members=_member_ids(tenant, {m.phone for m in messages}),
        total=total,
        page=page,
        pages=pages,
        status=status,
        phone=phone,
        simulator=_simulator_on(),
        **LABELS,
    )


@bp.route("/messages/shape", methods=["GET", "POST"])
@shop_user_required
def shape():
    """The live counter's numbers for `text` as the shop would send it. POST (with the CSRF token) takes
    texts too long for a URL; the answer is the same."""
    try:
        kind = MessageKind(request.args.get("kind", MessageKind.TRANSACTIONAL.value))
    except ValueError:
        abort(400)
    result = cost(g.tenant, request.values.get("text", "")[:MAX_SHAPE_TEXT], kind)
    return jsonify({**result.as_dict(), "summary": result.summary})


@bp.route("/members/<int:member_id>/sms", methods=["POST"])
@shop_user_required
def send_to_member(member_id: int):
    member = get_or_404(Member, member_id)
    form = SendSmsForm(prefix="sms")
    if not form.validate_on_submit():
        return render_member_page(member, form)
    key = form.idempotency_key.data
    try:
        message = queue_sms(
            g.tenant,
            member.phone,
            form.body.data,
            MessageKind.TRANSACTIONAL,
            dedupe_key=f"portal:{key}" if key else None,
        )
    except NotEnoughCredit as error:
        db.rollback()
        form.form_errors.append(str(error))
        return render_member_page(member, form)
    db.commit()
    flash(ngettext("SMS queued: %(num)d credit used.", "SMS queued: %(num)d credits used.", message.parts), "success")
    return redirect(url_for("members.show", member_id=member.id, _anchor="messages"))


def _simulator_on() -> bool:
    # Texts typed here are answered for real by the gateway: only where nothing reaches a real phone.
    return current_app.config["MCRM_SMS_TRANSPORT"] == "sandbox"


@bp.route("/messages/simulator", methods=["GET", "POST"])
@shop_user_required
def simulator():
    if not _simulator_on():
        abort(404)
    tenant = g.tenant
    form = SimulatorForm(phone=request.args.get("phone", ""))
    if form.validate_on_submit():
        phone = normalise_phone(form.phone.data, tenant.country)
        if phone is None:
            form.phone.errors.append(_("%(text)s is not a valid mobile number.", text=form.phone.data.strip()))
        else:
            _receive(tenant, phone, form.text.data)
            return redirect(url_for(".simulator", phone=phone))
    phone = normalise_phone(request.args.get("phone", ""), tenant.country)
    conversation = []
    if phone:
        latest = db.scalars(
            select(Message)
            .where(Message.tenant_id == tenant.id, Message.phone == phone)
            .order_by(Message.id.desc())
            .limit(CONVERSATION_LENGTH)
        ).all()
        conversation = list(reversed(latest))  # oldest first, as a phone shows it
    return render_template(
        "messaging/simulator.html",
        form=form,
        phone=phone,
        number=sms_number(tenant),
        conversation=conversation,
        text_cost=cost(tenant, form.text.data or "", MessageKind.REPLY),
        **LABELS,
    )


def _receive(tenant: Tenant, phone: str, text: str) -> None:
    """The gateway's two steps for an inbound text (store, answer), then what happened for the user."""
    message = store_inbound(sms_number(tenant), phone, text)
    if message is None:
        flash(_("The same text from this phone arrived a moment ago, so it was not taken again."), "error")
        return
    answer_inbound(message)
    db.commit()
    if message.error:
        flash(_("Text from %(phone)s received; the shop has no SMS credit left to answer it.", phone=phone), "error")
    else:
        flash(_("Text from %(phone)s received; the answer is queued.", phone=phone), "success")
