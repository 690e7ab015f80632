"""Shop staff texting commands from their registered mobiles, through the real inbound path (store, route,
reply queued): XF records a purchase, CX looks a member up, QF + Y broadcasts to a list."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from mcrm.apps.models import AppKind, AppSubscriber, KeywordApp
from mcrm.credits.services import credit_balance
from mcrm.db import db, utcnow
from mcrm.keywords.merchant import CONFIRMATIONS, VERBS
from mcrm.keywords.models import PendingBroadcast
from mcrm.keywords.reserved import MERCHANT_WORDS, keyword_problem
from mcrm.members.models import Member, Source
from mcrm.members.services import create_member
from mcrm.messaging.inbound import answer_inbound, store_inbound
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.points.models import Channel, LedgerEntry, Purchase
from sms_gateway.encoding import sms_shape
from tenants.isolation import unscoped
from tenants.models import Tenant, User

NUMBER = "1069001001"  # shop A's number
OWNER = "+8613900000001"
STAFF = "+8613900000002"
ZHANG = "+8613800138000"  # Zhang San, one of two numbers ending in 8000
LI = "+8613900138000"  # Li Si
WANG = "+8613700137001"  # Wang Wu, the only one ending in 7001


def send(body: str, phone: str) -> Message:
    with unscoped():
        message = store_inbound(NUMBER, phone.lstrip("+"), body)
        assert message is not None, "stored as a duplicate"
        db.commit()
        return message


def route(message: Message) -> str | None:
    """Route a stored message (again, when it was routed before) and return its reply."""
    with unscoped():
        message = db.get(Message, message.id)
        message.handled_at = None
        answer_inbound(message)
        db.commit()
        reply = db.scalar(select(Message).where(Message.dedupe_key == f"reply:{message.id}"))
        return reply.body if reply else None


def text(body: str, phone: str = STAFF) -> str | None:
    """Send `body` to shop A from `phone`; the reply queued for it (None when nothing was queued)."""
    return route(send(body, phone))


def members_by_phone() -> dict[str, Member]:
    with unscoped():
        db.expire_all()
        return {m.phone: m for m in db.scalars(select(Member))}


def count(model, *where) -> int:
    with unscoped():
        return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def shop(ctx, shop_a, shop_b):
    """Shop A (English, Asia/Shanghai, 1 point per unit) with registered mobiles for its owner and staff,
    and three members; two of them share the last four digits 8000."""
    with unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        db.get(User, shop_a.owner.id).phone = OWNER
        db.get(User, shop_a.staff.id).phone = STAFF
        for phone, name in ((ZHANG, "Zhang San"), (LI, "Li Si"), (WANG, "Wang Wu")):
            create_member(tenant, phone=phone, source=Source.PORTAL, name=name)
        db.commit()
        return tenant


def _set(model, id_, **values):
    with unscoped():
        row = db.get(model, id_)
        for name, value in values.items():
            setattr(row, name, value)
        db.commit()


@pytest.mark.parametrize(
    "body",
    [
        "XF 13800138000 58",
        "ＸＦ　１３８００１３８０００　５８",
        "消费138 0013 8000 ¥58",
        "xf+8613800138000 58元",
        "XF 13800138000 58.",
    ],
)
def test_xf_by_full_number_books_the_purchase_and_answers_points_and_balance(shop, shop_a, body):
    reply = text(body)
    assert "Zhang San (8000): 58 recorded, +58 points, balance 58." in reply
    [purchase] = _all(Purchase)
    assert (purchase.amount, purchase.channel, purchase.recorded_by_id) == (58, Channel.SMS, shop_a.staff.id)
    assert members_by_phone()[ZHANG].points_balance == 58


def test_xf_by_the_last_four_digits_when_they_name_one_member(shop):
    assert "Wang Wu (7001): 58.5 recorded, +58 points, balance 58." in text("xf7001 58.5")
    assert "balance 158" in text("XF 7001 ¥100", phone=OWNER)
    assert members_by_phone()[WANG].visit_count == 2


def test_the_same_text_routed_twice_books_once_and_answers_the_same(shop):
    message = send("XF 7001 58", STAFF)
    first = route(message)
    assert route(message) == first
    assert count(LedgerEntry, LedgerEntry.member_id == members_by_phone()[WANG].id) == 1
    assert members_by_phone()[WANG].points_balance == 58


def test_four_digits_of_several_members_are_answered_with_the_candidates_never_guessed(shop):
    reply = text("XF 8000 58")
    assert "Several numbers end in 8000" in reply and "Send the full number" in reply
    assert "Zhang San 13800138000" in reply and "Li Si 13900138000" in reply
    assert count(Purchase) == 0 and count(LedgerEntry) == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("XF 7001 abc", "Enter the amount as a number"),
        ("XF 7001 -5", "more than 0"),
        ("XF 7001 58.555", "at most two decimals"),
        ("XF 7001", ""),
        ("XF", ""),
        ("XF Wang 58", ""),
    ],
)
def test_a_bad_amount_or_format_is_answered_with_the_format(shop, body, problem):
    reply = text(body)
    assert problem in reply and "Format: XF <phone or last 4 digits> <amount>" in reply
    assert count(Purchase) == 0


def test_an_unknown_member_is_said_so_and_none_is_created(shop):
    reply = text("XF 13600136000 58")
    assert "No member 13600136000" in reply and f"text ZC to {NUMBER}" in reply
    assert "No member's number ends in 9999." in text("XF 9999 58")
    assert "12345 is not a valid mobile number." in text("XF 12345 58")
    assert len(members_by_phone()) == 3 and count(Purchase) == 0


def test_cx_answers_name_balance_and_the_last_visit_in_the_shops_timezone(shop):
    assert text("CX 7001") == "【Shop A】Wang Wu (7001): 0 points, no visit yet."
    text("XF 7001 58")
    # 20:30 UTC on 1 March is already 2 March in Asia/Shanghai.
    _set(Member, members_by_phone()[WANG].id, last_visit_at=dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.UTC))
    reply = text("cx 137 0013 7001")
    assert reply == "【Shop A】Wang Wu (7001): 58 points, last visit 2026-03-02."
    assert "Several numbers end in 8000" in text("CX 8000")
    assert "Format: CX" in text("CX Wang")


def test_replies_to_xf_and_cx_fit_one_sms_with_the_signature(shop):
    for reply in (text("XF 7001 58.5"), text("CX 7001"), text("XF"), text("XF 13600136000 58")):
        assert sms_shape(reply).count == 1, reply


@pytest.fixture
def new_products(shop, shop_b):
    """The phones of list XP ("New products"): the first two can receive offers, the third opted out, the
    fourth left; the fifth is on another list, and shop B has the first on its own list XP."""
    with unscoped():
        app = KeywordApp(tenant_id=shop.id, keyword="xp", kind=AppKind.SUBSCRIPTION, name="New products")
        other = KeywordApp(tenant_id=shop.id, keyword="vip", kind=AppKind.SUBSCRIPTION, name="VIP")
        b_app = KeywordApp(tenant_id=shop_b.tenant.id, keyword="xp", kind=AppKind.SUBSCRIPTION, name="B news")
        db.add_all([app, other, b_app])
        db.flush()
        phones = ["+8613500000001", "+8613500000002", "+8613500000003", "+8613500000004", "+8613500000005"]
        members = [create_member(shop, phone=p, source=Source.PORTAL) for p in phones]
        members[2].opted_out_at = utcnow()
        b_member = create_member(db.get(Tenant, shop_b.tenant.id), phone=phones[0], source=Source.PORTAL)
        db.flush()
        rows = [(app, members[0], None), (app, members[1], None), (app, members[2], None)]
        rows += [(app, members[3], utcnow()), (other, members[4], None), (b_app, b_member, None)]
        db.add_all(
            AppSubscriber(tenant_id=a.tenant_id, app_id=a.id, member_id=m.id, left_at=left) for a, m, left in rows
        )
        db.commit()
        return phones


def _marketing() -> list[Message]:
    with unscoped():
        db.expire_all()
        return list(db.scalars(select(Message).where(Message.kind == MessageKind.MARKETING).order_by(Message.id)))


def _all(model) -> list:
    with unscoped():
        db.expire_all()
        return list(db.scalars(select(model)))


def _reply_cost(body: str) -> int:
    return sms_shape(body).count


def test_qf_sizes_and_prices_then_y_sends_to_the_list_once(shop, new_products):
    phones = new_products
    before = credit_balance(shop)
    reply = text("QF xp Fresh bread today, 20% off!", phone=OWNER)
    assert f"QF to 'New products': 2 members, credit cost 2 ({before:,} left)" in reply
    assert "Reply Y within 10 minutes" in reply and _marketing() == []
    [pending] = _all(PendingBroadcast)
    assert (pending.audience, pending.credits, pending.text) == (2, 2, "Fresh bread today, 20% off!")
    before_y = credit_balance(shop)
    sent = text("Y", phone=OWNER)
    assert "QF to 'New products' queued for 2 members." in sent
    messages = _marketing()
    assert sorted(m.phone for m in messages) == phones[:2]
    assert all(m.status in (MessageStatus.QUEUED, MessageStatus.DEFERRED) for m in messages)
    assert messages[0].body.startswith("【Shop A】Fresh bread today, 20% off!")
    assert credit_balance(shop) == before_y - 2 - _reply_cost(sent)
    # Nothing waits any more: a second Y is an ordinary text (the consumer's help), and sends nothing.
    again = text("ｙ", phone=OWNER)
    assert "Text ZC to join" in again and len(_marketing()) == 2
    assert credit_balance(shop) == before_y - 2 - _reply_cost(sent) - _reply_cost(again)


def test_qf_finds_a_list_by_its_name_and_keeps_the_text_as_typed(shop, new_products):
    assert "2 members" in text("群发 new products 新品到店，八折！", phone=OWNER)
    [pending] = _all(PendingBroadcast)
    assert pending.text == "新品到店，八折！"


def test_y_counts_the_list_again(shop, new_products):
    phones = new_products
    text("QF XP Fresh bread", phone=OWNER)
    with unscoped():
        subscriber = db.scalar(select(AppSubscriber).join(Member).where(Member.phone == phones[1]))
        subscriber.left_at = utcnow()
        db.commit()
    assert "queued for 1 member." in text("Y", phone=OWNER)
    assert [m.phone for m in _marketing()] == phones[:1]


def test_y_after_ten_minutes_says_the_broadcast_expired_and_sends_nothing(shop, new_products):
    text("QF xp Fresh bread", phone=OWNER)
    [pending] = _all(PendingBroadcast)
    _set(PendingBroadcast, pending.id, expires_at=utcnow() - dt.timedelta(seconds=1))
    assert "expired after 10 minutes" in text("Y", phone=OWNER)
    assert _marketing() == [] and _all(PendingBroadcast)[0].sent_at is None


def test_y_when_credit_ran_short_queues_nothing_and_keeps_the_broadcast(shop, new_products):
    text("QF xp Fresh bread", phone=OWNER)
    with unscoped():
        db.get(Tenant, shop.id).sms_credit = 1  # for the reply, not for two members
        db.commit()
    assert "Not enough SMS credit" in text("Y", phone=OWNER)
    assert _marketing() == [] and _all(PendingBroadcast)[0].sent_at is None


def test_qf_explains_an_unknown_list_a_missing_text_and_short_credit(shop, new_products):
    assert "Your lists: VIP, XP" in text("QF news Fresh bread", phone=OWNER)
    assert "Format: QF <list> <text>" in text("QF xp", phone=OWNER)
    with unscoped():
        db.get(Tenant, shop.id).sms_credit = 3  # two members × two parts is 4; the two-part reply fits
        db.commit()
    assert "top up first" in text("QF xp " + "Fresh bread " * 6, phone=OWNER)
    assert _all(PendingBroadcast) == []


def test_staff_may_not_qf(shop, new_products):
    assert "Only the shop's owner" in text("QF xp Fresh bread", phone=STAFF)
    assert _all(PendingBroadcast) == []


def test_phones_of_a_disabled_user_or_another_shops_user_are_consumers(shop, shop_a, shop_b):
    _set(User, shop_a.staff.id, active=False)
    _set(User, shop_b.owner.id, phone="+8613900000009")
    for phone in (STAFF, "+8613900000009"):
        assert "Text ZC to join" in text("XF 7001 58", phone=phone)
    assert count(Purchase) == 0


def test_any_other_text_from_a_staff_phone_gets_the_consumer_answer(shop):
    assert "not a member" in text("JF")
    assert "Text ZC to join" in text("Y", phone=OWNER)  # nothing waiting to confirm
    assert "Text ZC to join" in text("xfoo")


def test_replies_are_in_the_users_language(shop, shop_a):
    _set(Tenant, shop.id, locale="zh_CN")
    _set(User, shop_a.owner.id, locale="en")
    _set(User, shop_a.staff.id, locale="zh_CN")
    assert "Enter the amount as a number" in text("XF 7001 abc", phone=OWNER)
    assert "请用数字填写金额" in text("XF 7001 abc", phone=STAFF)


def test_shops_cannot_take_command_words_as_keywords(shop):
    assert set(VERBS) | CONFIRMATIONS == MERCHANT_WORDS
    with unscoped():
        for word in ("XF", "群发", "群发券", "xf8", "是", "Y"):
            assert "kept for shop commands" in keyword_problem(shop.id, word)
        for word in ("xfoo", "查询", "yoga"):
            assert keyword_problem(shop.id, word) is None
