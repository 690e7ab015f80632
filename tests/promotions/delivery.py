"""Members and promotions for the delivery tests (materialise, ticks, the SMSC run)."""

from __future__ import annotations

import datetime as dt

from mcrm.db import db
from mcrm.members.models import Member, Source
from mcrm.promotions.models import Promotion, PromotionStatus, Repeat
from tenants.models import Tenant

EVERYONE = {"match": "all", "groups": []}
# 10:00 in Shanghai (the shops' zone): outside the default quiet hours (21:00–08:00).
MORNING = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


def add_member(tenant: Tenant, phone: str, name: str = "", **fields) -> Member:
    member = Member(tenant_id=tenant.id, phone=phone, phone_tail=phone[-4:], name=name, source=Source.PORTAL, **fields)
    db.add(member)
    db.flush()
    return member


def add_promotion(tenant: Tenant, body: str = "Hi {name}, you have {points} points.", **fields) -> Promotion:
    values = dict(
        name="Winter offer",
        definition=EVERYONE,
        status=PromotionStatus.SCHEDULED,
        send_at=MORNING,
        next_run_at=MORNING,
        repeat=Repeat.NONE,
    )
    values.update(fields)
    promotion = Promotion(tenant_id=tenant.id, body=body, **values)
    db.add(promotion)
    db.flush()
    return promotion
