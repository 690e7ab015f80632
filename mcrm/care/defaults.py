"""The greeting rules a shop starts with: all switched off until the owner enables them."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mcrm.care.calendar import holidays_for
from mcrm.care.models import GreetingKind, GreetingRule
from mcrm.db import db, utcnow
from tenants.isolation import scoped_to
from tenants.models import Tenant

SEND_HOUR = 10
# Holidays a Chinese shop greets first; their keys are the `holidays` library's English names.
SPRING_FESTIVAL = "Chinese New Year (Spring Festival)"
MID_AUTUMN = "Mid-Autumn Festival"


def ensure_default_rules(tenant: Tenant) -> None:
    """Give the shop a birthday and an anniversary rule if it has none, and (for CN) Spring Festival and
    Mid-Autumn rules along with its first birthday rule; the caller commits.

    The holiday rules come only with the first birthday rule (which cannot be deleted), so a holiday rule
    the owner deleted never comes back.
    """
    # Scoped here: a shop being opened has no scope bound yet (sign-up, CLI, platform admin).
    with scoped_to(tenant.id):
        kinds = set(db.scalars(select(GreetingRule.kind).where(GreetingRule.tenant_id == tenant.id)))
    with force_locale(tenant.locale):
        rules = []
        if GreetingKind.BIRTHDAY not in kinds:
            rules.append(
                _rule(
                    tenant,
                    GreetingKind.BIRTHDAY,
                    _("Birthday"),
                    _("{name}, happy birthday! Everyone at {shop} sends you their best wishes."),
                )
            )
            if tenant.country == "CN":
                rules += _holiday_rules(tenant)
        if GreetingKind.ANNIVERSARY not in kinds:
            rules.append(
                _rule(
                    tenant,
                    GreetingKind.ANNIVERSARY,
                    _("Membership anniversary"),
                    _("{name}, today is your anniversary as a member of {shop}. Thank you for being with us!"),
                )
            )
    db.add_all(rules)
    db.flush()


def _holiday_rules(tenant: Tenant) -> list[GreetingRule]:
    names = {o.key: o.name for o in holidays_for(tenant.country, utcnow().year, tenant.locale)}
    templates = {
        SPRING_FESTIVAL: _("{name}, {shop} wishes you and your family a happy Spring Festival!"),
        MID_AUTUMN: _("{name}, {shop} wishes you a happy Mid-Autumn Festival with the people you love!"),
    }
    return [
        _rule(tenant, GreetingKind.HOLIDAY, names.get(key, key), template, holiday_key=key)
        for key, template in templates.items()
    ]


def _rule(tenant: Tenant, kind: GreetingKind, name: str, template: str, **fields) -> GreetingRule:
    return GreetingRule(
        tenant_id=tenant.id,
        kind=kind,
        name=name[:80],
        enabled=False,
        template=template,
        send_hour=SEND_HOUR,
        days_before=0,
        gift_points=0,
        **fields,
    )
