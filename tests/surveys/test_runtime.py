"""A survey answered by SMS: texts through the inbound path, the shop's replies queued."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mcrm.apps.models import AppKind, Conversation, ConversationKind
from mcrm.db import db, utcnow
from mcrm.keywords.normalise import normalise
from mcrm.members.models import Member
from mcrm.points.models import EntryReason, LedgerEntry
from mcrm.promotions.ticks import run_due_promotions
from mcrm.segments.models import Segment
from mcrm.surveys.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyStatus
from mcrm.surveys.runtime import start_survey
from mcrm.surveys.sending import send_survey
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.apps.test_runtime import make_app
from tests.keywords import test_router
from tests.keywords.test_router import PHONE, member, text
from tests.promotions.delivery import EVERYONE, add_member

shop = test_router.shop  # a fixture: shop A, with a welcome bonus of 50 points

OTHERS = ("+8613800138001", "+8613800138002")
MEAL = [
    ("您点了什么？", QuestionKind.SINGLE, ["红烧肉", "Fried rice", "和牛"]),
    ("您有多大可能向朋友推荐我们？", QuestionKind.RATING10, []),
    ("还有什么建议？", QuestionKind.TEXT, []),
]


def make_survey(shop, questions=MEAL, keyword="DC", status=SurveyStatus.OPEN, **fields) -> int:
    with unscoped():
        survey = Survey(
            tenant_id=shop.id,
            name=fields.pop("name", "Meal"),
            keyword=normalise(keyword) if keyword else None,
            status=status,
            intro=fields.pop("intro", "感谢光临！"),
            **fields,
        )
        survey.questions = [
            SurveyQuestion(tenant_id=shop.id, position=position, prompt=prompt, kind=kind, options=options)
            for position, (prompt, kind, options) in enumerate(questions, start=1)
        ]
        db.add(survey)
        db.commit()
        return survey.id


def responses(survey_id: int | None = None) -> list[SurveyResponse]:
    with unscoped():
        db.expire_all()
        query = select(SurveyResponse).order_by(SurveyResponse.id)
        if survey_id is not None:
            query = query.where(SurveyResponse.survey_id == survey_id)
        found = list(db.scalars(query))
        for response in found:
            db.expunge(response)  # read after other helpers expire the session
        return found


def answers(response: SurveyResponse) -> list[tuple[str, list | None, float | None]]:
    with unscoped():
        rows = db.scalars(
            select(SurveyAnswer).where(SurveyAnswer.response_id == response.id).order_by(SurveyAnswer.question_id)
        )
        return [(row.text, row.choices, row.number) for row in rows]


def conversations() -> list[Conversation]:
    with unscoped():
        db.expire_all()
        return list(db.scalars(select(Conversation).order_by(Conversation.id)))


@pytest.fixture
def clock(monkeypatch):
    """The inbound path's clock, moved by hand: `clock[0] += timedelta`."""
    now = [utcnow()]
    monkeypatch.setattr("mcrm.messaging.inbound.utcnow", lambda: now[0])
    return now


def test_a_three_question_survey_answered_by_several_members(shop):
    survey_id = make_survey(shop, thank_you="谢谢{name}！")
    for phone, name in zip((PHONE, *OTHERS), ("王芳", "李雷", "韩梅梅"), strict=True):
        text(f"ZC {name}", phone)
    first = text("dc", PHONE)
    assert first.endswith("感谢光临！\n您点了什么？\n1. 红烧肉\n2. Fried rice\n3. 和牛")
    assert text("2", PHONE).endswith("您有多大可能向朋友推荐我们？ (0–10)")
    assert text("ＤＣ", OTHERS[0]).endswith("3. 和牛")  # full width starts it too
    assert text("红烧肉", OTHERS[0]).endswith("(0–10)")
    assert text("１０", PHONE).endswith("还有什么建议？")
    assert text("八分", OTHERS[0]).endswith("还有什么建议？")
    assert text("菜有点咸，服务很好！", PHONE).endswith("谢谢王芳！")
    assert text("JF", OTHERS[0]).endswith("谢谢李雷！")  # a free-text answer, not a points query
    text("DC", OTHERS[1])
    text("c", OTHERS[1])

    done, other, halfway = responses(survey_id)
    assert answers(done) == [("2", [1], None), ("１０", None, 10.0), ("菜有点咸，服务很好！", None, None)]
    assert answers(other) == [("红烧肉", [0], None), ("八分", None, 8.0), ("JF", None, None)]
    assert answers(halfway) == [("c", [2], None)]
    assert done.member_id == member(PHONE).id and done.run_id is None and done.phone == PHONE
    assert done.completed_at is not None and other.completed_at is not None
    assert halfway.answered_at is not None and halfway.completed_at is None
    assert [c.closed_at is None for c in conversations()] == [False, False, True]
    assert all(c.kind == ConversationKind.SURVEY for c in conversations())


