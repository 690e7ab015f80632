"""The owner's greetings (客户关怀): birthday, anniversary, holiday and special-day rules, on or off.

The list shows when each rule greets next and what its last run did; the edit page shows the text as a
member gets it. Nothing is sent from a web request: the scheduler's tick greets members when a day comes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from mcrm.auth.decorators import owner_required
from mcrm.care import calendar, defaults, send
from mcrm.care.forms import (
    FORMS,
    KIND_LABELS,
    RUN_LABELS,
    AddHolidayForm,
    DeleteRuleForm,
    SpecialDayForm,
    ToggleForm,
    hour_label,
)
from mcrm.care.models import GreetingKind, GreetingRule
from mcrm.care.services import (
    DELETABLE,
    LEAP_YEAR,
    MEMBER_DAYS,
    CareError,
    RuleChanges,
    create_holiday_rule,
    create_special_day,
    delete_rule,
    last_runs,
    next_special_day,
    preview_text,
    recent_runs,
    rules_of,
    sample_member,
    set_enabled,
    upcoming_holidays,
    update_rule,
)
from mcrm.db import db, utcnow
from mcrm.messaging.counter import cost
from mcrm.messaging.models import MessageKind
from mcrm.messaging.policies import quiet_until
from mcrm.promotions.forms import DEFAULT_COUPON_DAYS
from tenants.isolation import get_or_404

bp = Blueprint("care", __name__, url_prefix="/greetings")
GROUPS = (GreetingKind.BIRTHDAY, GreetingKind.ANNIVERSARY, GreetingKind.HOLIDAY, GreetingKind.SPECIAL_DAY)
UPCOMING_DAYS = 7  # the list's "members in the next 7 days"


def _today() -> dt.date:
    """Today in the shop's calendar: occasions are shop-local days."""
    return utcnow().astimezone(ZoneInfo(g.tenant.timezone)).date()


def _locale() -> str:
    return str(get_locale())


def _month_day(day: dt.date) -> str:
    return format_skeleton("MMMd", day, locale=get_locale())


def _when(rule: GreetingRule, holidays: dict[str, calendar.Occasion]) -> str:
    """When the rule greets, in words."""
    hour = hour_label(rule.send_hour)
    if rule.kind in MEMBER_DAYS:
        if rule.days_before == 0:
            return _("on the day at %(hour)s", hour=hour)
        return ngettext(
            "%(num)d day before at %(hour)s", "%(num)d days before at %(hour)s", rule.days_before, hour=hour
        )
    if rule.kind == GreetingKind.HOLIDAY:
        occasion = holidays.get(rule.holiday_key or "")
        if occasion is None:
            return _("no date in the coming year")
        if occasion.name == rule.name:
            return _("%(date)s at %(hour)s", date=occasion.date.isoformat(), hour=hour)
        # The owner renamed it: the holiday's own name says which day it is.
        return _("%(date)s (%(holiday)s) at %(hour)s", date=occasion.date.isoformat(), holiday=occasion.name, hour=hour)
    if rule.special_month is None or rule.special_day is None:
        return "—"
    if rule.special_year is None:
        day = dt.date(LEAP_YEAR, rule.special_month, rule.special_day)
        return _("every year on %(date)s at %(hour)s", date=_month_day(day), hour=hour)
    day = dt.date(rule.special_year, rule.special_month, rule.special_day)
    return _("once, %(date)s at %(hour)s", date=day.isoformat(), hour=hour)


def _next_date(rule: GreetingRule, holidays: dict[str, calendar.Occasion], today: dt.date) -> dt.date | None:
    if rule.kind == GreetingKind.HOLIDAY:
        occasion = holidays.get(rule.holiday_key or "")
        return occasion.date if occasion else None
    if rule.kind == GreetingKind.SPECIAL_DAY:
        return next_special_day(rule, today)
    return None


def _upcoming(rule: GreetingRule, today: dt.date) -> int:
    """How many members a birthday or anniversary rule greets in the coming days, today included."""
    return sum(send.due_count(g.tenant, rule, today + dt.timedelta(days=n)) for n in range(UPCOMING_DAYS))


@bp.route("/")
@owner_required
def index():
    defaults.ensure_default_rules(g.tenant)
    db.commit()
    today = _today()
    holidays = {o.key: o for o in upcoming_holidays(g.tenant, today, _locale())}
    rules = rules_of(g.tenant)
    groups = {kind: [r for r in rules if r.kind == kind] for kind in GROUPS}
    groups[GreetingKind.HOLIDAY].sort(key=lambda r: _next_date(r, holidays, today) or dt.date.max)
    return render_template(
        "care/index.html",
        groups=groups,
        kinds=KIND_LABELS,
        runs=last_runs(g.tenant),
        run_labels=RUN_LABELS,
        when={r.id: _when(r, holidays) for r in rules},
        next_dates={r.id: _next_date(r, holidays, today) for r in rules},
        upcoming={r.id: _upcoming(r, today) for r in rules if r.kind in MEMBER_DAYS},
        upcoming_days=UPCOMING_DAYS,
        member_days=MEMBER_DAYS,
        toggle_form=ToggleForm(),
        zone=g.tenant.timezone,
    )


