"""The promotion pages: compose with a preview, clear refusals, scheduling in the shop's time zone, the
progress the page polls, edit and cancel until a run starts, permissions and isolation.

The views' clock is pinned to NOW (10:00 in Shanghai, outside quiet hours); runs start through the real
scheduler tick, called directly."""

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Message, MessageStatus
from mcrm.promotions import views
from mcrm.promotions.models import Promotion, PromotionStatus, Repeat
from mcrm.promotions.services import Plan, PromotionError, update_promotion
from mcrm.promotions.ticks import run_due_promotions
from mcrm.segments.models import Segment
from sms_gateway.encoding import sms_shape
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in
from tests.promotions.delivery import EVERYONE, add_member

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
BODY = "Hi {name}, a second coffee is half price at {shop} this week."


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setattr(views, "utcnow", lambda: NOW)


@pytest.fixture
def audience(app, shop_a):
    """Shop A: three members (one opted out) and a segment of everyone; the segment's id."""
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        add_member(tenant, "+8613800138001", "王芳")
        add_member(tenant, "+8613800138002", "Li Lei", points_balance=120)
        add_member(tenant, "+8613800138003", "Gone", opted_out_at=NOW - dt.timedelta(days=1))
        segment = Segment(tenant_id=tenant.id, name="Everyone", definition=EVERYONE)
        db.add(segment)
        db.commit()
        return segment.id


def _form(segment: int, **changes) -> dict:
    data = {
        "name": "Coffee week",
        "segment_id": segment,
        "body": BODY,
        "attribution_days": 7,
        "coupon_valid_days": 30,
        "holdout_percent": 10,
        "when": "now",
        "send_at": "",
        "save": "1",
    }
    data.update(changes)
    return data


def _promotions(app, shop) -> list[Promotion]:
    with app.app_context(), unscoped():
        return db.scalars(select(Promotion).where(Promotion.tenant_id == shop.tenant.id).order_by(Promotion.id)).all()


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"#{element_id} is not on the page"
    return match.group(1).strip()


def _set_credit(app, shop, credits: int) -> None:
    with app.app_context(), unscoped():
        db.execute(update(Tenant).where(Tenant.id == shop.tenant.id).values(sms_credit=credits))
        db.commit()


def test_preview_shows_the_message_as_sent_and_its_cost(client, app, shop_a, audience):
    log_in(client, "owner-a@example.com")
    response = client.post("/promotions/new", data=_form(audience, save="", preview="Preview"))
    assert response.status_code == 200
    html = response.text
    # The first member of the audience, with the signature and the opt-out line as they are sent.
    text = "【Shop A】Hi 王芳, a second coffee is half price at Shop A this week. Reply STOP to opt out"
    assert _text(html, "preview-text") == text
    shape = sms_shape(text)
    assert _text(html, "preview-encoding") == "UCS-2"
    assert _text(html, "preview-parts") == str(shape.count)
    # Two recipients: the opted-out member is never counted. Li Lei's text is the same length.
    assert _text(html, "preview-recipients") == "2"
    li_lei = sms_shape(text.replace("王芳", "Li Lei")).count
    assert _text(html, "preview-credits") == str(shape.count + li_lei)
    with app.app_context(), unscoped():
        credit = db.get(Tenant, shop_a.tenant.id).sms_credit
    assert _text(html, "preview-credit-left") == str(credit - shape.count - li_lei)
    assert _promotions(app, shop_a) == []  # a preview saves nothing

    # A typed phone previews that member; a coupon shows an example code and says so.
    response = client.post(
        "/promotions/new",
        data=_form(
            audience,
            save="",
            preview="Preview",
            sample_phone="138 0013 8002",
            body="{name}: {points} points. Show {coupon}",
            coupon_enabled="y",
            coupon_offer="10% off a coffee",
        ),
    )
    assert _text(response.text, "preview-text") == "【Shop A】Li Lei: 120 points. Show KPW482931 Reply STOP to opt out"
    assert "KPW482931 is an example" in response.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": "Hi {nmae}!"}, "{nmae} is not a placeholder here. Use {name}, {points}, {shop}, {coupon}."),
        (
            {"coupon_enabled": "y", "coupon_offer": "10% off"},
            "With a coupon, the message must contain {coupon}: that is where the code goes.",
        ),
        ({"when": "at", "send_at": "2026-11-24T09:59"}, "Choose a time in the future"),
        ({"segment_id": ""}, "Choose a segment."),
        ({"when": "at", "send_at": ""}, "Choose the date and time."),
    ],
)
def test_refusals_are_clear_and_nothing_is_scheduled(client, app, shop_a, audience, changes, message):
    log_in(client, "owner-a@example.com")
    response = client.post("/promotions/new", data=_form(audience, **changes))
    assert response.status_code == 200
    assert message in response.text
    assert _promotions(app, shop_a) == []


