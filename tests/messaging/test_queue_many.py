"""queue_many: the batch form of queue_sms, with the same rules and all-or-nothing credit."""

import pytest
from sqlalchemy import select

from mcrm.credits.services import NotEnoughCredit, credit_balance
from mcrm.db import db, utcnow
from mcrm.members.models import Source
from mcrm.members.services import create_member
from mcrm.messaging.models import Message, MessageKind, MessageStatus, SuppressReason
from mcrm.messaging.services import SmsRequest, queue_many, queue_sms
from tenants.isolation import unscoped
from tenants.models import Tenant


@pytest.fixture
def tenant(ctx, shop_a):
    with unscoped():
        yield db.get(Tenant, shop_a.tenant.id)


def _messages():
    with unscoped():
        return db.scalars(select(Message).order_by(Message.id)).all()


def test_a_batch_applies_the_rules_and_pays_once_for_all_parts(tenant):
    with unscoped():
        member = create_member(tenant, phone="+8613800138002", source=Source.PORTAL)
        member.opted_out_at = utcnow()
        before = credit_balance(tenant)
        ids = queue_many(
            tenant,
            [
                SmsRequest("+8613800138000", "Hi", MessageKind.REPLY, "reply:1"),
                SmsRequest("+8613800138001", "Hi", MessageKind.REPLY, "reply:2"),
                SmsRequest("+8613800138002", "Offer", MessageKind.CARE, "care:3"),
            ],
            now=utcnow().replace(hour=4),  # 12:00 in Shanghai: not quiet hours
        )
        db.commit()
    first, second, third = _messages()
    assert ids == [first.id, second.id, third.id]
    assert first.body == f"{tenant.signature}Hi" and first.status == MessageStatus.QUEUED
    assert (third.status, third.suppressed_reason) == (MessageStatus.SUPPRESSED, SuppressReason.OPTED_OUT)
    with unscoped():
        assert credit_balance(tenant) == before - first.parts - second.parts


def test_dedupe_keys_already_used_or_repeated_in_the_batch_queue_once(tenant):
    with unscoped():
        earlier = queue_sms(tenant, "+8613800138000", "Hi", MessageKind.REPLY, dedupe_key="reply:1")
        ids = queue_many(
            tenant,
            [
                SmsRequest("+8613800138000", "Hi", MessageKind.REPLY, "reply:1"),
                SmsRequest("+8613800138001", "Hi", MessageKind.REPLY, "reply:2"),
                SmsRequest("+8613800138001", "Hi", MessageKind.REPLY, "reply:2"),
            ],
        )
        db.commit()
    assert ids[0] == earlier.id and ids[1] == ids[2] != earlier.id
    assert len(_messages()) == 2


def test_a_batch_the_credit_cannot_cover_queues_nothing(tenant):
    with unscoped():
        left = credit_balance(tenant)
        requests = [SmsRequest(f"+86138001{i:05d}", "Hi", MessageKind.REPLY) for i in range(left + 1)]
        with pytest.raises(NotEnoughCredit):
            queue_many(tenant, requests)
        db.commit()
        assert credit_balance(tenant) == left
    assert _messages() == []
