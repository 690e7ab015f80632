"""WAP pages for staff at the counter: members, points, coupons, the feedback inbox, today's figures and the
open surveys' results."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mcrm.analytics.periods import Period
from mcrm.analytics.rfm import class_counts
from mcrm.analytics.rfm_classes import CLASS_LABELS
from mcrm.analytics.summary import summarize
from mcrm.auth.decorators import shop_user_required
from mcrm.auth.forms import LoginForm, PasswordChangeForm
from mcrm.auth.throttle import throttled_login
from mcrm.auth.views import apply_password_change, home_for, log_in, safe_next
from mcrm.db import db, utcnow
from mcrm.feedback.forms import AnswerForm
from mcrm.feedback.labels import KIND_LABELS, STATUS_LABELS
from mcrm.feedback.models import Feedback, FeedbackStatus
from mcrm.feedback.services import (
    FeedbackError,
    answer_feedback,
    close_feedback,
    inbox_query,
    members_by_id,
    reopen_feedback,
    status_counts,
)
from mcrm.members.birthdays import parse_birthday
from mcrm.members.models import Member, Source
from mcrm.members.services import DuplicateMember, MemberError, create_member, find_at_counter
from mcrm.messaging.labels import MESSAGE_STATUS_LABELS
from mcrm.messaging.models import Message
from mcrm.points.forms import ENTRY_REASON_LABELS, PurchaseForm, RedeemForm
from mcrm.points.models import Channel, LedgerEntry
from mcrm.points.services import PointsError
from mcrm.points.views import purchase_from_form, redemption_from_form, reward_choices
from mcrm.promotions.coupons import CouponError, coupon_view, find_coupon, normalise_code, redeem, unknown
from mcrm.reminders.forms import repeat_words
from mcrm.reminders.services import list_reminders
from mcrm.surveys.models import SurveyStatus
from mcrm.surveys.results import average_text, survey_results
from mcrm.surveys.services import list_surveys
from mcrm.wap.forms import CouponForm, CouponRedeemForm, FindForm, RegisterForm
from tenants.isolation import get_or_404

bp = Blueprint("wap", __name__, url_prefix="/m")
# A cheap phone's page stays small: the portal has the whole list.
INBOX_LENGTH = 30


@bp.route("/login", methods=["GET", "POST"])
@throttled_login
def login():
    if current_user.is_authenticated:
        return redirect(wap_home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit() and log_in(form):
        return redirect(safe_next(wap_home_for(current_user)))
    return render_template("wap/login.html", form=form)


def wap_home_for(user) -> str:
    # Platform admins have no counter page.
    return home_for(user) if user.is_admin else url_for("wap.home")


@bp.route("/")
@shop_user_required
def home():
    return render_template("wap/home.html", tenant=g.tenant, form=FindForm())


@bp.route("/today")
@shop_user_required
def today():
    now = utcnow()
    return render_template(
        "wap/today.html",
        summary=summarize(g.tenant, Period.today(g.tenant.timezone, now), now),
        kinds=KIND_LABELS,
        classes=CLASS_LABELS,
        class_counts=class_counts(g.tenant),
    )


@bp.route("/find")
@shop_user_required
def find():
    form = FindForm(request.args)
    if not form.validate():
        return redirect(url_for("wap.home"))
    members = find_at_counter(g.tenant, form.q.data)
    if len(members) == 1:
        return redirect(url_for("wap.member", member_id=members[0].id))
    return render_template("wap/find.html", form=form, members=members)


@bp.route("/members/new", methods=["GET", "POST"])
@shop_user_required
def register():
    form = RegisterForm(phone=request.args.get("phone", ""))
    if form.validate_on_submit():
        try:
            member = create_member(
                g.tenant,
                phone=form.phone.data,
                name=form.name.data or "",
                birthday=parse_birthday(form.birthday.data or ""),
                source=Source.WAP,
                by_user=current_user,
            )
        except DuplicateMember as error:
            db.rollback()
            flash(str(error), "error")
            return redirect(url_for("wap.member", member_id=error.member.id))
        except MemberError as error:
            db.rollback()
            form.phone.errors.append(str(error))
        else:
            db.commit()
            flash(
                _(
                    "Member %(phone)s registered, balance %(balance)d.",
                    phone=member.phone,
                    balance=member.points_balance,
                ),
                "success",
            )
            return redirect(url_for("wap.member", member_id=member.id))
    return render_template("wap/register.html", form=form)


@bp.route("/members/<int:member_id>", methods=["GET", "POST"])
@shop_user_required
def member(member_id: int):
    member = get_or_404(Member, member_id)
    purchase_form, redeem_form = PurchaseForm(prefix="buy"), RedeemForm(prefix="redeem")
    redeem_form.reward_id.choices = reward_choices(g.tenant)
    action = request.form.get("action")
    form = {"purchase": purchase_form, "redeem": redeem_form}.get(action)
    if form is not None and form.validate_on_submit():
        try:
            message = (
                purchase_from_form(g.tenant, member, purchase_form, Channel.WAP)
                if action == "purchase"
                else redemption_from_form(g.tenant, member, redeem_form)
            )
        except PointsError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(message, "success")
            return redirect(url_for("wap.member", member_id=member.id))
    ledger = db.scalars(
        select(LedgerEntry).where(LedgerEntry.member_id == member.id).order_by(LedgerEntry.id.desc()).limit(5)
    ).all()
    return render_template(
        "wap/member.html",
        member=member,
        purchase_form=purchase_form,
        redeem_form=redeem_form,
        ledger=ledger,
        entry_reasons=ENTRY_REASON_LABELS,
    )


@bp.route("/coupon", methods=["GET", "POST"])
@shop_user_required
def coupon():
    redeem_form = CouponRedeemForm()
    if not redeem_form.validate_on_submit():
        return _coupon_page(CouponForm(request.args), redeem_form)
    now = utcnow()
    try:
        redeemed = redeem(g.tenant, redeem_form.code.data, current_user, Channel.WAP, now)
    except CouponError as error:
        db.rollback()
        return _coupon_page(CouponForm(formdata=None, code=normalise_code(redeem_form.code.data)), redeem_form, error)
    view = coupon_view(g.tenant, redeemed, now)
    db.commit()
    flash(_("Redeemed: %(offer)s for %(member)s.", offer=view.offer, member=view.member_label), "success")
    # Back to an empty form: the next customer's coupon.
    return redirect(url_for("wap.coupon"))


def _coupon_page(form: CouponForm, redeem_form: CouponRedeemForm, error: CouponError | None = None):
    """The code form, and the coupon it names with its status (or why there is none)."""
    view, message = None, str(error) if error else None
    if form.code.data and form.validate():
        found = find_coupon(g.tenant, form.code.data)
        if found is None:
            message = str(unknown(form.code.data))
        else:
            view = coupon_view(g.tenant, found, utcnow())
    return render_template("wap/coupon.html", form=form, redeem_form=redeem_form, coupon=view, error=message)


@bp.route("/password", methods=["GET", "POST"])
@shop_user_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit() and apply_password_change(form):
        return redirect(url_for("wap.home"))
    return render_template("wap/password.html", form=form)


@bp.route("/reminders")
@shop_user_required
def reminders():
    """The reminders that go to this phone's user or that they wrote, with their next time."""
    items = list_reminders(g.tenant, current_user)
    return render_template("wap/reminders.html", items=items, words={r.id: repeat_words(g.tenant, r) for r in items})


