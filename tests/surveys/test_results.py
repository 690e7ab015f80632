"""A survey's results from hand-built responses: rates, counts per option, averages, the NPS, the latest
free-text answers, the segment filter, and the CSV of every answer."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask_babel import force_locale

from mcrm.db import db
from mcrm.promotions.models import PromotionRun
from mcrm.surveys.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyStatus
from mcrm.surveys.results import answers_csv, mask_phone, nps, survey_results
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.promotions.delivery import MORNING, add_member, add_promotion

QUESTIONS = [
    ("今天吃了什么？", QuestionKind.SINGLE, ["面条", "饺子", "米饭"]),
    ("Drinks?", QuestionKind.MULTIPLE, ["Tea", "Coffee", "Juice"]),
    ("How likely are you to recommend us?", QuestionKind.RATING10, []),
    ("How was the food?", QuestionKind.RATING5, []),
    ("Will you come again?", QuestionKind.YES_NO, []),
    ("How many people?", QuestionKind.NUMBER, []),
    ("Anything else?", QuestionKind.TEXT, []),
]
RICH = {"match": "all", "groups": [{"match": "all", "conditions": [{"field": "points", "op": "gte", "value": 100}]}]}


def make_survey(tenant: Tenant, questions=QUESTIONS, **fields) -> Survey:
    values = {"name": "How was your meal?", "status": SurveyStatus.OPEN, **fields}
    survey = Survey(tenant_id=tenant.id, **values)
    survey.questions.extend(
        SurveyQuestion(tenant_id=tenant.id, position=n, prompt=prompt, kind=kind, options=options)
        for n, (prompt, kind, options) in enumerate(questions, start=1)
    )
    db.add(survey)
    db.flush()
    return survey


def respond(tenant: Tenant, survey: Survey, member, answers: dict, *, run_id=None, complete=False, minute=0):
    """A response with `answers` by question position: a list of choices, a number, or a text."""
    at = MORNING + dt.timedelta(minutes=minute)
    response = SurveyResponse(
        tenant_id=tenant.id,
        survey_id=survey.id,
        member_id=member.id if member else None,
        phone=member.phone if member else "+8613900139000",
        run_id=run_id,
        started_at=at,
        answered_at=at if answers else None,
        completed_at=at if complete else None,
    )
    db.add(response)
    db.flush()
    for position, value in answers.items():
        question = survey.questions[position - 1]
        if isinstance(value, list):
            typed = ("是" if value == [0] else "否") if question.kind == QuestionKind.YES_NO else None
            text, choices, number = typed or " ".join(str(i + 1) for i in value), value, None
        elif isinstance(value, int | float):
            text, choices, number = str(value), None, value
        else:
            text, choices, number = value, None, None
        db.add(
            SurveyAnswer(
                tenant_id=tenant.id,
                response_id=response.id,
                question_id=question.id,
                text=text,
                choices=choices,
                number=number,
                created_at=at,
            )
        )
    db.flush()
    return response


def build_answered(app, shop_a, shop_b) -> int:
    """Shop A's survey: four reached by a run, one by keyword; two complete, two partial, one silent.
    Shop B has a survey with an answer of its own that must never count."""
    with app.app_context():
        with scoped_to(shop_b.tenant.id):
            tenant_b = db.get(Tenant, shop_b.tenant.id)
            other = make_survey(tenant_b)
            respond(tenant_b, other, add_member(tenant_b, "+8613800138009", "B"), {1: [2], 3: 0}, complete=True)
            db.commit()
        with scoped_to(shop_a.tenant.id):
            tenant = db.get(Tenant, shop_a.tenant.id)
            survey = make_survey(tenant)
            run = PromotionRun(tenant_id=tenant.id, promotion_id=add_promotion(tenant).id, due_at=MORNING)
            db.add(run)
            db.flush()
            wang = add_member(tenant, "+8613800138001", "王芳", points_balance=120)
            li = add_member(tenant, "+8613800138002", "Li Lei", points_balance=150)
            zhao = add_member(tenant, "+8613800138003", "")
            sun = add_member(tenant, "+8613800138004", "Sun")
            quiet = add_member(tenant, "+8613800138005", "Quiet")
            full = {1: [0], 2: [0, 1], 3: 10, 4: 5, 5: [0], 6: 2, 7: "很好吃"}
            respond(tenant, survey, wang, full, run_id=run.id, complete=True, minute=1)
            second = {1: [1], 2: [1], 3: 9, 4: 4, 5: [0], 6: 4, 7: "=SUM(A1:A9)"}
            respond(tenant, survey, li, second, run_id=run.id, complete=True, minute=2)
            respond(tenant, survey, zhao, {1: [0], 3: 6}, run_id=run.id, minute=3)
            respond(tenant, survey, quiet, {}, run_id=run.id, minute=4)
            respond(tenant, survey, sun, {1: [2], 3: 8}, minute=5)  # by keyword
            db.commit()
            return survey.id


@pytest.fixture
def answered(app, shop_a, shop_b) -> int:
    return build_answered(app, shop_a, shop_b)


def _results(app, shop, survey_id, definition=None):
    with app.test_request_context(), force_locale("en"), scoped_to(shop.tenant.id):
        tenant = db.get(Tenant, shop.tenant.id)
        return survey_results(tenant, db.get(Survey, survey_id), MORNING, definition)


def test_rates_count_who_answered_and_who_finished(app, shop_a, answered):
    results = _results(app, shop_a, answered)
    assert (results.reached, results.sent, results.by_keyword) == (5, 4, 1)
    assert (results.responded, results.completed) == (4, 2)
    assert results.response_rate == 80  # 4 of 5
    assert results.completion_rate == 50  # 2 of the 4 who answered


def test_each_question_is_counted_its_own_way(app, shop_a, answered):
    single, multiple, recommend, food, again, people, text = _results(app, shop_a, answered).questions
    assert single.answered == 4
    assert single.counts == [("面条", 2), ("饺子", 1), ("米饭", 1)]
    assert single.top == ("面条", 50)
    assert multiple.counts == [("Tea", 1), ("Coffee", 2), ("Juice", 0)]
    assert multiple.top == ("Coffee", 100)
    # 10, 9, 6, 8: two promoters, one detractor of four → 50% − 25% = 25.
    assert recommend.nps == 25
    assert recommend.average == pytest.approx(8.25)
    assert dict(recommend.counts) == {str(n): (1 if n in (6, 8, 9, 10) else 0) for n in range(11)}
    assert food.average == pytest.approx(4.5)
    assert food.nps is None
    assert [label for label, _count in food.counts] == ["1", "2", "3", "4", "5"]
    assert again.counts == [("Yes", 2), ("No", 0)]
    assert (people.average, people.minimum, people.maximum) == (3, 2, 4)
    assert [(t.text, t.who) for t in text.texts] == [("=SUM(A1:A9)", "Li Lei"), ("很好吃", "王芳")]
    assert all(q.chart is not None for q in (single, multiple, recommend, food, again))
    assert "面条" in single.chart.svg


def test_a_segment_keeps_only_its_members_answers(app, shop_a, answered):
    results = _results(app, shop_a, answered, RICH)
    assert (results.reached, results.responded, results.completed) == (2, 2, 2)
    single, _multiple, recommend, *_rest = results.questions
    assert single.counts == [("面条", 1), ("饺子", 1), ("米饭", 0)]
    assert recommend.nps == 100  # 10 and 9


def test_nps_and_masks():
    assert nps({}) is None
    assert nps({0: 1, 10: 1}) == 0
    assert nps({9: 3, 7: 1}) == 75
    assert mask_phone("+8613800138000") == "138****8000"


def test_the_csv_has_one_row_per_response_with_options_and_no_formulas(app, shop_a, answered):
    with app.test_request_context(), force_locale("en"), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        data = b"".join(answers_csv(tenant, db.get(Survey, answered))).decode("utf-8")
    assert data.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"))))
    assert rows[0] == ["Phone", "Name", "Started", "Completed", *(prompt for prompt, _kind, _options in QUESTIONS)]
    assert len(rows) == 6
    wang = rows[1]
    assert wang[:4] == ["13800138001", "王芳", "2026-11-24 10:01", "2026-11-24 10:01"]
    assert wang[4:] == ["1 (面条)", "1 2 (Tea; Coffee)", "10", "5", "是 (Yes)", "2", "很好吃"]
    assert rows[2][-1] == "'=SUM(A1:A9)"  # Excel must not run it
    assert rows[3][4:] == ["1 (面条)", "", "6", "", "", "", ""]
    assert rows[4][1:4] == ["Quiet", "2026-11-24 10:04", ""]
    assert "B" not in {row[1] for row in rows}
