"""A promotion end to end: the tick writes the run, the real gateway sends it through the test SMSC."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from mcrm.db import db, utcnow
from mcrm.promotions.ticks import run_due_promotions
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.promotions.delivery import add_member, add_promotion
from tests.sms_gateway.smpp_harness import running_gateway, statuses, wait_until
from tests.smsc_peer import SmscPeer

MEMBERS = {"+8613900000001": "Ann", "+8613900000002": "张三", "+8613900000003": "Li"}


def _set_up(app, shop_a, shop_b, now: dt.datetime) -> None:
    with app.app_context():
        for shop in (shop_a, shop_b):
            with scoped_to(shop.tenant.id):
                tenant = db.get(Tenant, shop.tenant.id)
                # Quiet hours far from now, whenever the test runs.
                local = now.astimezone(ZoneInfo(tenant.timezone))
                tenant.quiet_start = (local + dt.timedelta(hours=12)).time().replace(second=0, microsecond=0)
                tenant.quiet_end = (local + dt.timedelta(hours=12, minutes=1)).time().replace(second=0, microsecond=0)
                if shop is shop_a:
                    for phone, name in MEMBERS.items():
                        add_member(tenant, phone, name)
                    add_member(tenant, "+8613900000004", "Gone", opted_out_at=now - dt.timedelta(days=2))
                    add_promotion(tenant, body="{name}, 2 for 1 today!", send_at=now, next_run_at=now)
                else:
                    add_member(tenant, "+8613900000005", "Bystander")
                db.commit()
        db.remove()


def test_a_promotion_reaches_exactly_its_audience_through_the_smsc(app, shop_a, shop_b):
    now = utcnow()
    _set_up(app, shop_a, shop_b, now)
    with app.app_context():
        assert run_due_promotions(now) == 1
        db.remove()
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        wait_until(lambda: len(smsc.submits()) >= len(MEMBERS))
        time.sleep(0.5)  # anything more would arrive now
        submits = smsc.submits()
    texts = {s["destination"]: bytes.fromhex(s["short_message"]).decode("utf-16-be") for s in submits}
    assert len(submits) == len(MEMBERS)
    assert texts == {
        phone.removeprefix("+"): f"【Shop A】{name}, 2 for 1 today! Reply STOP to opt out"
        for phone, name in MEMBERS.items()
    }
    assert set(statuses(app)) <= {"sent", "delivered"}
