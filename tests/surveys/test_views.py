"""The survey pages: the builder (without JavaScript), its refusals, open and close, sending to a segment,
the results, the CSV, the WAP summary, who may see them, and another shop's surveys."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from mcrm.db import db
from mcrm.promotions.models import Promotion, PromotionStatus
from mcrm.segments.models import Segment
from mcrm.surveys import views
from mcrm.surveys.models import QuestionKind, Survey, SurveyStatus
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in
from tests.promotions.delivery import EVERYONE, MORNING, add_member
from tests.surveys.test_results import build_answered, make_survey, respond

pytestmark = pytest.mark.usefixtures("pinned_clock")


@pytest.fixture
def pinned_clock(monkeypatch):
    monkeypatch.setattr(views, "utcnow", lambda: MORNING)


@pytest.fixture
def answered(app, shop_a, shop_b) -> int:
    """Shop A's survey with five responses (tests/surveys/test_results.py works out their figures)."""
    return build_answered(app, shop_a, shop_b)


def _form(**changes) -> dict:
    data = {
        "name": "How was your meal?",
        "keyword": "dc",
        "intro": "谢谢光临！",
        "questions-0-prompt": "今天吃了什么？",
        "questions-0-kind": "single",
        "questions-0-options": "面条\r\n饺子\r\n\r\n米饭",
        "questions-1-prompt": "How likely are you to recommend us?",
        "questions-1-kind": "rating10",
        "questions-1-options": "",
        "questions-2-prompt": "",
        "questions-2-kind": "single",
        "thank_you": "Thank you!",
        "reward_points": "20",
        "expire_hours": "48",
    }
    data.update(changes)
    return data


def _surveys(app, shop) -> list[Survey]:
    with app.app_context(), unscoped():
        surveys = db.scalars(select(Survey).where(Survey.tenant_id == shop.tenant.id).order_by(Survey.id)).all()
        for survey in surveys:
            survey.questions  # noqa: B018 (loaded while the session is open)
        return surveys


def _survey(app, shop, **fields) -> int:
    with app.app_context(), scoped_to(shop.tenant.id):
        survey = make_survey(db.get(Tenant, shop.tenant.id), **fields)
        db.commit()
        return survey.id


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"#{element_id} is not on the page"
    return match.group(1).strip()


