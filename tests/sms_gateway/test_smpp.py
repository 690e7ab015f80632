"""The gateway against a real SMPP server (tests/smsc, node-smpp) over TCP on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mcrm.credits.services import credit_balance, grant
from mcrm.db import db
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from mcrm.messaging.services import queue_sms
from tenants.isolation import unscoped
from tenants.models import Tenant
from tests.sms_gateway.smpp_harness import running_gateway, statuses, wait_until
from tests.smsc_peer import SmscPeer

PHONE = "+8613800138000"


def _queue(app, shop, bodies, to=PHONE, kind=MessageKind.TRANSACTIONAL, top_up=0):
    with app.app_context(), unscoped():
        tenant = db.get(Tenant, shop.tenant.id)
        if top_up:
            grant(tenant, top_up)
        ids = [queue_sms(tenant, to(i) if callable(to) else to, body, kind).id for i, body in enumerate(bodies)]
        db.commit()
        db.remove()
    return ids


def _messages(app, direction=Direction.OUT):
    with app.app_context(), unscoped():
        rows = db.scalars(select(Message).where(Message.direction == direction).order_by(Message.id)).all()
        db.expunge_all()
        db.remove()
        return rows


def _all(app, status, n):
    return lambda: statuses(app).get(status, 0) == n


def test_submit_and_receipt_through_a_real_smsc(app, shop_a):
    with SmscPeer(resp_delay_ms=5) as smsc:
        _queue(app, shop_a, ["Your points: 120", "Thank you"])
        with running_gateway(app, smsc.port):
            wait_until(_all(app, MessageStatus.DELIVERED, 2))
        submits = smsc.submits()
    assert sorted(s["destination"] for s in submits) == ["8613800138000", "8613800138000"]
    assert {s["source"] for s in submits} == {"1069001001"}
    assert {s["data_coding"] for s in submits} == {8}  # the Chinese signature makes it UCS-2
    messages = _messages(app)
    assert {m.external_id for m in messages} == {s["message_id"] for s in submits}
    assert all(m.sent_at and m.delivered_at for m in messages)


def test_a_300_character_chinese_message_goes_in_concatenated_parts(app, shop_a):
    text = "感谢您一直以来的支持，本周末全场八折，欢迎光临！" * 13  # 300+ characters
    with SmscPeer() as smsc:
        _queue(app, shop_a, [text], top_up=10)
        with running_gateway(app, smsc.port):
            wait_until(_all(app, MessageStatus.DELIVERED, 1))
        submits = smsc.submits()
    [message] = _messages(app)
    assert message.parts == len(submits) == 5
    assert {s["esm_class"] & 0x40 for s in submits} == {0x40}
    assert [s["concat"]["seq"] for s in submits] == [1, 2, 3, 4, 5]
    assert len({s["concat"]["ref"] for s in submits}) == 1 and {s["concat"]["total"] for s in submits} == {5}
    # The handset reassembles exactly the text that was queued.
    body = b"".join(bytes.fromhex(s["short_message"])[6:] for s in submits).decode("utf-16-be")
    assert body == message.body


def test_gsm_text_goes_with_data_coding_0(app, shop_a):
    with app.app_context(), unscoped():
        db.get(Tenant, shop_a.tenant.id).signature = "[Joe's]"
        db.commit()
        db.remove()
    with SmscPeer() as smsc:
        _queue(app, shop_a, ["Price: 5 EUR {today}"])
        with running_gateway(app, smsc.port):
            wait_until(_all(app, MessageStatus.DELIVERED, 1))
        [submit] = smsc.submits()
    assert submit["data_coding"] == 0
    assert bytes.fromhex(submit["short_message"]).decode("gsm03.38") == "[Joe's]Price: 5 EUR {today}"


def test_undelivered_and_refused_messages_show_why_and_refusals_give_credit_back(app, shop_a):
    with SmscPeer(receipts="mixed", reject_prefix="8613900") as smsc:
        phones = ["+8613800138001", "+8613800138002", "+8613900139000"]
        _queue(app, shop_a, ["a", "b", "c"], to=lambda i: phones[i])
        with app.app_context(), unscoped():
            before = credit_balance(shop_a.tenant)
        with running_gateway(app, smsc.port):
            settled = (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED)
            wait_until(lambda: sum(statuses(app).get(s, 0) for s in settled) == 3)
    odd, even, refused = _messages(app)
    assert odd.status == MessageStatus.UNDELIVERED and odd.error.startswith("UNDELIV")
    assert even.status == MessageStatus.DELIVERED
    assert refused.status == MessageStatus.FAILED and "0x0000000b" in refused.error
    with app.app_context(), unscoped():
        assert credit_balance(shop_a.tenant) == before + refused.parts


@pytest.mark.parametrize(
    "options",
    [{"receipt_before_resp": True, "resp_delay_ms": 30}, {"receipt_id_format": "decimal", "receipt_text_only": True}],
)
def test_receipts_match_before_their_response_and_in_decimal(app, shop_a, options):
    with SmscPeer(**options) as smsc:
        _queue(app, shop_a, [f"m{i}" for i in range(5)])
        with running_gateway(app, smsc.port):
            wait_until(_all(app, MessageStatus.DELIVERED, 5))


def test_an_inbound_text_is_stored_once_routed_to_its_shop_and_answered(app, shop_a, shop_b):
    with SmscPeer() as smsc:
        with running_gateway(app, smsc.port):
            wait_until(lambda: smsc.events("bind"))
            ref = smsc.send_mo("8613800138000", "10690010025", text="hello shop B", data_coding=0, repeat=2)
            smsc.send_mo("8613800138000", "1069009999", text="nobody's number")
            wait_until(_all(app, MessageStatus.DELIVERED, 1))
        resps = [e for e in smsc.events("deliver_sm_resp") if e.get("ref") == ref]
    assert [r["command_status"] for r in resps] == [0, 0]  # both copies acknowledged …
    [inbound] = _messages(app, Direction.IN)  # … and stored once
    assert (inbound.tenant_id, inbound.phone, inbound.body) == (shop_b.tenant.id, PHONE, "hello shop B")
    assert inbound.handled_at is not None
    [reply] = _messages(app)
    assert reply.tenant_id == shop_b.tenant.id and reply.kind == MessageKind.REPLY and reply.phone == PHONE
    assert {s["source"] for s in smsc.submits()} == {"1069001002"}


def test_ucs2_and_latin1_inbound_are_decoded(app, shop_a):
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        smsc.send_mo("8613800138000", "1069001001", text="积分查询 😀", data_coding=8)
        smsc.send_mo("8613800138001", "1069001001", text="Café", data_coding=3)
        wait_until(lambda: len(_messages(app, Direction.IN)) == 2)
    assert sorted(m.body for m in _messages(app, Direction.IN)) == ["Café", "积分查询 😀"]


def test_throttling_slows_down_and_every_message_still_goes_once(app, shop_a):
    with SmscPeer(throttle_tps=10, msgqful_every=7) as smsc:
        _queue(app, shop_a, [f"m{i}" for i in range(30)], to=lambda i: f"+86138001{i:05d}")
        with running_gateway(app, smsc.port, window=20):
            wait_until(_all(app, MessageStatus.DELIVERED, 30), timeout=60)
        stats = smsc.stats()
    assert stats["throttled"] > 0 and stats["by_status"][0x14] > 0  # both kinds of "not now" happened
    assert stats["by_status"][0] == 30 and not stats["duplicates"]


def test_the_configured_rate_is_honoured(app, shop_a):
    with SmscPeer() as smsc:
        _queue(app, shop_a, [f"m{i}" for i in range(250)], to=lambda i: f"+86138001{i:05d}", top_up=200)
        with running_gateway(app, smsc.port, window=50, tps=100):
            wait_until(_all(app, MessageStatus.DELIVERED, 250), timeout=30)
        stats = smsc.stats()
    # Paced evenly: at most one more than the rate in any sliding second (the fence post), never a burst.
    assert stats["max_per_second"] <= 105


def test_a_dead_link_is_noticed_and_the_gateway_reconnects(app, shop_a):
    with SmscPeer(no_resp_after=3) as smsc:
        _queue(app, shop_a, [f"m{i}" for i in range(8)], to=lambda i: f"+86138001{i:05d}")
        with running_gateway(app, smsc.port, window=2, dead_link_seconds=1.0, enquire_link_seconds=0.5):
            # Two submits hang unanswered: the link is declared dead, they become unknown, the rest go
            # over the next bind (the black hole only swallows the first connection).
            wait_until(lambda: statuses(app).get(MessageStatus.DELIVERED, 0) == 6, timeout=30)
            assert len(smsc.events("bind")) >= 2
    counts = statuses(app)
    assert counts == {MessageStatus.DELIVERED: 6, MessageStatus.UNKNOWN: 2}


def test_the_smsc_unbinding_makes_the_gateway_rebind(app, shop_a):
    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        smsc.unbind()
        wait_until(lambda: len(smsc.events("bind")) == 2, timeout=15)
        _queue(app, shop_a, ["after the rebind"])
        wait_until(_all(app, MessageStatus.DELIVERED, 1))


def test_the_smsc_dropping_the_link_in_the_middle_of_5000_messages_sends_each_once(app, shop_a):
    total, window = 5000, 10
    phones = [f"+86138{i:08d}" for i in range(total)]
    with SmscPeer(drop_after=2500, quiet=True) as smsc:
        _queue(app, shop_a, ["m"] * total, to=lambda i: phones[i], top_up=total)
        with running_gateway(app, smsc.port, window=window):
            settled = (MessageStatus.DELIVERED, MessageStatus.UNKNOWN)
            wait_until(lambda: sum(statuses(app).get(s, 0) for s in settled) == total, timeout=120)
        stats = smsc.stats()
    counts = statuses(app)
    unknown = counts.get(MessageStatus.UNKNOWN, 0)
    assert counts.get(MessageStatus.DELIVERED, 0) + unknown == total, counts
    assert 1 <= unknown <= window  # only what was in flight when the link dropped is in doubt
    assert len(smsc.events("bind")) == 2
    assert not stats["duplicates"]  # no destination got a message twice
    # Delivered ones were all accepted; the unknown ones may or may not have been (their answers were lost).
    assert counts[MessageStatus.DELIVERED] <= stats["by_status"][0] <= counts[MessageStatus.DELIVERED] + unknown


@pytest.mark.postgres_only
def test_two_gateways_share_one_outbox_without_sending_anything_twice(app, shop_a):
    total = 2000
    with SmscPeer(quiet=True) as smsc:
        _queue(app, shop_a, ["m"] * total, to=lambda i: f"+86138{i:08d}", top_up=total)
        with running_gateway(app, smsc.port, name="gw-1"), running_gateway(app, smsc.port, name="gw-2"):
            wait_until(_all(app, MessageStatus.DELIVERED, total), timeout=60)
        stats = smsc.stats()
    assert stats["by_status"][0] == total and not stats["duplicates"]
    with app.app_context(), unscoped():
        by_gateway = dict(db.execute(select(Message.gateway, func.count()).group_by(Message.gateway)).all())
        db.remove()
    assert set(by_gateway) == {"gw-1", "gw-2"}  # both took a share