def test_short_credit_is_refused_before_anything_is_queued(client, app, shop_a, audience):
    _set_credit(app, shop_a, 1)
    log_in(client, "owner-a@example.com")
    response = client.post("/promotions/new", data=_form(audience, body="Hi {name}!"))  # one part each
    assert (
        "Not enough SMS credit: this promotion needs 2 credits and the shop has 1. Top up or narrow the audience."
        in response.text
    )
    assert 'id="promotion-preview"' in response.text  # the figures behind the refusal
    assert _promotions(app, shop_a) == []


def test_schedule_in_the_shops_time_zone(client, app, shop_a, audience):
    log_in(client, "owner-a@example.com")
    response = client.post("/promotions/new", data=_form(audience, when="at", send_at="2026-12-05T10:00"))
    assert response.status_code == 302
    (promotion,) = _promotions(app, shop_a)
    assert response.location == f"/promotions/{promotion.id}"
    assert promotion.status == PromotionStatus.SCHEDULED
    assert promotion.next_run_at == promotion.send_at == dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)
    assert promotion.repeat == Repeat.NONE
    assert promotion.definition == EVERYONE and promotion.segment_id == audience
    assert promotion.created_by_id == shop_a.owner.id
    assert promotion.holdout_percent == 0 and promotion.attribution_days == 7

    page = client.get(response.location).text
    assert "is scheduled for" in page and "Asia/Shanghai" in page
    assert "12/5/26, 10:00" in _text(page, "promotion-next-run")
    assert "Every member who has not opted out" in page
    # The progress bar waits for the run, and the page will ask again shortly before it starts.
    assert re.search(r'id="promotion-progress"[^>]*hidden', page, re.S)
    progress = client.get(f"/promotions/{promotion.id}/progress").json
    assert progress["run"] is None and progress["status_label"] == "Scheduled"
    assert progress["poll_in"] == 3600  # eleven days off: ask again in an hour

    # A weekly repeat until a day, and a hold-out.
    response = client.post(
        "/promotions/new",
        data=_form(
            audience,
            name="Mondays",
            when="weekly",
            send_at="2026-11-30T09:30",
            repeat_until="2026-12-28",
            holdout_enabled="y",
            holdout_percent="20",
        ),
    )
    assert response.status_code == 302
    weekly = _promotions(app, shop_a)[1]
    assert weekly.repeat == Repeat.WEEKLY and weekly.holdout_percent == 20
    assert weekly.next_run_at == dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)
    assert weekly.repeat_until == dt.datetime(2026, 12, 28, 15, 59, 59, tzinfo=dt.UTC)


def test_send_now_and_watch_the_progress(client, app, shop_a, audience):
    log_in(client, "owner-a@example.com")
    response = client.post("/promotions/new", data=_form(audience))
    (promotion,) = _promotions(app, shop_a)
    assert promotion.status == PromotionStatus.SCHEDULED and promotion.next_run_at == NOW
    assert "goes out within a minute" in client.get(response.location).text
    url = f"/promotions/{promotion.id}/progress"
    assert client.get(url).json["poll_in"] == 2  # due now: the page watches for the run

    with app.app_context():
        assert run_due_promotions(NOW + dt.timedelta(seconds=15)) == 1
    progress = client.get(url).json
    assert progress["counts"] == {"queued": 2, "sent": 0, "delivered": 0, "failed": 0, "suppressed": 0}
    assert progress["total"] == 2 and not progress["done"] and progress["poll_in"] == 2
    assert progress["status_label"] == "Sending"

    with app.app_context(), unscoped():
        ids = db.scalars(select(Message.id).where(Message.tenant_id == shop_a.tenant.id).order_by(Message.id)).all()
        db.execute(update(Message).where(Message.id == ids[0]).values(status=MessageStatus.DELIVERED, sent_at=NOW))
        db.execute(update(Message).where(Message.id == ids[1]).values(status=MessageStatus.SENT, sent_at=NOW))
        db.commit()
    progress = client.get(url).json
    assert progress["counts"] == {"queued": 0, "sent": 1, "delivered": 1, "failed": 0, "suppressed": 0}
    page = client.get(f"/promotions/{promotion.id}").text
    assert _text(page, "progress-delivered") == "1" and _text(page, "progress-sent") == "1"
    assert _text(page, "progress-queued") == "0" and _text(page, "progress-failed") == "0"

    with app.app_context(), unscoped():
        db.execute(update(Message).where(Message.id == ids[1]).values(status=MessageStatus.UNDELIVERED))
        db.commit()
        run_due_promotions(NOW + dt.timedelta(seconds=30))  # the tick marks the promotion sent
    progress = client.get(url).json
    assert progress["counts"]["failed"] == 1 and progress["done"] and progress["poll_in"] is None
    assert progress["status_label"] == "Sent"

    index = client.get("/promotions/").text
    row = re.search(rf'data-promotion="{promotion.id}">(.*?)</tr>', index, re.S).group(1)
    assert "Coffee week" in row and "Sent" in row and "Everyone" in row
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "1"]  # sent (delivered or not), delivered