@bp.route("/surveys")
@shop_user_required
def surveys():
    """Each open survey's figures in a few lines: responses, completion, and one line per question."""
    now = utcnow()
    open_surveys = [survey for survey in list_surveys(g.tenant) if survey.status == SurveyStatus.OPEN]
    return render_template(
        "wap/surveys.html",
        items=[(survey, survey_results(g.tenant, survey, now, charts=False)) for survey in open_surveys],
        average=average_text,
    )


@bp.route("/inbox")
@shop_user_required
def inbox():
    tab = request.args.get("status", FeedbackStatus.OPEN.value)
    status = FeedbackStatus(tab) if tab in {s.value for s in FeedbackStatus} else FeedbackStatus.OPEN
    items = db.scalars(inbox_query(g.tenant, status=status).limit(INBOX_LENGTH)).all()
    return render_template(
        "wap/inbox.html",
        items=items,
        members=members_by_id(g.tenant, items),
        status=status,
        counts=status_counts(g.tenant),
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        now=utcnow(),
    )


@bp.route("/inbox/<int:feedback_id>", methods=["GET", "POST"])
@shop_user_required
def feedback(feedback_id: int):
    feedback = get_or_404(Feedback, feedback_id)
    form = AnswerForm()
    action = request.form.get("action")
    if request.method == "POST" and action in ("close", "reopen"):
        (close_feedback if action == "close" else reopen_feedback)(feedback)
        db.commit()
        flash(_("Closed.") if action == "close" else _("Reopened."), "success")
        return redirect(url_for("wap.inbox") if action == "close" else url_for("wap.feedback", feedback_id=feedback.id))
    if action == "answer" and form.validate_on_submit():
        try:
            answer_feedback(feedback, current_user, form.body.data, idempotency_key=form.idempotency_key.data)
        except FeedbackError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(_("Answer queued."), "success")
            return redirect(url_for("wap.feedback", feedback_id=feedback.id))
    ids = {a.message_id for a in feedback.answers if a.message_id}
    messages = {m.id: m for m in db.scalars(select(Message).where(Message.id.in_(ids)))} if ids else {}
    return render_template(
        "wap/feedback.html",
        feedback=feedback,
        member=members_by_id(g.tenant, [feedback]).get(feedback.member_id),
        messages=messages,
        form=form,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        message_statuses=MESSAGE_STATUS_LABELS,
    )