def test_an_invalid_answer_is_asked_again_once_with_the_allowed_answers(shop):
    make_survey(shop)
    text("DC")
    reask = text("4")
    assert reask.endswith("Please answer 1–3 or A–C.\n您点了什么？\n1. 红烧肉\n2. Fried rice\n3. 和牛")
    assert text("b").endswith("(0–10)")  # a good answer after the re-ask goes on
    assert text("11").endswith("Please answer a number from 0 to 10.\n您有多大可能向朋友推荐我们？ (0–10)")
    assert text("very likely").endswith("Sorry, that did not work. Text DC to start again.")
    assert conversations()[0].closed_at is not None
    text("9")  # no longer an answer
    [response] = responses()
    assert answers(response) == [("b", [1], None)] and response.completed_at is None


def test_a_sent_survey_without_a_keyword_says_thanks_after_the_second_bad_answer(shop):
    survey_id = make_survey(shop, keyword=None, questions=[("再来吗？", QuestionKind.YES_NO, [])])
    with unscoped():
        assert start_survey(shop, db.get(Survey, survey_id), PHONE, None, utcnow()).endswith("再来吗？ (Y/N)")
        db.commit()
    assert "Please answer 是 or 否 (Y or N)." in text("也许")
    assert text("maybe").endswith("Sorry, that did not work. Thank you for your time.")


def test_a_survey_waits_expire_hours_for_each_answer(shop, clock):
    make_survey(shop, expire_hours=48)
    start = clock[0]
    text("DC")
    clock[0] = start + dt.timedelta(hours=47)
    assert text("1").endswith("(0–10)")  # still waiting, and the next question waits 48 hours again
    clock[0] = start + dt.timedelta(hours=47 + 47)
    assert text("9").endswith("还有什么建议？")
    clock[0] += dt.timedelta(hours=48, seconds=1)
    assert "Text ZC to join" in text("很好")  # expired: read as a text like any other
    [response] = responses()
    assert len(answers(response)) == 2 and response.completed_at is None
    assert text("DC").endswith("3. 和牛")  # starting again closes the expired conversation
    assert [c.closed_at is None for c in conversations()] == [False, True]
    assert len(responses()) == 2


def test_stop_in_the_middle_opts_out_and_ends_the_survey(shop):
    make_survey(shop)
    text("ZC 王芳")
    text("DC")
    text("1")
    assert "Unsubscribed" in text("TD")
    assert member().opted_out_at is not None
    assert conversations()[0].closed_at is not None
    assert "还有什么建议" not in (text("8") or "")  # no more questions
    [response] = responses()
    assert len(answers(response)) == 1 and response.completed_at is None


def test_the_latest_survey_wins_and_closes_the_earlier_one(shop):
    meal = make_survey(shop)
    service = make_survey(
        shop,
        keyword="FW",
        name="Service",
        intro="",
        questions=[("服务满意吗？", QuestionKind.RATING5, []), ("会再来吗？", QuestionKind.YES_NO, [])],
    )
    text("DC")
    text("1")
    assert text("ｆｗ") == "【Shop A】服务满意吗？ (1–5)"  # texted while the first one waits
    assert text("5").endswith("会再来吗？ (Y/N)")  # answers go to the second survey
    with unscoped():
        # The first one reaches the phone again (as its sending would): it is now the latest.
        start_survey(shop, db.get(Survey, meal), PHONE, None, utcnow())
        db.commit()
    assert text("是").endswith("Please answer 1–3 or A–C.\n您点了什么？\n1. 红烧肉\n2. Fried rice\n3. 和牛")
    assert text("3").endswith("(0–10)")
    first, again = responses(meal)
    [latest] = responses(service)
    assert answers(first) == [("1", [0], None)] and first.completed_at is None
    assert answers(latest) == [("5", None, 5.0)] and latest.completed_at is None
    assert answers(again) == [("3", [2], None)]
    assert [c.closed_at is None for c in conversations()] == [False, False, True]


