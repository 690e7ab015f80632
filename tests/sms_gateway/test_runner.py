"""The gateway loop with the sandbox transport: sending, suspension, and sharing the queue."""

import threading

import pytest
from sqlalchemy import select

from mcrm.credits.services import grant
from mcrm.db import db
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.messaging.services import queue_sms
from sms_gateway.runner import claim_batch, run_once
from sms_gateway.transports import Outcome, SandboxTransport
from tenants.isolation import unscoped
from tenants.models import Tenant, TenantStatus


def _queue(shop, n=1, to="+8613800138000"):
    with unscoped():
        for i in range(n):
            queue_sms(shop.tenant, to, f"msg {i}", MessageKind.TRANSACTIONAL)
        db.commit()


def _statuses(shop):
    with unscoped():
        db.expunge_all()
        return [m.status for m in db.scalars(select(Message).where(Message.tenant_id == shop.tenant.id))]


def test_sandbox_sends_from_the_shops_number_and_reports_delivery(ctx, shop_a):
    _queue(shop_a, 2)
    assert run_once(SandboxTransport()) == 2
    with unscoped():
        messages = db.scalars(select(Message)).all()
    assert {m.status for m in messages} == {MessageStatus.DELIVERED}
    assert all(m.shop_number == "1069001001" and m.external_id.startswith("sandbox-") for m in messages)
    assert all(m.sent_at and m.delivered_at for m in messages)


def test_a_suspended_shops_messages_are_held_until_it_is_active_again(ctx, shop_a, shop_b):
    _queue(shop_a)
    _queue(shop_b)
    with unscoped():
        db.merge(shop_a.tenant).status = TenantStatus.SUSPENDED
        db.commit()
    run_once(SandboxTransport())
    assert _statuses(shop_a) == [MessageStatus.QUEUED]
    assert _statuses(shop_b) == [MessageStatus.DELIVERED]
    with unscoped():
        db.merge(shop_a.tenant).status = TenantStatus.ACTIVE
        db.commit()
    run_once(SandboxTransport())
    assert _statuses(shop_a) == [MessageStatus.DELIVERED]


def test_a_transport_error_fails_that_message_with_its_reason(ctx, shop_a):
    class Refusing:
        def submit(self, to, source, body):
            return Outcome(external_id=None, delivered=None, error="ESME_RINVDSTADR: invalid destination")

    _queue(shop_a)
    run_once(Refusing())
    with unscoped():
        message = db.scalar(select(Message))
    assert message.status == MessageStatus.FAILED and message.error.startswith("ESME_RINVDSTADR")


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
            while batch := claim_batch(limit=7):
                claimed[slot].extend(m.id for m in batch)

    threads = [threading.Thread(target=gateway, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 200
