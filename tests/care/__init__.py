"""Members and greeting rules for the care tests, every field explicit."""

from __future__ import annotations

import datetime as dt

from mcrm.care.models import GreetingKind, GreetingRule
from mcrm.db import db
from mcrm.members.models import Member, Source
from tenants.models import Tenant

# Long before any occasion the tests look at: the rules were set up then.
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def add_member(tenant: Tenant, phone: str, name: str = "", **fields) -> Member:
    values = dict(joined_at=LONG_AGO, birthday_lunar=False)
    values.update(fields)
    member = Member(tenant_id=tenant.id, phone=phone, phone_tail=phone[-4:], name=name, source=Source.PORTAL, **values)
    db.add(member)
    db.flush()
    return member


def add_rule(tenant: Tenant, kind: GreetingKind, template: str = "Dear {name}, best wishes!", **fields) -> GreetingRule:
    values = dict(
        name=kind.value,
        enabled=True,
        send_hour=10,
        days_before=0,
        gift_points=0,
        created_at=LONG_AGO,
        updated_at=LONG_AGO,
    )
    values.update(fields)
    rule = GreetingRule(tenant_id=tenant.id, kind=kind, template=template, **values)
    db.add(rule)
    db.flush()
    return rule