def test_edit_and_cancel_until_it_starts(client, app, shop_a, audience):
    log_in(client, "owner-a@example.com")
    client.post("/promotions/new", data=_form(audience, when="at", send_at="2026-12-05T10:00"))
    (promotion,) = _promotions(app, shop_a)
    edit = f"/promotions/{promotion.id}/edit"
    form = client.get(edit).text
    assert 'value="2026-12-05T10:00"' in form and "Coffee week" in form

    response = client.post(edit, data=_form(audience, name="Tea week", when="at", send_at="2026-12-06T15:30"))
    assert response.status_code == 302
    (promotion,) = _promotions(app, shop_a)
    assert promotion.name == "Tea week"
    assert promotion.next_run_at == dt.datetime(2026, 12, 6, 7, 30, tzinfo=dt.UTC)

    response = client.post(f"/promotions/{promotion.id}/cancel", follow_redirects=True)
    assert "is cancelled: nothing more will be sent" in response.text
    (promotion,) = _promotions(app, shop_a)
    assert promotion.status == PromotionStatus.CANCELLED and promotion.next_run_at is None
    assert "Cancelled" in client.get("/promotions/").text  # still listed
    with app.app_context():
        assert run_due_promotions(dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)) == 0


def test_no_change_once_a_run_started(client, app, shop_a, audience):
    log_in(client, "owner-a@example.com")
    client.post("/promotions/new", data=_form(audience))
    (promotion,) = _promotions(app, shop_a)
    with app.app_context():
        run_due_promotions(NOW)
    page = client.get(f"/promotions/{promotion.id}").text
    assert 'id="edit"' not in page and 'id="cancel"' not in page

    response = client.get(f"/promotions/{promotion.id}/edit", follow_redirects=True)
    assert "already started" in response.text
    response = client.post(f"/promotions/{promotion.id}/edit", data=_form(audience, name="Changed"))
    assert response.status_code == 302
    response = client.post(f"/promotions/{promotion.id}/cancel", follow_redirects=True)
    assert "already started" in response.text
    (after,) = _promotions(app, shop_a)
    assert after.name == "Coffee week" and after.status == PromotionStatus.SENDING

    # The service refuses too, whatever the page shows.
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        with pytest.raises(PromotionError, match="already started"):
            update_promotion(tenant, db.get(Promotion, promotion.id), Plan("X", audience, "Hi"), NOW)


def test_empty_list_explains_and_leads_to_segments(client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.get("/promotions/").text
    assert "A promotion is a text message to a segment of your members" in page
    assert 'href="/segments/new"' in page
    assert 'id="no-segments"' in client.get("/promotions/new").text


def test_segment_preselected(client, shop_a, audience):
    log_in(client, "owner-a@example.com")
    page = client.get(f"/promotions/new?segment={audience}").text
    assert f'<option value="{audience}" selected>Everyone</option>' in page


def test_staff_are_refused(client, app, shop_a, audience):
    with app.app_context(), unscoped():
        promotion = Promotion(tenant_id=shop_a.tenant.id, name="P", body="Hi", definition=EVERYONE)
        db.add(promotion)
        db.commit()
        promotion_id = promotion.id
    log_in(client, "staff-a@example.com")
    for path in ("/promotions/", "/promotions/new", f"/promotions/{promotion_id}", f"/promotions/{promotion_id}/edit"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/promotions/{promotion_id}/progress").status_code == 403
    assert client.post(f"/promotions/{promotion_id}/cancel").status_code == 403
    assert client.post("/promotions/new", data=_form(audience)).status_code == 403
    assert len(_promotions(app, shop_a)) == 1


def test_another_shops_promotion_is_not_found(client, app, shop_a, shop_b):
    with app.app_context(), unscoped():
        promotion = Promotion(
            tenant_id=shop_b.tenant.id,
            name="B's",
            body="Hi",
            definition=EVERYONE,
            status=PromotionStatus.SCHEDULED,
            next_run_at=NOW + dt.timedelta(days=1),
        )
        db.add(promotion)
        db.commit()
        promotion_id = promotion.id
    log_in(client, "owner-a@example.com")
    for path in ("", "/edit", "/progress"):
        assert client.get(f"/promotions/{promotion_id}{path}").status_code == 404, path
    assert client.post(f"/promotions/{promotion_id}/edit", data={"name": "x"}).status_code == 404
    assert client.post(f"/promotions/{promotion_id}/cancel").status_code == 404
    (untouched,) = _promotions(app, shop_b)
    assert untouched.status == PromotionStatus.SCHEDULED and untouched.name == "B's"
    assert "B&#39;s" not in client.get("/promotions/").text


def test_another_shops_segment_cannot_be_used(client, app, shop_a, shop_b):
    with app.app_context(), unscoped():
        segment = Segment(tenant_id=shop_b.tenant.id, name="B segment", definition=EVERYONE)
        db.add(segment)
        db.commit()
        segment_id = segment.id
    log_in(client, "owner-a@example.com")
    response = client.post("/promotions/new", data=_form(segment_id))
    assert "Choose a segment." in response.text
    assert _promotions(app, shop_a) == []
    with app.app_context(), unscoped():
        assert db.scalar(select(Member.id).where(Member.tenant_id == shop_a.tenant.id)) is None
