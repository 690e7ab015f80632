"""A survey end to end through the real SMSC: sent by the promotions tick, answered by MOs, counted in the results."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mcrm.db import db, utcnow
from mcrm.promotions.ticks import run_due_promotions
from mcrm.segments.models import Segment
from mcrm.surveys.answers import question_text
from mcrm.surveys.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyStatus
from mcrm.surveys.results import survey_results
from mcrm.surveys.sending import send_survey, survey_message
from sms_gateway.encoding import split_udh
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.promotions.delivery import EVERYONE, add_member
from tests.sms_gateway.smpp_harness import running_gateway, wait_until
from tests.smsc_peer import SmscPeer

ANN, BOB, OLGA = "+8613900000001", "+8613900000002", "+8613900000003"
SERVICE_NUMBER = "1069001001"
QUESTIONS = [
    ("The food?", QuestionKind.SINGLE, ["Good", "OK", "Bad"]),
    ("How likely are you to recommend us to a friend?", QuestionKind.RATING10, []),
    ("Anything else?", QuestionKind.TEXT, []),
]


def _set_up(app, shop_a, now: dt.datetime) -> int:
    """Shop A with Ann, Bob and Olga (opted out), an open three-question survey sent now to everyone."""
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        # Quiet hours far from now, whenever the test runs.
        local = now.astimezone(ZoneInfo(tenant.timezone))
        tenant.quiet_start = (local + dt.timedelta(hours=12)).time().replace(second=0, microsecond=0)
        tenant.quiet_end = (local + dt.timedelta(hours=12, minutes=1)).time().replace(second=0, microsecond=0)
        add_member(tenant, ANN, "Ann")
        add_member(tenant, BOB, "Bob")
        add_member(tenant, OLGA, "Olga", opted_out_at=now - dt.timedelta(days=2))
        survey = Survey(
            tenant_id=tenant.id,
            name="Dinner",
            intro="How was your meal?",
            thank_you="Thank you, {name}!",
            status=SurveyStatus.OPEN,
        )
        survey.questions = [
            SurveyQuestion(tenant_id=tenant.id, position=position, prompt=prompt, kind=kind, options=options)
            for position, (prompt, kind, options) in enumerate(QUESTIONS, start=1)
        ]
        segment = Segment(tenant_id=tenant.id, name="Everyone", definition=EVERYONE)
        db.add_all([survey, segment])
        db.flush()
        send_survey(tenant, survey, segment.id, None, None, now)
        db.commit()
        survey_id = survey.id
        db.remove()
    return survey_id


def _received(smsc: SmscPeer) -> dict[str, list[str]]:
    """The texts the SMSC received, per destination in arrival order, with multipart messages joined."""
    parts: dict[tuple[str, int | None, int], dict[int, str]] = defaultdict(dict)
    for number, submit in enumerate(smsc.submits()):
        payload = bytes.fromhex(submit["short_message"])
        body, concat = split_udh(payload) if submit["esm_class"] & 0x40 else (payload, None)
        text = body.decode("utf-16-be" if submit["data_coding"] == 8 else "gsm03.38")
        # A multipart message is keyed by its reference; a single part by its own place in the stream.
        key = (submit["destination"], concat.reference if concat else None, -1 if concat else number)
        parts[key][concat.seq if concat else 1] = text
    texts: dict[str, list[str]] = defaultdict(list)
    for (destination, _reference, _number), pieces in parts.items():
        texts[destination].append("".join(pieces[seq] for seq in sorted(pieces)))
    return texts


def _reply(smsc: SmscPeer, phone: str, text: str) -> str:
    """`text` from `phone` as an MO; the shop's next SMS to that phone, without the signature."""
    number = phone.removeprefix("+")
    before = len(_received(smsc)[number])
    smsc.send_mo(number, SERVICE_NUMBER, text=text, data_coding=8)
    texts = wait_until(lambda: (found := _received(smsc)[number])[before:] and found)
    return texts[before].removeprefix("【Shop A】")


def test_a_survey_sent_to_a_segment_is_answered_by_sms_and_counted(app, shop_a):
    now = utcnow()
    survey_id = _set_up(app, shop_a, now)
    with app.app_context(), scoped_to(shop_a.tenant.id):
        assert run_due_promotions(now) == 1
        survey = db.get(Survey, survey_id)
        tenant = db.get(Tenant, shop_a.tenant.id)
        first = survey_message(tenant, survey)
        food, rating, last = (question_text(question) for question in survey.questions)
        db.remove()

    with SmscPeer() as smsc, running_gateway(app, smsc.port):
        wait_until(lambda: smsc.events("bind"))
        wait_until(lambda: len(_received(smsc)) >= 2)
        sent = _received(smsc)
        # The intro and the first question, to the two members who can be reached, not to Olga.
        assert set(sent) == {ANN.removeprefix("+"), BOB.removeprefix("+")}
        for texts in sent.values():
            assert len(texts) == 1
            assert texts[0].startswith(f"【Shop A】{first}")
        assert first == "How was your meal?\nThe food?\n1. Good\n2. OK\n3. Bad"

        assert _reply(smsc, ANN, "2") == rating
        assert _reply(smsc, BOB, "4") == f"Please answer 1–3 or A–C.\n{food}"
        assert _reply(smsc, BOB, "a") == rating
        assert _reply(smsc, ANN, "9") == last
        assert _reply(smsc, BOB, "7分") == last
        assert _reply(smsc, ANN, "The noodles were great") == "Thank you, Ann!"
        assert _reply(smsc, BOB, "A bit slow") == "Thank you, Bob!"
        received = _received(smsc)
    assert OLGA.removeprefix("+") not in received
    assert [len(received[phone.removeprefix("+")]) for phone in (ANN, BOB)] == [4, 5]

    with app.app_context(), unscoped():
        of_survey = select(SurveyResponse).where(SurveyResponse.survey_id == survey_id)
        responses = {response.phone: response for response in db.scalars(of_survey)}
        assert set(responses) == {ANN, BOB}
        assert all(r.completed_at is not None and r.run_id is not None for r in responses.values())
        answers = {
            phone: [
                (a.text, a.choices, a.number)
                for a in db.scalars(
                    select(SurveyAnswer).where(SurveyAnswer.response_id == response.id).order_by(SurveyAnswer.id)
                )
            ]
            for phone, response in responses.items()
        }
        assert answers == {
            ANN: [("2", [1], None), ("9", None, 9.0), ("The noodles were great", None, None)],
            BOB: [("a", [0], None), ("7分", None, 7.0), ("A bit slow", None, None)],
        }
        db.remove()

    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        results = survey_results(tenant, db.get(Survey, survey_id), utcnow())
        assert (results.reached, results.sent, results.responded, results.completed) == (2, 2, 2, 2)
        assert (results.response_rate, results.completion_rate) == (100, 100)
        choice, score, remarks = results.questions
        assert choice.counts == [("Good", 1), ("OK", 1), ("Bad", 0)]
        assert (score.answered, score.average, score.nps) == (2, 8.0, 50)  # a promoter and a passive
        assert sorted((t.who, t.text) for t in remarks.texts) == [
            ("Ann", "The noodles were great"),
            ("Bob", "A bit slow"),
        ]
        db.remove()
