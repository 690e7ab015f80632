"""A shop command end to end: the staff member's MO through the real SMSC, the purchase booked, the reply
submitted back to their phone."""

from sqlalchemy import select

from mcrm.db import db
from mcrm.members.models import Member, Source
from mcrm.members.services import create_member
from mcrm.points.models import Purchase
from tenants.isolation import unscoped
from tenants.models import Tenant, User
from tests.sms_gateway.smpp_harness import running_gateway, wait_until
from tests.smsc_peer import SmscPeer


def _purchases(app):
    with app.app_context(), unscoped():
        found = db.scalars(select(Purchase)).all()
        db.remove()
        return found


def test_xf_by_sms_books_the_purchase_and_answers_the_staff_phone(app, shop_a):
    with app.app_context(), unscoped():
        db.get(User, shop_a.staff.id).phone = "+8613900000002"
        create_member(db.get(Tenant, shop_a.tenant.id), phone="+8613800138000", source=Source.PORTAL, name="张三")
        db.commit()
        db.remove()
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        smsc.send_mo("8613900000002", "1069001001", text="XF 8000 58", data_coding=0)
        wait_until(lambda: len(smsc.submits()) >= 1)
        [submit] = smsc.submits()
    reply = bytes.fromhex(submit["short_message"]).decode("utf-16-be")
    assert submit["destination"] == "8613900000002"
    assert reply == "【Shop A】张三 (8000): 58 recorded, +58 points, balance 58."
    [purchase] = _purchases(app)
    assert purchase.amount == 58 and purchase.recorded_by_id == shop_a.staff.id
    with app.app_context(), unscoped():
        assert db.scalar(select(Member.points_balance)) == 58
        db.remove()
