"""Greeting rules as the owner edits them: add a holiday or a special day, change, switch on or off, delete.

Nothing here sends: the scheduler's tick (mcrm.care.ticks) greets the members a rule's occasion is due for.
Every function takes the shop first and leaves the commit to the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from mcrm.care import calendar
from mcrm.care.audience import special_date
from mcrm.care.models import GreetingKind, GreetingRule, GreetingRun
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import MessageKind
from mcrm.promotions.services import EXAMPLE_COUPON
from mcrm.promotions.sms_sql import Template, name_for
from tenants.models import Tenant

MEMBER_DAYS = frozenset({GreetingKind.BIRTHDAY, GreetingKind.ANNIVERSARY})
DELETABLE = frozenset({GreetingKind.HOLIDAY, GreetingKind.SPECIAL_DAY})
LEAP_YEAR = 2024  # any leap year: a yearly special day may be February 29


class CareError(ValueError):
    """A rule change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RuleChanges:
    """A rule as the owner typed it; fields that do not apply to the rule's kind are ignored."""

    name: str
    enabled: bool
    template: str
    send_hour: int = 10
    gift_points: int = 0
    coupon_offer: str = ""  # "" for no coupon
    coupon_valid_days: int = 30
    days_before: int = 0
    special_month: int | None = None
    special_day: int | None = None
    special_year: int | None = None


def upcoming_holidays(tenant: Tenant, today: dt.date, locale: str) -> list[calendar.Occasion]:
    """The shop's country's holidays and festivals of the coming year, each once at its next date."""
    seen: dict[str, calendar.Occasion] = {}
    for year in (today.year, today.year + 1):
        for occasion in sorted(calendar.holidays_for(tenant.country, year, locale), key=lambda o: o.date):
            if occasion.date >= today and occasion.key not in seen:
                seen[occasion.key] = occasion
    return sorted(seen.values(), key=lambda o: o.date)


def default_holiday_template(tenant: Tenant, key: str, today: dt.date) -> str:
    """A greeting for the holiday in the shop's language, ready to switch on."""
    names = {o.key: o.name for o in upcoming_holidays(tenant, today, tenant.locale)}
    with force_locale(tenant.locale):
        return _("Happy %(holiday)s, {name}! Warm wishes from {shop}.", holiday=names.get(key, key))


def _check(kind: GreetingKind, changes: RuleChanges, today: dt.date) -> None:
    if not changes.name.strip():
        raise CareError(_("Give the greeting a name."), "name")
    if changes.enabled and not changes.template.strip():
        raise CareError(_("Write the message before switching the greeting on."), "template")
    if not 0 <= changes.send_hour <= 23:
        raise CareError(_("Choose an hour between 00:00 and 23:00."), "send_hour")
    if not 0 <= changes.gift_points <= 10_000:
        raise CareError(_("Gift points go from 0 to 10000."), "gift_points")
    if len(changes.coupon_offer.strip()) > 80:
        raise CareError(_("Describe the offer in at most 80 characters."), "coupon_offer")
    if not 1 <= changes.coupon_valid_days <= 365:
        raise CareError(_("A coupon is valid for 1 to 365 days."), "coupon_valid_days")
    if kind in MEMBER_DAYS and not 0 <= changes.days_before <= 30:
        raise CareError(_("Send it on the day or up to 30 days before."), "days_before")
    if kind == GreetingKind.SPECIAL_DAY:
        _check_date(changes, today)


def _check_date(changes: RuleChanges, today: dt.date) -> None:
    if changes.special_month is None or changes.special_day is None:
        raise CareError(_("Choose the month and the day."), "special_day")
    try:
        day = dt.date(changes.special_year or LEAP_YEAR, changes.special_month, changes.special_day)
    except ValueError:
        raise CareError(_("That day does not exist: check the month and the day."), "special_day") from None
    if changes.special_year is not None and day < today:
        raise CareError(
            _("That day has passed: choose a day to come, or leave the year empty to send it every year."),
            "special_year",
        )


def _apply(rule: GreetingRule, changes: RuleChanges) -> None:
    rule.name = changes.name.strip()
    rule.enabled = changes.enabled
    rule.template = changes.template.strip()
    rule.send_hour = changes.send_hour
    rule.gift_points = changes.gift_points
    rule.coupon_offer = changes.coupon_offer.strip()
    rule.coupon_valid_days = changes.coupon_valid_days
    if rule.kind in MEMBER_DAYS:
        rule.days_before = changes.days_before
    if rule.kind == GreetingKind.SPECIAL_DAY:
        rule.special_month = changes.special_month
        rule.special_day = changes.special_day
        rule.special_year = changes.special_year


