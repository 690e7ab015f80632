"""A birthday greeting end to end: the tick writes it, the real gateway sends it through the test SMSC."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from mcrm.care.models import GreetingKind
from mcrm.care.ticks import run_due_greetings
from mcrm.db import db, utcnow
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.care import add_member, add_rule
from tests.sms_gateway.smpp_harness import running_gateway, statuses, wait_until
from tests.smsc_peer import SmscPeer


def test_a_member_whose_birthday_is_today_gets_exactly_one_greeting(app, shop_a, shop_b):
    now = utcnow()
    with app.app_context():
        for shop in (shop_a, shop_b):
            with scoped_to(shop.tenant.id):
                tenant = db.get(Tenant, shop.tenant.id)
                local = now.astimezone(ZoneInfo(tenant.timezone))
                # Quiet hours far from now, whenever the test runs.
                tenant.quiet_start = (local + dt.timedelta(hours=12)).time().replace(second=0, microsecond=0)
                tenant.quiet_end = (local + dt.timedelta(hours=12, minutes=1)).time().replace(second=0, microsecond=0)
                today = local.date()
                if shop is shop_a:
                    birthday = {"birthday_month": today.month, "birthday_day": today.day}
                    tomorrow = today + dt.timedelta(days=1)
                    add_member(tenant, "+8613900000001", "Ann", **birthday)
                    add_member(tenant, "+8613900000002", "Bo", birthday_month=tomorrow.month, birthday_day=tomorrow.day)
                    add_member(tenant, "+8613900000003", "Gone", opted_out_at=now - dt.timedelta(days=2), **birthday)
                    add_rule(tenant, GreetingKind.BIRTHDAY, template="Happy birthday, {name}!", send_hour=local.hour)
                else:
                    add_member(
                        tenant, "+8613900000004", "Bystander", birthday_month=today.month, birthday_day=today.day
                    )
                db.commit()
        assert run_due_greetings(now) == 1
        assert run_due_greetings(now + dt.timedelta(seconds=60)) == 0
        db.remove()
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        wait_until(lambda: len(smsc.submits()) >= 1)
        time.sleep(0.5)  # anything more would arrive now
        submits = smsc.submits()
    texts = [(s["destination"], bytes.fromhex(s["short_message"]).decode("utf-16-be")) for s in submits]
    assert texts == [("8613900000001", "【Shop A】Happy birthday, Ann!")]
    assert set(statuses(app)) <= {"sent", "delivered"}
