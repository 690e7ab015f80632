"""The portal's member pages: list and search, the member page, create, edit, delete."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mcrm.analytics.rfm import score_of
from mcrm.analytics.rfm_classes import CLASS_EXPLANATIONS, CLASS_LABELS
from mcrm.auth.decorators import owner_required, shop_user_required
from mcrm.db import db
from mcrm.members.birthdays import parse_birthday
from mcrm.members.forms import GENDER_LABELS, SOURCE_LABELS, DeleteMemberForm, MemberForm, SearchForm
from mcrm.members.models import Gender, Member, Source
from mcrm.members.services import (
    DuplicateMember,
    MemberError,
    count,
    create_member,
    delete_member,
    member_query,
    parse_tags,
    shop_tags,
    update_member,
)
from mcrm.messaging.counter import cost
from mcrm.messaging.forms import SendSmsForm
from mcrm.messaging.labels import MESSAGE_STATUS_LABELS, SUPPRESS_REASON_LABELS
from mcrm.messaging.models import Message, MessageKind
from mcrm.pagination import page_choice
from mcrm.points.forms import CHANNEL_LABELS, ENTRY_REASON_LABELS, AdjustForm, PurchaseForm, RedeemForm
from mcrm.points.models import LedgerEntry, Purchase
from mcrm.points.views import reward_choices
from tenants.isolation import get_or_404

bp = Blueprint("members", __name__, url_prefix="/members")


def _form_error(form, error: MemberError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(str(error))


@bp.route("/")
@shop_user_required
def index():
    form = SearchForm(request.args)
    tag = request.args.get("tag", "")
    status = request.args.get("status", "")
    opted_out = {"opted_out": True, "subscribed": False}.get(status)
    query = member_query(g.tenant, q=form.q.data or "", tag=tag, opted_out=opted_out)
    total = count(query)
    chosen = page_choice(total)
    page, pages = chosen.page, chosen.pages
    members = db.scalars(chosen.of(query)).all()
    return render_template(
        "members/index.html",
        form=form,
        members=members,
        total=total,
        page=page,
        pages=pages,
        tag=tag,
        status=status,
        tags=shop_tags(g.tenant),
    )


@bp.route("/new", methods=["GET", "POST"])
@shop_user_required
def create():
    form = MemberForm()
    if form.validate_on_submit():
        try:
            member = create_member(
                g.tenant,
                phone=form.phone.data,
                name=form.name.data,
                gender=Gender(form.gender.data),
                birthday=parse_birthday(form.birthday.data or ""),
                notes=form.notes.data or "",
                tags=parse_tags(form.tags.data or ""),
                source=Source.PORTAL,
                by_user=current_user,
            )
            member.locale = form.locale.data or None
        except DuplicateMember as error:
            db.rollback()
            flash(str(error), "error")
            return redirect(url_for("members.show", member_id=error.member.id))
        except MemberError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            flash(_("Member %(phone)s added.", phone=member.phone), "success")
            return redirect(url_for("members.show", member_id=member.id))
    return render_template("members/form.html", form=form, member=None)


@bp.route("/<int:member_id>")
@shop_user_required
def show(member_id: int):
    return render_member_page(get_or_404(Member, member_id))


def render_member_page(member: Member, sms_form: SendSmsForm | None = None):
    """The member page; a form that failed elsewhere (the SMS form) is passed in to show its errors."""
    purchases = db.scalars(
        select(Purchase).where(Purchase.member_id == member.id).order_by(Purchase.occurred_at.desc()).limit(50)
    ).all()
    ledger = db.scalars(
        select(LedgerEntry).where(LedgerEntry.member_id == member.id).order_by(LedgerEntry.id.desc()).limit(50)
    ).all()
    messages = db.scalars(
        select(Message).where(Message.phone == member.phone).order_by(Message.id.desc()).limit(20)
    ).all()
    redeem_form = RedeemForm()
    redeem_form.reward_id.choices = reward_choices(g.tenant)
    sms_form = sms_form or SendSmsForm(prefix="sms")
    return render_template(
        "members/show.html",
        member=member,
        purchases=purchases,
        ledger=ledger,
        messages=messages,
        gender_labels=GENDER_LABELS,
        entry_reasons=ENTRY_REASON_LABELS,
        sources=SOURCE_LABELS,
        channels=CHANNEL_LABELS,
        message_statuses=MESSAGE_STATUS_LABELS,
        suppress_reasons=SUPPRESS_REASON_LABELS,
        sms_form=sms_form,
        sms_cost=cost(g.tenant, sms_form.body.data or "", MessageKind.TRANSACTIONAL),
        purchase_form=PurchaseForm(),
        redeem_form=redeem_form,
        adjust_form=AdjustForm(),
        delete_form=DeleteMemberForm(),
        score=score_of(member),
        rfm_labels=CLASS_LABELS,
        rfm_explanations=CLASS_EXPLANATIONS,
    )


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
@shop_user_required
def edit(member_id: int):
    member = get_or_404(Member, member_id)
    form = MemberForm(
        obj=member,
        gender=member.gender.value,
        birthday=member.birthday_text.replace("农历 ", "农历"),
        tags=", ".join(t.name for t in member.tags),
    )
    if form.validate_on_submit():
        try:
            update_member(
                g.tenant,
                member,
                phone=form.phone.data,
                name=form.name.data or "",
                gender=Gender(form.gender.data),
                birthday=parse_birthday(form.birthday.data or ""),
                notes=form.notes.data or "",
                tags=parse_tags(form.tags.data or ""),
            )
            member.locale = form.locale.data or None
        except MemberError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("members.show", member_id=member.id))
    return render_template("members/form.html", form=form, member=member)


@bp.route("/<int:member_id>/delete", methods=["GET", "POST"])
@owner_required
def delete(member_id: int):
    member = get_or_404(Member, member_id)
    form = DeleteMemberForm()
    if form.validate_on_submit():
        phone = member.phone
        delete_member(member)
        db.commit()
        flash(_("Member %(phone)s deleted.", phone=phone), "success")
        return redirect(url_for("members.index"))
    return render_template("members/delete.html", member=member, form=form)
