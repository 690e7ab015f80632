"""The portal's points pages: purchases, redemptions, adjustments, reversals; the earning rule and rewards."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from mcrm.auth.decorators import owner_required, shop_user_required
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.points.forms import AdjustForm, EarningRuleForm, PurchaseForm, RedeemForm, RewardForm
from mcrm.points.models import Channel, Purchase, Reward
from mcrm.points.services import PointsError, adjust, parse_amount, record_purchase, redeem, reverse_purchase
from tenants.clock import shop_local_to_utc
from tenants.isolation import get_or_404
from tenants.models import Tenant

bp = Blueprint("points", __name__)


def active_rewards(tenant: Tenant) -> list[Reward]:
    return list(
        db.scalars(select(Reward).where(Reward.tenant_id == tenant.id, Reward.active).order_by(Reward.points_cost))
    )


def reward_choices(tenant: Tenant) -> list[SelectChoice]:
    none = SelectChoice(0, _("— no reward: enter points and what for —"))
    return [none] + [SelectChoice(r.id, f"{r.name} ({r.points_cost})") for r in active_rewards(tenant)]


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def purchase_from_form(tenant: Tenant, member: Member, form: PurchaseForm, channel: Channel) -> str:
    """Record the form's purchase; the message to show the cashier. Raises PointsError."""
    occurred_at = shop_local_to_utc(tenant, form.occurred_at.data) if form.occurred_at.data else None
    booking = record_purchase(
        tenant,
        member,
        parse_amount(form.amount.data),
        channel=channel,
        occurred_at=occurred_at,
        by_user=current_user,
        idempotency_key=form.idempotency_key.data or None,
    )
    return _(
        "Purchase recorded: %(points)d points earned, balance %(balance)d.",
        points=booking.entry.points,
        balance=booking.entry.balance_after,
    )


def redemption_from_form(tenant: Tenant, member: Member, form: RedeemForm) -> str:
    """Redeem what the form says; the message to show the cashier. Raises PointsError."""
    reward = get_or_404(Reward, form.reward_id.data) if form.reward_id.data else None
    if reward is not None and not reward.active:
        raise PointsError(_("This reward is no longer offered."))
    if reward is None and not form.points.data:
        raise PointsError(_("Choose a reward or enter the points to redeem."))
    booking = redeem(
        tenant,
        member,
        form.points.data or 0,
        note=form.reason.data or "",
        reward=reward,
        by_user=current_user,
        idempotency_key=form.idempotency_key.data or None,
    )
    return _(
        "%(points)d points redeemed, balance %(balance)d.",
        points=-booking.entry.points,
        balance=booking.entry.balance_after,
    )


def _apply(action) -> None:
    """Run a points action for the member page and flash its outcome."""
    try:
        message = action()
    except PointsError as error:
        db.rollback()
        flash(str(error), "error")
    else:
        db.commit()
        flash(message, "success")


@bp.route("/members/<int:member_id>/purchases", methods=["POST"])
@shop_user_required
def purchase(member_id: int):
    member = get_or_404(Member, member_id)
    form = PurchaseForm()
    if form.validate_on_submit():
        _apply(lambda: purchase_from_form(g.tenant, member, form, Channel.PORTAL))
    else:
        flash(_form_errors(form), "error")
    return redirect(url_for("members.show", member_id=member.id))


@bp.route("/members/<int:member_id>/redemptions", methods=["POST"])
@shop_user_required
def redemption(member_id: int):
    member = get_or_404(Member, member_id)
    form = RedeemForm()
    if form.validate_on_submit():
        _apply(lambda: redemption_from_form(g.tenant, member, form))
    else:
        flash(_form_errors(form), "error")
    return redirect(url_for("members.show", member_id=member.id))


@bp.route("/members/<int:member_id>/adjustments", methods=["POST"])
@owner_required
def adjustment(member_id: int):
    member = get_or_404(Member, member_id)
    form = AdjustForm()
    if form.validate_on_submit():

        def act():
            booking = adjust(g.tenant, member, form.points.data, note=form.reason.data, by_user=current_user)
            return _("Balance adjusted to %(balance)d.", balance=booking.entry.balance_after)

        _apply(act)
    else:
        flash(_form_errors(form), "error")
    return redirect(url_for("members.show", member_id=member.id))


@bp.route("/purchases/<int:purchase_id>/reverse", methods=["POST"])
@owner_required
def reverse(purchase_id: int):
    purchase = get_or_404(Purchase, purchase_id)

    def act():
        booking = reverse_purchase(g.tenant, purchase, by_user=current_user)
        return _("Purchase reversed; balance %(balance)d.", balance=booking.entry.balance_after)

    _apply(act)
    return redirect(url_for("members.show", member_id=purchase.member_id))


@bp.route("/settings/points", methods=["GET", "POST"])
@owner_required
def settings():
    tenant = g.tenant
    form = EarningRuleForm(obj=tenant)
    if form.validate_on_submit():
        form.populate_obj(tenant)
        db.commit()
        flash(_("Earning rule saved."), "success")
        return redirect(url_for("points.settings"))
    rewards = db.scalars(
        select(Reward).where(Reward.tenant_id == tenant.id).order_by(Reward.active.desc(), Reward.points_cost)
    ).all()
    return render_template("points/settings.html", form=form, reward_form=RewardForm(), rewards=rewards)


@bp.route("/settings/rewards", methods=["POST"])
@owner_required
def add_reward():
    form = RewardForm()
    if form.validate_on_submit():
        db.add(Reward(tenant_id=g.tenant.id, name=form.name.data.strip(), points_cost=form.points_cost.data))
        db.commit()
        flash(_("Reward added."), "success")
    else:
        flash(_form_errors(form), "error")
    return redirect(url_for("points.settings"))


@bp.route("/settings/rewards/<int:reward_id>/toggle", methods=["POST"])
@owner_required
def toggle_reward(reward_id: int):
    reward = get_or_404(Reward, reward_id)
    reward.active = not reward.active
    db.commit()
    return redirect(url_for("points.settings"))