@bp.route("/<int:rule_id>/toggle", methods=["POST"])
@owner_required
def toggle(rule_id: int):
    rule = get_or_404(GreetingRule, rule_id)
    form = ToggleForm()
    if form.validate_on_submit():
        try:
            set_enabled(g.tenant, rule, form.wanted)
        except CareError as error:
            db.rollback()
            flash(str(error), "error")
            return redirect(url_for(".edit", rule_id=rule.id))
        db.commit()
        if rule.enabled:
            flash(_("“%(name)s” is on: it goes out by itself.", name=rule.name), "success")
        else:
            flash(_("“%(name)s” is off: nothing more of it is sent.", name=rule.name), "success")
    return redirect(url_for(".index"))


@bp.route("/holidays", methods=["GET", "POST"])
@owner_required
def holidays():
    today = _today()
    form = AddHolidayForm()
    if form.validate_on_submit():
        try:
            rule = create_holiday_rule(g.tenant, form.key.data, _locale(), today)
        except CareError as error:
            db.rollback()
            flash(str(error), "error")
        else:
            db.commit()
            flash(_("“%(name)s” is added, still off: check the message, then switch it on.", name=rule.name), "success")
            return redirect(url_for(".edit", rule_id=rule.id))
    added = {r.holiday_key: r for r in rules_of(g.tenant) if r.kind == GreetingKind.HOLIDAY}
    return render_template(
        "care/holidays.html",
        occasions=upcoming_holidays(g.tenant, today, _locale()),
        added=added,
        form=form,
        country=g.tenant.country,
    )


def _changes(form) -> RuleChanges:
    return RuleChanges(
        name=form.name.data or "",
        enabled=bool(form.enabled.data),
        template=form.template.data or "",
        send_hour=form.send_hour.data,
        gift_points=form.gift_points.data or 0,
        coupon_offer=form.coupon_offer.data or "",
        coupon_valid_days=form.coupon_valid_days.data or DEFAULT_COUPON_DAYS,
        days_before=(form.days_before.data or 0) if "days_before" in form else 0,
        special_month=form.special_month.data if "special_month" in form else None,
        special_day=form.special_day.data if "special_day" in form else None,
        special_year=form.special_year.data if "special_year" in form else None,
    )


def _form_error(form, error: CareError) -> None:
    field = form[error.field] if error.field and error.field in form else None
    if field is None:
        form.form_errors.append(str(error))
    elif str(error) not in field.errors:
        field.errors.append(str(error))


def _quiet_warning(hour: int) -> str | None:
    """A warning when the hour falls in the shop's quiet hours: greetings then wait until they end."""
    zone = ZoneInfo(g.tenant.timezone)
    moment = dt.datetime.combine(_today(), dt.time(hour), tzinfo=zone)
    until = quiet_until(g.tenant, moment.astimezone(dt.UTC))
    if until is None:
        return None
    return _(
        "%(hour)s is in your quiet hours: greetings wait until %(end)s.",
        hour=hour_label(hour),
        end=until.astimezone(zone).strftime("%H:%M"),
    )


def _rule_page(form, rule: GreetingRule | None, kind: GreetingKind):
    member = sample_member(g.tenant)
    template = form.template.data or ""
    shown = None
    if template.strip() and not form.template.errors:
        gift = 0 if form.gift_points.errors else form.gift_points.data or 0
        shown = preview_text(g.tenant, template, gift, form.coupon_offer.data or "", member)
    return render_template(
        "care/edit.html",
        form=form,
        rule=rule,
        kind=kind,
        kinds=KIND_LABELS,
        member_days=MEMBER_DAYS,
        deletable=rule is not None and rule.kind in DELETABLE,
        delete_form=DeleteRuleForm(),
        runs=recent_runs(g.tenant, rule) if rule else [],
        run_labels=RUN_LABELS,
        sample=member,
        preview=shown,
        text_cost=cost(g.tenant, template, MessageKind.CARE),
        quiet_warning=None if form.send_hour.errors else _quiet_warning(form.send_hour.data),
        zone=g.tenant.timezone,
    )


@bp.route("/special-days/new", methods=["GET", "POST"])
@owner_required
def new_special_day():
    form = SpecialDayForm()
    if form.validate_on_submit() and not form.preview.data:
        try:
            rule = create_special_day(g.tenant, _changes(form), _today())
        except CareError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            flash(_("“%(name)s” is saved.", name=rule.name), "success")
            return redirect(url_for(".index"))
    return _rule_page(form, None, GreetingKind.SPECIAL_DAY)


@bp.route("/<int:rule_id>", methods=["GET", "POST"])
@owner_required
def edit(rule_id: int):
    rule = get_or_404(GreetingRule, rule_id)
    form = FORMS[rule.kind](obj=rule)
    if form.validate_on_submit() and not form.preview.data:
        try:
            update_rule(g.tenant, rule, _changes(form), _today())
        except CareError as error:
            db.rollback()
            _form_error(form, error)
        else:
            db.commit()
            state = _("on") if rule.enabled else _("off")
            flash(_("“%(name)s” is saved (%(state)s).", name=rule.name, state=state), "success")
            return redirect(url_for(".index"))
    return _rule_page(form, rule, rule.kind)


@bp.route("/<int:rule_id>/delete", methods=["POST"])
@owner_required
def delete(rule_id: int):
    rule = get_or_404(GreetingRule, rule_id)
    if DeleteRuleForm().validate_on_submit():
        name = rule.name
        try:
            delete_rule(g.tenant, rule)
        except CareError as error:
            db.rollback()
            flash(str(error), "error")
            return redirect(url_for(".edit", rule_id=rule.id))
        db.commit()
        flash(_("“%(name)s” is deleted.", name=name), "success")
    return redirect(url_for(".index"))
