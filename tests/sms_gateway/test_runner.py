"""The gateway loop with the sandbox transport: sending, receipts, suspension, crashes, sharing the queue."""

import threading

import pytest
from sqlalchemy import select

from mcrm.credits.services import credit_balance, grant
from mcrm.db import db
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.messaging.services import queue_sms
from sms_gateway.events import Accepted, ReceiptArrived, Refused, Returned, Unanswered
from sms_gateway.outbox import claim, mark_orphans_unknown, record
from sms_gateway.receipts import Receipt
from sms_gateway.runner import Gateway
from sms_gateway.transports import SandboxTransport
from tenants.isolation import unscoped
from tenants.models import Tenant, TenantStatus


def _queue(shop, n=1, to="+8613800138000", body="msg"):
    with unscoped():
        ids = [queue_sms(shop.tenant, to, f"{body} {i}", MessageKind.TRANSACTIONAL).id for i in range(n)]
        db.commit()
    return ids


def _messages(shop=None):
    with unscoped():
        db.expunge_all()
        query = select(Message).order_by(Message.id)
        if shop is not None:
            query = query.where(Message.tenant_id == shop.tenant.id)
        return db.scalars(query).all()


def _run(gateway, turns=3):
    for _ in range(turns):
        gateway.step()


def test_sandbox_sends_from_the_shops_number_and_records_the_receipt(ctx, shop_a):
    _queue(shop_a, 2)
    gateway = Gateway(SandboxTransport(), name="gw-test")
    gateway.start()
    _run(gateway)
    messages = _messages()
    assert {m.status for m in messages} == {MessageStatus.DELIVERED}
    assert all(m.shop_number == "1069001001" and m.external_id.startswith("sandbox") for m in messages)
    assert all(m.sent_at and m.delivered_at for m in messages)


def test_a_suspended_shops_messages_are_held_until_it_is_active_again(ctx, shop_a, shop_b):
    _queue(shop_a)
    _queue(shop_b)
    with unscoped():
        db.get(Tenant, shop_a.tenant.id).status = TenantStatus.SUSPENDED
        db.commit()
    gateway = Gateway(SandboxTransport(), name="gw-test")
    _run(gateway)
    assert [m.status for m in _messages(shop_a)] == [MessageStatus.QUEUED]
    assert [m.status for m in _messages(shop_b)] == [MessageStatus.DELIVERED]
    with unscoped():
        db.get(Tenant, shop_a.tenant.id).status = TenantStatus.ACTIVE
        db.commit()
    _run(gateway)
    assert [m.status for m in _messages(shop_a)] == [MessageStatus.DELIVERED]


def test_a_refused_message_fails_with_the_smsc_status_and_gives_its_credit_back(ctx, shop_a):
    before = shop_a.tenant.sms_credit
    [message_id] = _queue(shop_a)
    assert claim("gw-test", 10)
    record([Refused(message_id, "INVDSTADR status 0x0000000b: Invalid destination address")])
    [message] = _messages()
    assert message.status == MessageStatus.FAILED and "0x0000000b" in message.error
    with unscoped():
        assert credit_balance(shop_a.tenant) == before


def test_receipts_settle_only_when_every_part_has_one_and_only_delivrd_is_delivered(ctx, shop_a):
    ids = _queue(shop_a, 3)
    claim("gw-test", 10)
    record([Accepted(ids[0], ("a1",)), Accepted(ids[1], ("b1", "b2")), Accepted(ids[2], ("c1",))])
    record(
        [
            ReceiptArrived(Receipt("a1", "DELIVRD", "000")),
            ReceiptArrived(Receipt("b1", "DELIVRD", "000")),
            ReceiptArrived(Receipt("c1", "UNDELIV", "001")),
        ]
    )
    first, second, third = _messages()
    assert first.status == MessageStatus.DELIVERED
    assert second.status == MessageStatus.SENT  # one part still without a receipt
    assert third.status == MessageStatus.UNDELIVERED and third.error == "UNDELIV err:001"
    record([ReceiptArrived(Receipt("b2", "DELIVRD", None))])
    assert _messages()[1].status == MessageStatus.DELIVERED


def test_a_receipt_in_decimal_matches_the_hex_id_of_the_response(ctx, shop_a):
    [message_id] = _queue(shop_a)
    claim("gw-test", 10)
    record([Accepted(message_id, ("1f0000a",))])
    assert record([ReceiptArrived(Receipt(str(0x1F0000A), "DELIVRD", None))]) == []
    assert _messages()[0].status == MessageStatus.DELIVERED


def test_a_receipt_before_its_response_waits_and_then_settles(ctx, shop_a):
    [message_id] = _queue(shop_a)
    claim("gw-test", 10)
    early = ReceiptArrived(Receipt("x9", "DELIVRD", None))
    assert record([early]) == [early]  # nothing to match yet: kept by the loop
    assert record([Accepted(message_id, ("x9",)), early]) == []
    assert _messages()[0].status == MessageStatus.DELIVERED


def test_unanswered_messages_become_unknown_and_returned_ones_go_back_to_the_queue(ctx, shop_a):
    before = shop_a.tenant.sms_credit
    first, second = _queue(shop_a, 2)
    claim("gw-test", 10)
    record([Unanswered(first, "the SMPP link dropped"), Returned(second)])
    one, two = _messages()
    assert one.status == MessageStatus.UNKNOWN and one.error == "the SMPP link dropped"
    assert two.status == MessageStatus.QUEUED and two.gateway is None
    with unscoped():
        assert credit_balance(shop_a.tenant) == before - 2  # unknown may have been sent: no refund


def test_rows_a_dead_gateway_left_in_sending_become_unknown_not_resent(ctx, shop_a):
    _queue(shop_a, 2)
    claim("gw-crashed", 10)  # it never beat, or stopped beating
    with unscoped():
        db.add(ProcessHeartbeat(name="gw-alive", kind="gateway"))
        db.commit()
    assert mark_orphans_unknown() == 2
    assert {m.status for m in _messages()} == {MessageStatus.UNKNOWN}
    assert claim("gw-alive", 10) == []


def test_a_live_gateways_rows_are_left_alone(ctx, shop_a):
    _queue(shop_a, 1)
    with unscoped():
        db.add(ProcessHeartbeat(name="gw-alive", kind="gateway"))
        db.commit()
    claim("gw-alive", 10)
    assert mark_orphans_unknown() == 0
    assert _messages()[0].status == MessageStatus.SENDING


@pytest.mark.postgres_only
def test_two_gateways_never_claim_the_same_message(ctx, shop_a):
    with unscoped():
        grant(db.get(Tenant, shop_a.tenant.id), 200)  # beyond the trial credit
        db.commit()
    _queue(shop_a, 200)
    claimed: list[list[int]] = [[], []]
    barrier = threading.Barrier(2)

    def gateway(slot):
        with ctx.app_context():
            barrier.wait()
            while batch := claim(f"gw-{slot}", 7):
                claimed[slot].extend(m.message_id for m in batch)

    threads = [threading.Thread(target=gateway, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 200