def test_only_an_open_survey_starts_by_keyword_and_a_stranger_may_answer(shop):
    make_survey(shop, keyword="WJ", status=SurveyStatus.DRAFT)
    assert "Text ZC to join" in text("WJ")
    assert responses() == []
    make_survey(shop, keyword="DC")
    text("dc 你好")
    [response] = responses()
    assert response.member_id is None and response.phone == PHONE
    assert member() is None  # answering does not make anybody a member


def test_a_survey_closed_meanwhile_takes_no_more_answers(shop):
    survey_id = make_survey(shop)
    text("DC")
    with unscoped():
        db.get(Survey, survey_id).status = SurveyStatus.CLOSED
        db.commit()
    assert "Text ZC to join" in text("1")  # routed as usual
    assert conversations()[0].closed_at is not None
    assert answers(responses()[0]) == []


def test_the_reward_is_credited_once_when_a_member_completes(shop):
    survey_id = make_survey(shop, reward_points=20, questions=[("满意吗？", QuestionKind.YES_NO, [])])
    text("ZC 王芳")
    assert text("DC").endswith("满意吗？ (Y/N)")
    assert text("y").endswith("Thank you for your answers! 20 points were added: you have 70.")
    assert "Text ZC to join" in text("Y")  # answers no survey now
    text("dc")
    text("n")
    assert member().points_balance == 90  # two completed responses, each rewarded once
    with unscoped():
        gifts = db.scalars(select(LedgerEntry).where(LedgerEntry.reason == EntryReason.GIFT)).all()
    assert [(g.points, g.note) for g in gifts] == [(20, "Survey: Meal"), (20, "Survey: Meal")]
    assert all(r.completed_at is not None for r in responses(survey_id))


def test_a_stranger_completing_gets_thanks_but_no_points(shop):
    make_survey(shop, reward_points=20, questions=[("满意吗？", QuestionKind.YES_NO, [])])
    text("DC", OTHERS[0])
    assert text("否", OTHERS[0]).endswith("Thank you for your answers!")
    with unscoped():
        assert db.scalars(select(LedgerEntry).where(LedgerEntry.reason == EntryReason.GIFT)).all() == []
        assert db.scalar(select(Member).where(Member.phone == OTHERS[0])) is None


def test_the_survey_conversation_comes_before_a_keyword_app(shop):
    # An app keyword cannot be a digit or a letter a system word shares, but it can be an option's own text.
    make_app(shop, "和牛", AppKind.AUTO_REPLY, reply_text="和牛今天八折")
    make_survey(shop)
    assert text("和牛").endswith("和牛今天八折")  # outside the survey, the app answers
    text("DC")
    assert text("和牛！").endswith("(0–10)")  # inside, it is the answer
    [response] = responses()
    assert answers(response) == [("和牛！", [2], None)]


def test_a_survey_keeps_asking_past_the_hourly_reply_cap(shop):
    questions = [(f"Q{number}", QuestionKind.RATING5, []) for number in range(1, 8)]
    make_survey(shop, questions=questions, intro="")
    text("ZC 王芳")
    replies = [text("DC"), *(text(f"{rating}") for rating in (1, 2, 3, 4, 5, "4分", "5分"))]
    assert replies[:-1] == [f"【Shop A】Q{number} (1–5)" for number in range(1, 8)]
    assert replies[-1].endswith("Thank you for your answers!")
    assert "Text ZC to join" not in (text("hello") or "")  # after the survey, the cap holds again


def test_a_survey_sent_to_a_segment_is_answered_through_the_inbound_path(shop):
    shop_id = shop.id
    survey_id = make_survey(shop, keyword=None, reward_points=10)
    with scoped_to(shop_id):
        tenant = db.get(Tenant, shop_id)
        add_member(tenant, PHONE, "王芳")
        segment = Segment(tenant_id=shop_id, name="Everyone", definition=EVERYONE)
        db.add(segment)
        db.flush()
        send_survey(tenant, db.get(Survey, survey_id), segment.id, None, None, utcnow())
        db.commit()
    db.remove()
    run_due_promotions(utcnow())
    assert text("Fried rice").endswith("(0–10)")
    assert text("9").endswith("还有什么建议？")
    assert text("好吃").endswith("Thank you for your answers! 10 points were added: you have 10.")
    [response] = responses(survey_id)
    assert response.run_id is not None and response.completed_at is not None
    assert answers(response) == [("Fried rice", [1], None), ("9", None, 9.0), ("好吃", None, None)]
