"""The inbox in the portal and on the WAP page, and the complaint-alert setting."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from mcrm.credits.services import spend
from mcrm.db import db
from mcrm.feedback.models import Feedback, FeedbackAnswer, FeedbackKind, FeedbackStatus
from mcrm.members.models import Source
from mcrm.members.services import create_member
from mcrm.messaging.models import Message, MessageKind
from tenants.isolation import unscoped
from tenants.models import Tenant, User
from tests.conftest import log_in

CONSUMER = "+8613800138000"


def _file(app, shop, text="The soup was cold", kind=FeedbackKind.COMPLAINT, *, member=False, hours_ago=3, **fields):
    """A piece of feedback of `shop`, received `hours_ago`."""
    with app.app_context(), unscoped():
        tenant = db.get(Tenant, shop.tenant.id)
        member_id = None
        if member:
            member_id = create_member(tenant, phone=CONSUMER, name="王芳", source=Source.PORTAL).id
        created = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
        feedback = Feedback(
            tenant_id=tenant.id, kind=kind, phone=CONSUMER, member_id=member_id, text=text, created_at=created, **fields
        )
        db.add(feedback)
        db.commit()
        return feedback.id


def _feedback(feedback_id) -> Feedback:
    with unscoped():
        db.expire_all()
        return db.get(Feedback, feedback_id)


def _answers(feedback_id) -> list[tuple[FeedbackAnswer, Message]]:
    with unscoped():
        db.expire_all()
        answers = db.scalars(select(FeedbackAnswer).where(FeedbackAnswer.feedback_id == feedback_id)).all()
        return [(a, db.get(Message, a.message_id)) for a in answers]


def _rows(page: str) -> list[str]:
    body = page.split('<table class="table" id="inbox">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)


# The list.


def test_the_inbox_lists_open_items_with_their_kind_member_and_waiting_time(app, client, shop_a, shop_b):
    complaint = _file(app, shop_a, member=True)
    _file(app, shop_a, "More vegetarian dishes", FeedbackKind.SUGGESTION, hours_ago=1)
    _file(app, shop_a, "Old news", FeedbackKind.FEEDBACK, status=FeedbackStatus.CLOSED)
    _file(app, shop_b, "Shop B secret")
    log_in(client, "owner-a@example.com")
    page = client.get("/inbox/").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 2 and "Shop B secret" not in page and "Old news" not in page
    # The one waiting longest comes first.
    assert "Complaint" in rows[0] and "The soup was cold" in rows[0] and "waiting 3 hours" in rows[0]
    assert f'href="/inbox/{complaint}"' in rows[0] and CONSUMER in rows[0]
    assert re.search(r'href="/members/\d+">王芳</a>', rows[0])
    assert "Suggestion" in rows[1] and "waiting 1 hour" in rows[1] and "/members/" not in rows[1]
    assert "Open (2)" in page and "Answered (0)" in page and "Closed (1)" in page and "All (3)" in page
    # The nav shows how many wait, on every page.
    nav = client.get("/members/").get_data(as_text=True)
    assert re.search(r'id="nav-inbox"[^>]*>Inbox <span class="tag"[^>]*>2</span>', nav)


def test_the_tabs_and_the_kind_filter(app, client, shop_a):
    now = dt.datetime.now(dt.UTC)
    _file(app, shop_a, "open complaint")
    _file(app, shop_a, "open suggestion", FeedbackKind.SUGGESTION)
    _file(
        app,
        shop_a,
        "answered one",
        FeedbackKind.FEEDBACK,
        status=FeedbackStatus.ANSWERED,
        first_answered_at=now - dt.timedelta(hours=1),
    )
    _file(app, shop_a, "closed one", status=FeedbackStatus.CLOSED, closed_at=now)
    log_in(client, "staff-a@example.com")

    def texts(query):
        return [re.search(r'title="([^"]*)"', row).group(1) for row in _rows(client.get(f"/inbox/?{query}").text)]

    assert texts("") == ["open complaint", "open suggestion"]
    assert texts("status=answered") == ["answered one"]
    assert texts("status=closed") == ["closed one"]
    assert texts("status=all") == ["closed one", "answered one", "open suggestion", "open complaint"]
    assert texts("status=open&kind=suggestion") == ["open suggestion"]
    assert texts("status=all&kind=complaint") == ["closed one", "open complaint"]
    assert texts("status=nonsense&kind=nonsense") == ["open complaint", "open suggestion"]
    answered = client.get("/inbox/?status=answered").text
    assert "answered after 2 hours" in answered
    assert "Last 30 days: 1 first answer, after 2 hours (median), 2 hours on average." in answered


def test_an_empty_inbox_says_so(client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.get("/inbox/").text
    assert "Nothing waiting." in page and "Nothing answered in the last 30 days." in page
    assert re.search(r'id="nav-inbox"[^>]*>Inbox</a>', page)


# The thread: answer, close, reopen.


def test_answering_from_the_portal_texts_the_consumer_and_marks_it_answered(app, client, shop_a):
    feedback_id = _file(app, shop_a, member=True)
    log_in(client, "staff-a@example.com")
    thread = client.get(f"/inbox/{feedback_id}").text
    assert "The soup was cold" in thread and "waiting 3 hours" in thread and "王芳" in thread
    # The live counter of the member page, starting with what the signature alone costs.
    assert 'data-counter-for="sms-body"' in thread and "sms-counter.js" in thread
    assert "8 characters · UCS-2 · 1 part · 1 credit" in thread

    response = client.post(f"/inbox/{feedback_id}/answer", data={"sms-body": "Sorry! Soup on us next time."})
    assert response.headers["Location"] == f"/inbox/{feedback_id}"
    [(answer, message)] = _answers(feedback_id)
    assert (message.phone, message.kind, message.body) == (
        CONSUMER,
        MessageKind.TRANSACTIONAL,
        "【Shop A】Sorry! Soup on us next time.",
    )
    assert answer.user_id == shop_a.staff.id
    first = _feedback(feedback_id)
    assert first.status == FeedbackStatus.ANSWERED and first.first_answered_at is not None
    thread = client.get(f"/inbox/{feedback_id}").text
    assert "Answer queued: 1 credit used." in thread and "Sorry! Soup on us next time." in thread
    assert "Staff a" in thread and "Queued" in thread and "Answered" in thread

    # A second answer does not move the first-answer time.
    client.post(f"/inbox/{feedback_id}/answer", data={"sms-body": "And a dessert."})
    assert len(_answers(feedback_id)) == 2
    assert _feedback(feedback_id).first_answered_at == first.first_answered_at


@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_answer_is_refused_with_a_message(app, client, shop_a, body):
    feedback_id = _file(app, shop_a)
    log_in(client, "owner-a@example.com")
    page = client.post(f"/inbox/{feedback_id}/answer", data={"sms-body": body})
    assert page.status_code == 200 and "Write an answer first." in page.text
    assert _answers(feedback_id) == [] and _feedback(feedback_id).status == FeedbackStatus.OPEN


def test_an_answer_without_credit_is_refused_with_a_message(app, client, shop_a):
    feedback_id = _file(app, shop_a)
    with app.app_context(), unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        spend(tenant, tenant.sms_credit)
        db.commit()
    log_in(client, "owner-a@example.com")
    page = client.post(f"/inbox/{feedback_id}/answer", data={"sms-body": "Sorry!"})
    assert page.status_code == 200 and "The answer was not sent. Not enough SMS credit" in page.text
    assert "Sorry!</textarea>" in page.text  # kept, to send again once credit is topped up
    assert _answers(feedback_id) == [] and _feedback(feedback_id).status == FeedbackStatus.OPEN


def test_close_and_reopen(app, client, shop_a):
    feedback_id = _file(app, shop_a)
    log_in(client, "staff-a@example.com")
    assert client.post(f"/inbox/{feedback_id}/close").headers["Location"] == "/inbox/"
    closed = _feedback(feedback_id)
    assert closed.status == FeedbackStatus.CLOSED and closed.closed_at is not None
    thread = client.get(f"/inbox/{feedback_id}").text
    assert 'id="answer"' not in thread and "Reopen it to answer." in thread
    assert client.post(f"/inbox/{feedback_id}/answer", data={"sms-body": "late"}).status_code == 200
    assert _answers(feedback_id) == []
    assert client.post(f"/inbox/{feedback_id}/reopen").headers["Location"] == f"/inbox/{feedback_id}"
    reopened = _feedback(feedback_id)
    assert (reopened.status, reopened.closed_at) == (FeedbackStatus.OPEN, None)


def test_the_inbox_needs_a_shop_user(client, app, shop_a):
    feedback_id = _file(app, shop_a)
    assert client.get("/inbox/").headers["Location"].startswith("/login")
    assert client.post(f"/inbox/{feedback_id}/close").status_code == 302
    assert _feedback(feedback_id).status == FeedbackStatus.OPEN


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/inbox/{id}"),
        ("post", "/inbox/{id}/answer"),
        ("post", "/inbox/{id}/close"),
        ("post", "/inbox/{id}/reopen"),
        ("get", "/m/inbox/{id}"),
        ("post", "/m/inbox/{id}"),
    ],
)
def test_another_shops_feedback_answers_404(app, client, shop_a, shop_b, method, path):
    feedback_id = _file(app, shop_a)
    log_in(client, "owner-b@example.com")
    response = getattr(client, method)(path.format(id=feedback_id), data={"sms-body": "x", "action": "close"})
    assert response.status_code == 404
    assert _answers(feedback_id) == [] and _feedback(feedback_id).status == FeedbackStatus.OPEN
    assert "The soup was cold" not in client.get("/inbox/?status=all").text


# The WAP page.


def test_wap_lists_open_items_and_answers_and_closes_one(app, client, shop_a):
    feedback_id = _file(app, shop_a, member=True)
    _file(app, shop_a, "Old news", FeedbackKind.FEEDBACK, status=FeedbackStatus.CLOSED)
    log_in(client, "staff-a@example.com", path="/m/login")
    home = client.get("/m/").text
    assert 'href="/m/inbox">Inbox (1)</a>' in home
    listing = client.get("/m/inbox").text
    assert "<script" not in listing and len(listing.encode()) < 15 * 1024
    assert f'href="/m/inbox/{feedback_id}">Complaint: The soup was cold</a>' in listing and "Old news" not in listing
    assert "waiting 3 hours" in listing and "王芳" in listing
    assert 'href="/m/inbox?status=closed">Closed (1)</a>' in listing
    assert "Old news" in client.get("/m/inbox?status=closed").text

    thread = client.get(f"/m/inbox/{feedback_id}").text
    assert "<script" not in thread and "The soup was cold" in thread
    refused = client.post(f"/m/inbox/{feedback_id}", data={"action": "answer", "body": " "})
    assert "Write an answer first." in refused.text and _answers(feedback_id) == []
    response = client.post(f"/m/inbox/{feedback_id}", data={"action": "answer", "body": "Sorry!"})
    assert response.headers["Location"] == f"/m/inbox/{feedback_id}"
    [(answer, message)] = _answers(feedback_id)
    assert (answer.user_id, message.phone, message.body) == (shop_a.staff.id, CONSUMER, "【Shop A】Sorry!")
    assert _feedback(feedback_id).status == FeedbackStatus.ANSWERED
    thread = client.get(f"/m/inbox/{feedback_id}").text
    assert "Answer queued." in thread and "Sorry!" in thread and "Queued" in thread

    assert client.post(f"/m/inbox/{feedback_id}", data={"action": "close"}).headers["Location"] == "/m/inbox"
    assert _feedback(feedback_id).status == FeedbackStatus.CLOSED
    assert "Nothing waiting." in client.get("/m/inbox").text
    client.post(f"/m/inbox/{feedback_id}", data={"action": "reopen"})
    assert _feedback(feedback_id).status == FeedbackStatus.ANSWERED


def test_wap_inbox_redirects_to_the_wap_login(client):
    assert client.get("/m/inbox").headers["Location"].startswith("/m/login")


# The setting.


def test_the_owner_turns_complaint_alerts_off_and_on(app, client, shop_a):
    form = {
        "name": "Shop A",
        "signature": "【Shop A】",
        "timezone": "Asia/Shanghai",
        "locale": "en",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "opt_out_line": "",
        "marketing_daily_cap": "1",
        "rfm_window_days": "365",
    }
    log_in(client, "owner-a@example.com")
    page = client.get("/settings/").text
    assert 'name="complaint_alerts" type="checkbox" value="y" checked' in page or re.search(
        r'<input checked[^>]*name="complaint_alerts"', page
    )
    assert "nobody would be texted" in page

    def alerts():
        with unscoped():
            db.expire_all()
            return db.get(Tenant, shop_a.tenant.id).complaint_alerts

    client.post("/settings/", data=form)
    assert alerts() is False
    client.post("/settings/", data={**form, "complaint_alerts": "y"})
    assert alerts() is True
    with app.app_context(), unscoped():
        db.get(User, shop_a.owner.id).phone = "+8613900139001"
        db.commit()
    assert "Alerts go to +8613900139001." in client.get("/settings/").text