def test_the_builder_saves_a_survey_with_its_questions(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.get("/surveys/new").text
    for element in ('id="name"', 'id="keyword"', 'id="intro"', 'id="questions-4-prompt"', 'id="save-survey"'):
        assert element in page
    assert "Rating 0–10 (NPS)" in page
    response = client.post("/surveys/new", data=_form())
    assert response.status_code == 302
    (survey,) = _surveys(app, shop_a)
    assert response.headers["Location"] == f"/surveys/{survey.id}/edit"
    assert (survey.name, survey.keyword, survey.intro, survey.status) == (
        "How was your meal?",
        "dc",
        "谢谢光临！",
        SurveyStatus.DRAFT,
    )
    assert (survey.thank_you, survey.reward_points, survey.expire_hours) == ("Thank you!", 20, 48)
    assert [(q.position, q.prompt, q.kind, q.options) for q in survey.questions] == [
        (1, "今天吃了什么？", QuestionKind.SINGLE, ["面条", "饺子", "米饭"]),
        (2, "How likely are you to recommend us?", QuestionKind.RATING10, []),
    ]
    page = client.get(f"/surveys/{survey.id}/edit").text
    assert 'value="DC"' in page and "饺子" in page and 'id="open-survey"' in page

    # Edited: a question added, the first one's options changed.
    client.post(
        f"/surveys/{survey.id}/edit",
        data=_form(
            **{"questions-0-options": "面条\n饺子", "questions-2-prompt": "Anything else?", "questions-2-kind": "text"}
        ),
    )
    (survey,) = _surveys(app, shop_a)
    assert [(q.prompt, q.options) for q in survey.questions] == [
        ("今天吃了什么？", ["面条", "饺子"]),
        ("How likely are you to recommend us?", []),
        ("Anything else?", []),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"keyword": "td"}, "TD is a system keyword."),
        ({"keyword": "two words"}, "A keyword is one word, without spaces."),
        ({"questions-0-options": "面条"}, "Question 1 needs between 2 and 9 options, one per line."),
        ({"questions-0-options": "\n".join(str(n) for n in range(10))}, "Question 1 needs between 2 and 9 options"),
        ({"reward_points": "10001"}, "Number must be between 0 and 10000."),
        ({"expire_hours": "0"}, "Number must be between 1 and 168."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_the_builder_refuses_what_cannot_work(client, app, shop_a, changes, message):
    log_in(client, "owner-a@example.com")
    response = client.post("/surveys/new", data=_form(**changes))
    assert response.status_code == 200
    assert message in response.text
    assert _surveys(app, shop_a) == []


def test_a_keyword_is_unique_among_the_shops_surveys_only(client, app, shop_a, shop_b):
    _survey(app, shop_a, keyword="dc")
    _survey(app, shop_b, keyword="pj")
    log_in(client, "owner-a@example.com")
    response = client.post("/surveys/new", data=_form(keyword="DC"))
    assert "DC is already used by the survey How was your meal?." in response.text
    assert client.post("/surveys/new", data=_form(keyword="pj")).status_code == 302


def test_answered_questions_cannot_change_but_the_texts_can(client, app, shop_a):
    survey_id = _survey(app, shop_a)
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        member = add_member(tenant, "+8613800138001", "王芳")
        respond(tenant, db.get(Survey, survey_id), member, {1: [0]})
        db.commit()
    log_in(client, "owner-a@example.com")
    page = client.get(f"/surveys/{survey_id}/edit").text
    assert "People have already answered this survey, so its questions cannot change" in page
    assert 'id="questions-0-prompt"' not in page
    # A post that changes them anyway is refused, with the reason.
    response = client.post(f"/surveys/{survey_id}/edit", data=_form())
    assert "People have already answered this survey, so its questions cannot change" in response.text
    assert len(_surveys(app, shop_a)[0].questions) == 7
    # The page's own post (no question rows) saves the texts.
    texts = {k: v for k, v in _form(name="Dinner survey").items() if not k.startswith("questions-")}
    assert client.post(f"/surveys/{survey_id}/edit", data=texts).status_code == 302
    (survey,) = _surveys(app, shop_a)
    assert (survey.name, len(survey.questions)) == ("Dinner survey", 7)


def test_open_and_close(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    client.post(
        "/surveys/new", data=_form(**{"questions-0-prompt": "", "questions-0-options": "", "questions-1-prompt": ""})
    )
    (survey,) = _surveys(app, shop_a)
    response = client.post(f"/surveys/{survey.id}/open", follow_redirects=True)
    assert "Add at least one question before opening the survey." in response.text
    assert _surveys(app, shop_a)[0].status == SurveyStatus.DRAFT
    client.post(f"/surveys/{survey.id}/edit", data=_form())
    response = client.post(f"/surveys/{survey.id}/open", follow_redirects=True)
    assert "is open: send it to a segment" in response.text
    assert _surveys(app, shop_a)[0].status == SurveyStatus.OPEN
    assert 'id="close-survey"' in response.text
    client.post(f"/surveys/{survey.id}/close")
    assert _surveys(app, shop_a)[0].status == SurveyStatus.CLOSED
    listing = client.get("/surveys/").text
    assert "How was your meal?" in listing and "Closed" in listing
    # Nobody has answered yet: the results say so rather than fail.
    page = client.get(f"/surveys/{survey.id}/results").text
    assert _text(page, "response-rate") == "0%"
    assert 'id="nps"' not in page


@pytest.fixture
def segment(app, shop_a):
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        add_member(tenant, "+8613800138001", "王芳")
        add_member(tenant, "+8613800138002", "Li Lei")
        segment = Segment(tenant_id=tenant.id, name="Everyone", definition=EVERYONE)
        db.add(segment)
        db.commit()
        return segment.id


def test_sending_previews_the_first_sms_then_schedules_a_promotion(client, app, shop_a, segment):
    survey_id = _survey(app, shop_a, intro="谢谢光临！")
    log_in(client, "owner-a@example.com")
    page = client.post(f"/surveys/{survey_id}/send", data={"segment_id": segment, "when": "now", "preview": "1"}).text
    assert 'id="segment_id"' in page and 'id="send-survey"' in page
    first = _text(page, "preview-text")
    assert "谢谢光临！" in first and "今天吃了什么？" in first and "面条" in first
    assert _text(page, "preview-recipients") == "2"
    with app.app_context(), unscoped():
        assert db.scalar(select(Promotion.id).where(Promotion.tenant_id == shop_a.tenant.id)) is None

    response = client.post(f"/surveys/{survey_id}/send", data={"segment_id": segment, "when": "now", "send": "1"})
    with app.app_context(), unscoped():
        promotion = db.scalar(select(Promotion).where(Promotion.tenant_id == shop_a.tenant.id))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/promotions/{promotion.id}"
    assert (promotion.survey_id, promotion.segment_id, promotion.status) == (
        survey_id,
        segment,
        PromotionStatus.SCHEDULED,
    )


def test_short_credit_or_a_past_time_is_refused_with_the_reason(client, app, shop_a, segment):
    survey_id = _survey(app, shop_a)
    log_in(client, "owner-a@example.com")
    past = {"segment_id": segment, "when": "at", "send_at": "2026-11-23T10:00", "send": "1"}
    response = client.post(f"/surveys/{survey_id}/send", data=past)
    assert "Choose a time in the future" in response.text
    with app.app_context(), unscoped():
        db.execute(update(Tenant).where(Tenant.id == shop_a.tenant.id).values(sms_credit=0))
        db.commit()
    response = client.post(f"/surveys/{survey_id}/send", data={"segment_id": segment, "when": "now", "send": "1"})
    assert "Not enough SMS credit" in response.text
    later = {"segment_id": segment, "when": "at", "send_at": "2026-11-25T12:00", "send": "1"}
    assert "Not enough SMS credit" in client.post(f"/surveys/{survey_id}/send", data=later).text
    with app.app_context(), unscoped():
        assert db.scalar(select(Promotion.id).where(Promotion.tenant_id == shop_a.tenant.id)) is None


def test_a_draft_survey_is_not_sent(client, app, shop_a, segment):
    survey_id = _survey(app, shop_a, status=SurveyStatus.DRAFT)
    log_in(client, "owner-a@example.com")
    response = client.post(f"/surveys/{survey_id}/send", data={"segment_id": segment, "when": "now", "send": "1"})
    assert response.status_code == 200
    assert "Open the survey before sending it" in response.text
    with app.app_context(), unscoped():
        assert db.scalar(select(Promotion.id).where(Promotion.tenant_id == shop_a.tenant.id)) is None


def test_the_results_page_shows_rates_charts_and_the_nps(client, app, shop_a, answered):
    log_in(client, "owner-a@example.com")
    page = client.get(f"/surveys/{answered}/results").text
    assert 'id="survey-results"' in page
    assert _text(page, "response-rate") == "80%"
    assert _text(page, "completion-rate") == "50%"
    assert _text(page, "nps") == "25"
    assert page.count('class="card question-result"') == 7
    assert page.count("<svg") == 5  # the choice, yes/no and rating questions
    assert "很好吃" in page and "Li Lei" in page
    with app.app_context(), scoped_to(shop_a.tenant.id):
        rich = Segment(
            tenant_id=shop_a.tenant.id,
            name="Rich",
            definition={
                "match": "all",
                "groups": [{"match": "all", "conditions": [{"field": "points", "op": "gte", "value": 100}]}],
            },
        )
        db.add(rich)
        db.commit()
        rich_id = rich.id
    page = client.get(f"/surveys/{answered}/results?segment={rich_id}").text
    assert _text(page, "response-rate") == "100%"
    assert _text(page, "nps") == "100"
    assert "很好吃" in page and "Anything else" in page


def test_the_csv_export(client, app, shop_a, answered):
    log_in(client, "owner-a@example.com")
    response = client.get(f"/surveys/{answered}/answers.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"survey-{answered}-" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert "今天吃了什么？" in text and "王芳" in text and "'=SUM(A1:A9)" in text


def test_the_wap_summary_for_staff(client, app, shop_a, answered):
    _survey(app, shop_a, name="Closed one", status=SurveyStatus.CLOSED)
    log_in(client, "staff-a@example.com", path="/m/login")
    assert "Survey results" in client.get("/m/").text
    page = client.get("/m/surveys").text
    assert "How was your meal?" in page and "Closed one" not in page
    assert "Answered: 4 of 5 (80%)" in page
    assert "Answered every question: 50%" in page
    assert "面条 50%" in page
    assert "NPS 25" in page
    assert "average 4.5" in page


def test_staff_cannot_open_the_owner_pages(client, app, shop_a):
    survey_id = _survey(app, shop_a)
    log_in(client, "staff-a@example.com")
    for path in ("/surveys/", "/surveys/new", f"/surveys/{survey_id}/edit", f"/surveys/{survey_id}/send"):
        assert client.get(path).status_code == 403, path
    for path in (f"/surveys/{survey_id}/results", f"/surveys/{survey_id}/answers.csv"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/surveys/{survey_id}/close").status_code == 403
    assert _surveys(app, shop_a)[0].status == SurveyStatus.OPEN


def test_another_shops_survey_is_not_found(client, app, shop_a, shop_b):
    survey_id = _survey(app, shop_b, name="Shop B survey")
    log_in(client, "owner-a@example.com")
    for path in ("edit", "send", "results", "answers.csv"):
        assert client.get(f"/surveys/{survey_id}/{path}").status_code == 404, path
    for path in ("edit", "open", "close", "send"):
        assert client.post(f"/surveys/{survey_id}/{path}", data=_form()).status_code == 404, path
    assert "Shop B survey" not in client.get("/surveys/").text
    assert _surveys(app, shop_b)[0].status == SurveyStatus.OPEN


def test_a_coupon_offer_goes_with_coupon_in_the_thanks(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    refused = {
        "Put {coupon} in the message where the code should go.": {"coupon_offer": "A free dessert"},
        "{coupon} needs a coupon offer": {"thank_you": "Thank you! Your code: {coupon}"},
    }
    for message, changes in refused.items():
        response = client.post("/surveys/new", data=_form(**changes))
        assert response.status_code == 200
        assert message in response.text
    assert _surveys(app, shop_a) == []

    changes = {"thank_you": "Thank you! Show {coupon} for your gift.", "coupon_offer": "A free dessert"}
    response = client.post("/surveys/new", data=_form(coupon_valid_days="14", **changes))
    assert response.status_code == 302
    (survey,) = _surveys(app, shop_a)
    assert (survey.thank_you, survey.coupon_offer, survey.coupon_valid_days) == (
        "Thank you! Show {coupon} for your gift.",
        "A free dessert",
        14,
    )
    page = client.get(f"/surveys/{survey.id}/edit").text
    assert 'value="A free dessert"' in page and 'value="14"' in page
