"""Whatever a phone or an SMSC sends, the gateway stores valid text and keeps going."""

from __future__ import annotations

import queue

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mcrm.db import db
from mcrm.messaging.models import Direction, Message
from sms_gateway.inbound import store_pdus
from sms_gateway.smpp import InboundPdu
from tenants.isolation import unscoped
from tests.sms_gateway.smpp_harness import running_gateway, wait_until
from tests.smsc_peer import SmscPeer

NUMBER = "1069001001"
NASTY_TEXTS = [
    "",
    "x" * 10_240,
    "😀👍🏽 emoji",
    "nul\x00byte",
    "'; DROP TABLE messages; --",
    "<script>alert(1)</script>",
    "ＪＦ　全角",
]


def _inbound_bodies():
    with unscoped():
        bodies = db.scalars(select(Message.body).where(Message.direction == Direction.IN).order_by(Message.id)).all()
        db.remove()
        return bodies


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.binary(max_size=400),
    data_coding=st.sampled_from([0, 1, 3, 4, 8, 0xF5, 0x18, 0x02]) | st.integers(0, 255),
    udhi=st.booleans(),
)
@example(payload=b"\x00a\x00", data_coding=8, udhi=False)  # half a UCS-2 character at the end
def test_any_bytes_in_any_coding_are_stored_as_valid_text(ctx, shop_a, payload, data_coding, udhi):
    events = queue.SimpleQueue()
    pdu = InboundPdu("8613800138000", NUMBER, payload, data_coding, 0x40 if udhi else 0)
    assert store_pdus([pdu], events) is True
    with unscoped():
        for body in db.scalars(select(Message.body).where(Message.direction == Direction.IN)):
            assert "\x00" not in body
            body.encode("utf-8")  # no lone surrogate survives


def test_hostile_texts_through_the_real_smsc_are_acknowledged_and_stored(app, shop_a):
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        refs = [smsc.send_mo("8613800138000", NUMBER, text=text, data_coding=8) for text in NASTY_TEXTS]
        refs.append(smsc.send_mo("8613800138001", NUMBER, hex="d800d83d0041", data_coding=8))  # lone surrogates
        refs.append(smsc.send_mo("8613800138002", NUMBER, hex="00ff10fe", data_coding=4))  # binary
        answered = lambda: {e.get("ref"): e["command_status"] for e in smsc.events("deliver_sm_resp")}  # noqa: E731
        wait_until(lambda: set(refs) <= set(answered()))
        assert {answered()[ref] for ref in refs} == {0}
        with app.app_context():
            bodies = wait_until(lambda: len(_inbound_bodies()) == len(refs) and _inbound_bodies())
    assert "x" * 10_240 in bodies and "'; DROP TABLE messages; --" in bodies and "ＪＦ　全角" in bodies
    assert "nulbyte" in bodies and "\ufffd\ufffdA" in bodies and "[binary data_coding 0x04] 00ff10fe" in bodies


def test_an_inbound_text_that_cannot_be_stored_is_refused_with_0x64_so_the_smsc_retries(app, shop_a, monkeypatch):
    import sms_gateway.inbound as inbound

    real, calls = inbound.receive_many, []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("database unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(inbound, "receive_many", flaky)
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        first = smsc.send_mo("8613800138000", NUMBER, text="JF")
        answered = lambda: {e.get("ref"): e["command_status"] for e in smsc.events("deliver_sm_resp")}  # noqa: E731
        wait_until(lambda: first in answered())
        assert answered()[first] == 0x64
        with app.app_context():
            assert _inbound_bodies() == []
        again = smsc.send_mo("8613800138000", NUMBER, text="JF")  # the SMSC delivering it again
        wait_until(lambda: again in answered())
        assert answered()[again] == 0
        with app.app_context():
            assert wait_until(lambda: _inbound_bodies() == ["JF"])
