"""The portal's message pages: the list, the live counter's numbers, an SMS to a member, the phone simulator."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from mcrm.credits.services import spend
from mcrm.db import db
from mcrm.members.models import Member, Source
from mcrm.members.services import create_member
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus, SuppressReason
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in, make_test_app

CHINESE_70 = "您好" * 35


def _tenant(tenant_id):
    with unscoped():
        db.expunge_all()
        return db.get(Tenant, tenant_id)


def _messages(tenant_id):
    with unscoped():
        db.expunge_all()
        return db.scalars(select(Message).where(Message.tenant_id == tenant_id).order_by(Message.id)).all()


def _add_message(app, shop, **fields):
    values = dict(
        direction=Direction.OUT,
        kind=MessageKind.TRANSACTIONAL,
        phone="+8613800138000",
        shop_number="1069001001",
        body="【Shop】hello",
        encoding="UCS-2",
        parts=1,
        status=MessageStatus.QUEUED,
    )
    values.update(fields)
    with app.app_context(), unscoped():
        message = Message(tenant_id=shop.tenant.id, **values)
        db.add(message)
        db.commit()
        return message.id


def _add_member(app, shop, phone="13800138000"):
    with app.app_context(), scoped_to(shop.tenant.id):
        member = create_member(db.get(Tenant, shop.tenant.id), phone=phone, name="Wang Fang", source=Source.PORTAL)
        db.commit()
        return member.id


def _rows(page: str) -> list[str]:
    body = page.split('<table class="table" id="messages">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


# The list.


def test_the_list_shows_the_shops_messages_newest_first_with_their_reasons(app, client, shop_a, shop_b):
    member_id = _add_member(app, shop_a)
    _add_message(app, shop_a, body="first one")
    _add_message(
        app,
        shop_a,
        kind=MessageKind.MARKETING,
        body="promo",
        status=MessageStatus.SUPPRESSED,
        suppressed_reason=SuppressReason.OPTED_OUT,
    )
    _add_message(
        app,
        shop_a,
        phone="+8613900139000",
        kind=MessageKind.CARE,
        body="happy birthday",
        status=MessageStatus.DEFERRED,
        # 00:00 UTC is 08:00 in Shanghai, the shop's timezone.
        send_after=dt.datetime(2030, 1, 2, 0, 0, tzinfo=dt.UTC),
    )
    _add_message(app, shop_a, body="refused", status=MessageStatus.FAILED, error="0x0000000b invalid destination")
    _add_message(app, shop_a, direction=Direction.IN, kind=None, body="JF", encoding="", status=MessageStatus.RECEIVED)
    _add_message(app, shop_b, body="shop b secret")
    log_in(client, "staff-a@example.com")
    page = client.get("/messages/").get_data(as_text=True)
    rows = _rows(page)
    assert "(5)" in page and "shop b secret" not in page
    assert [re.search(r'title="([^"]*)"', row).group(1) for row in rows] == [
        "JF",
        "refused",
        "happy birthday",
        "promo",
        "first one",
    ]
    assert "Received" in rows[0] and "← In" in rows[0]
    assert "Failed" in rows[1] and "0x0000000b invalid destination" in rows[1]
    assert "Deferred" in rows[2] and "until 08:00" in rows[2] and "Greeting" in rows[2]
    assert "Suppressed" in rows[3] and "Member opted out" in rows[3] and "Promotion" in rows[3]
    assert "1 part · UCS-2" in rows[4] and "Queued" in rows[4]
    # A phone that belongs to a member leads to the member; another does not.
    assert f'href="/members/{member_id}"' in rows[0] and "/members/" not in rows[2]


def test_the_list_filters_by_status_and_phone(app, client, shop_a):
    _add_message(app, shop_a, body="to wang")
    _add_message(app, shop_a, body="to li", phone="+8613900139000")
    _add_message(
        app, shop_a, body="capped", status=MessageStatus.SUPPRESSED, suppressed_reason=SuppressReason.DAILY_CAP
    )
    log_in(client, "owner-a@example.com")

    def bodies(query):
        page = client.get(f"/messages/?{query}").get_data(as_text=True)
        return [re.search(r'title="([^"]*)"', row).group(1) for row in _rows(page)]

    assert bodies("status=suppressed") == ["capped"]
    assert "Daily promotion limit reached" in client.get("/messages/?status=suppressed").get_data(as_text=True)
    assert bodies("phone=139+0013+9000") == ["to li"]
    assert bodies("phone=8000") == ["capped", "to wang"]
    assert bodies("phone=%2B8613800138000&status=queued") == ["to wang"]
    # A status that does not exist is no filter at all.
    assert len(bodies("status=nonsense")) == 3


def test_the_list_pages_by_50(app, client, shop_a):
    with app.app_context(), unscoped():
        db.add_all(
            Message(
                tenant_id=shop_a.tenant.id,
                direction=Direction.OUT,
                kind=MessageKind.REPLY,
                phone="+8613800138000",
                shop_number="1069001001",
                body=f"number {i}",
                status=MessageStatus.DELIVERED,
            )
            for i in range(55)
        )
        db.commit()
    log_in(client, "staff-a@example.com")
    first = client.get("/messages/").get_data(as_text=True)
    assert len(_rows(first)) == 50 and "Page 1 of 2" in first and 'title="number 54"' in first
    second = client.get("/messages/?page=2").get_data(as_text=True)
    assert len(_rows(second)) == 5 and 'title="number 0"' in second


# The live counter's numbers.


def _shape(client, **params):
    response = client.get("/messages/shape", query_string=params)
    assert response.status_code == 200
    return response.get_json()


def test_a_chinese_text_with_the_signature_takes_two_ucs2_parts(client, shop_a):
    log_in(client, "staff-a@example.com")
    # 【Shop A】 (8 characters) leads: 78 UTF-16 units, over the 70 of one SMS, so 67 per part.
    shape = _shape(client, text=CHINESE_70)
    assert shape == {
        "encoding": "UCS-2",
        "units": 78,
        "parts": 2,
        "per_part": 67,
        "chars_left_in_part": 56,
        "credits": 2,
        "summary": "78 characters · UCS-2 · 2 parts · 2 credits",
    }
    assert _shape(client, text=CHINESE_70[:62])["parts"] == 1  # 70 units: one SMS


def test_a_chinese_signature_makes_even_ascii_text_ucs2(client, shop_a):
    log_in(client, "staff-a@example.com")
    shape = _shape(client, text="Hello", kind="transactional")
    assert (shape["encoding"], shape["units"], shape["parts"], shape["chars_left_in_part"]) == ("UCS-2", 13, 1, 57)


def test_an_ascii_signature_fits_160_gsm_characters_in_one_part(app, client, shop_a):
    with app.app_context(), unscoped():
        db.get(Tenant, shop_a.tenant.id).signature = "[Joe]"
        db.commit()
    log_in(client, "owner-a@example.com")
    # [ and ] are GSM extension characters, two septets each: "[Joe]" takes 7 of the 160.
    one = _shape(client, text="x" * 153)
    assert (one["encoding"], one["units"], one["parts"], one["per_part"], one["chars_left_in_part"]) == (
        "GSM-7",
        160,
        1,
        160,
        0,
    )
    assert one["summary"] == "160 characters · GSM-7 · 1 part · 1 credit"
    two = _shape(client, text="x" * 154)
    assert (two["units"], two["parts"], two["per_part"], two["chars_left_in_part"], two["credits"]) == (
        161,
        2,
        153,
        145,
        2,
    )
    # A promotion ends with the opt-out line, and the counter counts it.
    promo = _shape(client, text="Sale", kind="marketing")
    assert promo["units"] == 2 + len("[Joe]Sale Reply STOP to opt out")
    # A text too long for a URL can be posted instead.
    posted = client.post("/messages/shape?kind=transactional", data={"text": "x" * 154}).get_json()
    assert posted == two


def test_the_counter_refuses_an_unknown_kind_and_strangers(client, shop_a):
    assert client.get("/messages/shape?text=hi").status_code == 302  # to the login page
    log_in(client, "staff-a@example.com")
    assert client.get("/messages/shape?text=hi&kind=spam").status_code == 400


# An SMS to a member.


def test_staff_send_an_sms_from_the_member_page(app, client, shop_a):
    member_id = _add_member(app, shop_a)
    log_in(client, "staff-a@example.com")
    page = client.get(f"/members/{member_id}").get_data(as_text=True)
    assert "Send an SMS" in page and 'data-counter-for="sms-body"' in page and "sms-counter.js" in page
    assert "8 characters · UCS-2 · 1 part · 1 credit" in page  # the signature alone, before typing
    credit = _tenant(shop_a.tenant.id).sms_credit
    form = {"sms-body": CHINESE_70, "sms-idempotency_key": "tap-1"}
    response = client.post(f"/members/{member_id}/sms", data=form)
    assert response.status_code == 302 and response.headers["Location"] == f"/members/{member_id}#messages"
    # The same form sent twice (a double tap) queues and charges once.
    assert client.post(f"/members/{member_id}/sms", data=form).status_code == 302
    [message] = _messages(shop_a.tenant.id)
    assert (message.direction, message.kind, message.phone, message.status) == (
        Direction.OUT,
        MessageKind.TRANSACTIONAL,
        "+8613800138000",
        MessageStatus.QUEUED,
    )
    assert message.body == "【Shop A】" + CHINESE_70 and (message.encoding, message.parts) == ("UCS-2", 2)
    assert _tenant(shop_a.tenant.id).sms_credit == credit - 2
    page = client.get(f"/members/{member_id}").get_data(as_text=True)
    assert "SMS queued: 2 credits used." in page
    listed = page.split('id="member-messages"', 1)[1]
    assert CHINESE_70 in listed and "Queued" in listed and "2 parts · UCS-2" in listed


def test_short_credit_is_a_form_error_and_nothing_is_queued(app, client, shop_a):
    member_id = _add_member(app, shop_a)
    with app.app_context(), unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        spend(tenant, tenant.sms_credit - 1)
        db.commit()
    log_in(client, "owner-a@example.com")
    response = client.post(f"/members/{member_id}/sms", data={"sms-body": CHINESE_70})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not enough SMS credit: this needs 2 and 1 are left." in page
    assert CHINESE_70 in page.split('id="send-sms"', 1)[1].split("</form>", 1)[0]  # what was typed is kept
    assert "78 characters · UCS-2 · 2 parts · 2 credits" in page
    assert _messages(shop_a.tenant.id) == [] and _tenant(shop_a.tenant.id).sms_credit == 1


def test_an_empty_sms_is_refused(app, client, shop_a):
    member_id = _add_member(app, shop_a)
    log_in(client, "staff-a@example.com")
    response = client.post(f"/members/{member_id}/sms", data={"sms-body": "  "})
    assert response.status_code == 200 and "This field is required." in response.get_data(as_text=True)
    assert _messages(shop_a.tenant.id) == []


# The phone simulator.


def test_the_simulator_stores_the_text_and_queues_the_help_reply(client, shop_a):
    log_in(client, "staff-a@example.com")
    page = client.get("/messages/simulator").get_data(as_text=True)
    assert "1069001001" in page and 'data-counter-for="text"' in page and "kind=reply" in page
    response = client.post("/messages/simulator", data={"phone": "139 0013 9000", "text": "JF"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/messages/simulator?phone=%2B8613900139000"
    inbound, reply = _messages(shop_a.tenant.id)
    assert (inbound.direction, inbound.phone, inbound.body, inbound.status) == (
        Direction.IN,
        "+8613900139000",
        "JF",
        MessageStatus.RECEIVED,
    )
    assert inbound.handled_at is not None
    assert (reply.direction, reply.kind, reply.phone, reply.status) == (
        Direction.OUT,
        MessageKind.REPLY,
        "+8613900139000",
        MessageStatus.QUEUED,
    )
    assert reply.body == "【Shop A】You are not a member of Shop A yet. Text ZC and your name to join."
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "received; the answer is queued" in page
    conversation = page.split('id="conversation"', 1)[1]
    assert conversation.index(">JF<") < conversation.index("You are not a member")  # oldest first
    assert "Received" in conversation and "Queued" in conversation


def test_the_simulator_explains_a_bad_number_and_a_repeat(client, shop_a):
    log_in(client, "owner-a@example.com")
    response = client.post("/messages/simulator", data={"phone": "12345", "text": "JF"})
    assert response.status_code == 200 and "12345 is not a valid mobile number." in response.get_data(as_text=True)
    assert _messages(shop_a.tenant.id) == []
    client.post("/messages/simulator", data={"phone": "13900139000", "text": "JF"})
    again = client.post("/messages/simulator", data={"phone": "13900139000", "text": "JF"}, follow_redirects=True)
    assert "arrived a moment ago" in again.get_data(as_text=True)
    assert len(_messages(shop_a.tenant.id)) == 2  # one text, one reply


@pytest.fixture
def smpp_client(database_url, tmp_path, shops):
    app = make_test_app(database_url, tmp_path, MCRM_SMS_TRANSPORT="smpp")
    return app.test_client()


def test_there_is_no_simulator_when_a_real_smsc_is_used(smpp_client):
    log_in(smpp_client, "owner-a@example.com")
    assert smpp_client.get("/messages/simulator").status_code == 404
    assert smpp_client.post("/messages/simulator", data={"phone": "13900139000", "text": "JF"}).status_code == 404
    assert "Phone simulator" not in smpp_client.get("/messages/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/messages/", "/messages/shape", "/messages/simulator"])
def test_the_message_pages_are_for_shop_users(app, client, path):
    assert client.get(path).status_code == 302  # to the login page


def test_members_messages_in_the_nav(client, shop_a):
    log_in(client, "staff-a@example.com")
    assert 'href="/messages/"' in client.get("/members/").get_data(as_text=True)


def test_a_member_of_another_shop_cannot_be_texted(app, client, shop_a, shop_b):
    member_id = _add_member(app, shop_b)
    log_in(client, "owner-a@example.com")
    assert client.post(f"/members/{member_id}/sms", data={"sms-body": "hi"}).status_code == 404
    with unscoped():
        assert db.scalars(select(Message)).all() == []
        assert db.scalar(select(Member.id)) == member_id
