"""Keywords end to end: an MO through the real SMSC, the router acting, the reply going back out."""

from sqlalchemy import select

from mcrm.db import db
from mcrm.members.models import Member
from tenants.isolation import unscoped
from tests.sms_gateway.smpp_harness import running_gateway, wait_until
from tests.smsc_peer import SmscPeer


def _member(app):
    with app.app_context(), unscoped():
        found = db.scalar(select(Member).where(Member.phone == "+8613800138000"))
        db.remove()
        return found


def test_join_then_stop_by_sms(app, shop_a):
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        smsc.send_mo("8613800138000", "1069001001", text="ＺＣ 张三 0815", data_coding=8)
        wait_until(lambda: len(smsc.submits()) >= 1)
        joined = _member(app)
        assert (joined.name, joined.birthday_month, joined.birthday_day) == ("张三", 8, 15)
        smsc.send_mo("8613800138000", "1069001001", text=" td ", data_coding=0)
        wait_until(lambda: _member(app).opted_out_at is not None)
        wait_until(lambda: len({s["sequence"] for s in smsc.submits()}) >= 2)
        replies = [bytes.fromhex(s["short_message"]).decode("utf-16-be") for s in smsc.submits()]
    assert all(s["destination"] == "8613800138000" for s in smsc.submits())
    assert "Welcome to Shop A" in replies[0] and "no more offers" in "".join(replies[1:])


def test_a_form_app_by_sms(app, shop_a):
    """A table booking over the real SMSC: each answer is a new MO, each question the reply."""
    from mcrm.apps.models import AnswerType, AppKind, FormQuestion, FormSubmission, KeywordApp

    with app.app_context(), unscoped():
        booking = KeywordApp(
            tenant_id=shop_a.tenant.id, keyword="yd", kind=AppKind.FORM, name="订座", reply_text="订好了"
        )
        db.add(booking)
        db.flush()
        for position, (prompt, kind) in enumerate([("哪天？", AnswerType.DATE), ("几位？", AnswerType.NUMBER)]):
            db.add(
                FormQuestion(
                    tenant_id=shop_a.tenant.id, app_id=booking.id, position=position, prompt=prompt, answer_type=kind
                )
            )
        db.commit()
        db.remove()

    def replies():
        return [bytes.fromhex(s["short_message"]).decode("utf-16-be") for s in smsc.submits()]

    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        for count, body in enumerate(["YD", "12月24日", "4位"], start=1):
            smsc.send_mo("8613800138000", "1069001001", text=body, data_coding=8)
            wait_until(lambda count=count: len({s["sequence"] for s in smsc.submits()}) >= count)
        answers = replies()
    assert [a.removeprefix("【Shop A】") for a in answers] == ["哪天？", "几位？", "订好了"]
    with app.app_context(), unscoped():
        submission = db.scalar(select(FormSubmission))
        assert [item["answer"] for item in submission.answers][1] == "4"
        db.remove()