def holiday_rule(tenant: Tenant, key: str) -> GreetingRule | None:
    return db.scalar(
        select(GreetingRule).where(
            GreetingRule.tenant_id == tenant.id,
            GreetingRule.kind == GreetingKind.HOLIDAY,
            GreetingRule.holiday_key == key,
        )
    )


def create_holiday_rule(tenant: Tenant, key: str, locale: str, today: dt.date) -> GreetingRule:
    """A rule for one of the country's holidays, off, with a greeting in the shop's language; a holiday
    added before answers its existing rule."""
    existing = holiday_rule(tenant, key)
    if existing is not None:
        return existing
    occasion = next((o for o in upcoming_holidays(tenant, today, locale) if o.key == key), None)
    if occasion is None:
        raise CareError(_("That is not one of your country's holidays."))
    rule = GreetingRule(
        tenant_id=tenant.id,
        kind=GreetingKind.HOLIDAY,
        name=occasion.name[:80],
        enabled=False,
        template=default_holiday_template(tenant, key, today),
        send_hour=10,
        holiday_key=key,
    )
    db.add(rule)
    db.flush()
    return rule


def create_special_day(tenant: Tenant, changes: RuleChanges, today: dt.date) -> GreetingRule:
    _check(GreetingKind.SPECIAL_DAY, changes, today)
    rule = GreetingRule(tenant_id=tenant.id, kind=GreetingKind.SPECIAL_DAY)
    _apply(rule, changes)
    db.add(rule)
    db.flush()
    return rule


def update_rule(tenant: Tenant, rule: GreetingRule, changes: RuleChanges, today: dt.date) -> None:
    _check(rule.kind, changes, today)
    _apply(rule, changes)
    db.flush()


def set_enabled(tenant: Tenant, rule: GreetingRule, enabled: bool) -> None:
    if enabled and not rule.template.strip():
        raise CareError(_("“%(name)s” has no message yet: write it before switching it on.", name=rule.name))
    rule.enabled = enabled
    db.flush()


def delete_rule(tenant: Tenant, rule: GreetingRule) -> None:
    """Delete a holiday or special-day rule and its record; birthday and anniversary rules are only switched off."""
    if rule.kind not in DELETABLE:
        raise CareError(_("This greeting cannot be deleted: switch it off instead."))
    db.execute(delete(GreetingRun).where(GreetingRun.tenant_id == tenant.id, GreetingRun.rule_id == rule.id))
    db.delete(rule)
    db.flush()


def rules_of(tenant: Tenant) -> list[GreetingRule]:
    return list(db.scalars(select(GreetingRule).where(GreetingRule.tenant_id == tenant.id).order_by(GreetingRule.id)))


def last_runs(tenant: Tenant) -> dict[int, GreetingRun]:
    """Each rule's latest run."""
    latest = (
        select(func.max(GreetingRun.id))
        .where(GreetingRun.tenant_id == tenant.id)
        .group_by(GreetingRun.rule_id)
        .scalar_subquery()
    )
    runs = db.scalars(select(GreetingRun).where(GreetingRun.tenant_id == tenant.id, GreetingRun.id.in_(latest)))
    return {run.rule_id: run for run in runs}


def recent_runs(tenant: Tenant, rule: GreetingRule, limit: int = 10) -> list[GreetingRun]:
    return list(
        db.scalars(
            select(GreetingRun)
            .where(GreetingRun.tenant_id == tenant.id, GreetingRun.rule_id == rule.id)
            .order_by(GreetingRun.occurs_on.desc(), GreetingRun.id.desc())
            .limit(limit)
        )
    )


def next_special_day(rule: GreetingRule, today: dt.date) -> dt.date | None:
    """The next date of a special day, today included (None once a one-off day has passed)."""
    for year in (today.year, today.year + 1):
        day = special_date(rule, year)
        if day is not None and day >= today:
            return day
    return None


def sample_member(tenant: Tenant) -> Member | None:
    """The member a preview is shown for: the shop's first who has not opted out."""
    return db.scalar(
        select(Member).where(Member.tenant_id == tenant.id, Member.opted_out_at.is_(None)).order_by(Member.id).limit(1)
    )


def preview_text(tenant: Tenant, template: str, gift_points: int, coupon_offer: str, member: Member | None) -> str:
    """The greeting as `member` gets it, as the tick writes it: the signature, then the text with no opt-out
    line, {points} reading the balance with the gift booked and {coupon} an example code when there is an offer."""
    offered = bool(coupon_offer.strip())
    values = {
        "name": name_for(tenant, member.name if member else "", member.locale if member else None),
        "points": str((member.points_balance if member else 0) + gift_points),
        "coupon": EXAMPLE_COUPON if offered else "",
    }
    return Template.of(tenant, template, coupon=offered, kind=MessageKind.CARE).render(values)
