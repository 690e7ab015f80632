"""Consumers' texts through the inbound path (store, route, reply queued), as the gateway and the phone
simulator drive it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mcrm.db import db
from mcrm.feedback.models import Feedback, FeedbackKind
from mcrm.keywords.system import Action, match
from mcrm.members.models import Member, Source
from mcrm.messaging.inbound import answer_inbound, store_inbound
from mcrm.messaging.models import Direction, Message
from mcrm.points.models import Reward
from sms_gateway.encoding import sms_shape
from tenants.isolation import unscoped
from tenants.models import Tenant

PHONE = "+8613800138000"
NUMBER = "1069001001"


def text(body: str, phone: str = PHONE) -> str | None:
    """Send `body` to shop A; the reply queued for it (None when nothing was queued)."""
    with unscoped():
        message = store_inbound(NUMBER, phone.lstrip("+"), body)
        assert message is not None, "stored as a duplicate"
        answer_inbound(message)
        db.commit()
        reply = db.scalar(select(Message).where(Message.dedupe_key == f"reply:{message.id}"))
        return reply.body if reply else None


def member(phone: str = PHONE) -> Member | None:
    with unscoped():
        db.expire_all()
        return db.scalar(select(Member).where(Member.phone == phone))


@pytest.fixture
def shop(ctx, shop_a):
    with unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.welcome_bonus = 50
        db.commit()
        return tenant


@pytest.mark.parametrize(
    ("body", "name", "birthday"),
    [
        ("ZC 张三 0815", "张三", (8, 15, False)),
        ("ZC张三", "张三", None),
        ("ｚｃ　张三　农历0815", "张三", (8, 15, True)),
        ("JOIN Li Lei 1990-08-15", "Li Lei", (8, 15, False)),
        ("注册", "", None),
        (" reg. ", "", None),
    ],
)
def test_join_creates_the_member_with_consent_and_the_welcome_bonus(shop, body, name, birthday):
    reply = text(body)
    joined = member()
    assert joined.name == name and joined.source == Source.SMS and joined.points_balance == 50
    assert joined.consent_evidence.startswith("SMS #") and body.strip() in joined.consent_evidence
    if birthday:
        assert (joined.birthday_month, joined.birthday_day, joined.birthday_lunar) == birthday
    assert "50" in reply and reply.startswith(shop.signature)


def test_join_again_tells_the_member_their_number_and_balance(shop):
    text("ZC 张三")
    assert "already a member" in text("ZC") and PHONE in text("JOIN")


def test_points_give_the_balance_and_the_nearest_reward(shop):
    with unscoped():
        db.add_all(
            [
                Reward(tenant_id=shop.id, name="Coffee", points_cost=80),
                Reward(tenant_id=shop.id, name="Cake", points_cost=200),
            ]
        )
        db.commit()
    assert "not a member" in text("JF")
    text("ZC")
    assert "You have 50 points" in text("积分") and "30 more for Coffee" in text("ＪＦ")
    assert "You have 50 points" in text("BAL")


@pytest.mark.parametrize(
    "body", ["TD", "t", "R", "退订", " Stop. ", "STOPALL", "unsubscribe", "回复TD", "Reply STOP", "optout"]
)
def test_stop_opts_out_at_once_with_one_confirmation(shop, body):
    text("ZC")
    reply = text(body)
    assert member().opted_out_at is not None and "no more offers" in reply and sms_shape(reply).count == 1


@pytest.mark.parametrize("body", ["T恤多少钱", "TD是什么", "stop by tomorrow?", "Restaurant"])
def test_a_longer_text_starting_like_a_stop_word_is_not_a_stop(shop, body):
    text("ZC")
    text(body)
    assert member().opted_out_at is None


@pytest.mark.parametrize("body", ["别再发了", "please stop texting me"])
def test_free_text_asking_to_stop_is_flagged_for_the_merchant_not_acted_on(shop, body):
    text("ZC")
    assert "text TD" in text(body)
    assert member().opted_out_at is None
    with unscoped():
        [flag] = db.scalars(select(Feedback)).all()
    assert flag.kind == FeedbackKind.STOP_REQUEST and flag.text == body


def test_resume_records_new_consent(shop):
    text("ZC")
    text("TD")
    reply = text("START")
    again = member()
    assert again.opted_out_at is None and again.consent_evidence.endswith("START") and "Welcome back" in reply


@pytest.mark.parametrize(
    ("body", "kind", "saved"),
    [
        ("FK 菜太咸了", FeedbackKind.FEEDBACK, "菜太咸了"),
        ("反馈服务很好", FeedbackKind.FEEDBACK, "服务很好"),
        ("投诉 等了一小时", FeedbackKind.COMPLAINT, "等了一小时"),
        ("JY 多开几家店", FeedbackKind.SUGGESTION, "多开几家店"),
        ("fb Great coffee!", FeedbackKind.FEEDBACK, "Great coffee!"),
        ("投诉：汤是凉的，等了一小时！", FeedbackKind.COMPLAINT, "汤是凉的，等了一小时！"),  # kept as typed
    ],
)
def test_feedback_complaints_and_suggestions_are_filed_and_acknowledged(shop, body, kind, saved):
    assert "received your message" in text(body)
    with unscoped():
        [item] = db.scalars(select(Feedback)).all()
    assert (item.kind, item.text, item.phone) == (kind, saved, PHONE)


def test_anything_else_gets_the_help_text(shop):
    for body in ("hello", "帮助", "?", "BZ"):
        reply = text(body, phone=f"+86138001380{len(body):02d}")
        assert "Text ZC to join" in reply and sms_shape(reply).count == 1  # one SMS, signature included


def test_at_most_five_automatic_replies_per_phone_per_hour(shop):
    replies = [text(f"hello {i}") for i in range(7)]
    assert [r is not None for r in replies] == [True] * 5 + [False] * 2


def test_replies_use_the_members_language_else_the_keywords_else_the_shops(shop):
    with unscoped():
        db.get(Tenant, shop.id).locale = "zh_CN"
        db.commit()
    assert "Welcome to" in text("JOIN")  # an English keyword is answered in English...
    assert member().locale == "en"
    assert "You have 50 points" in text("JF")  # ...and the member who joined in English keeps English
    stranger = "+8613900139000"
    assert "积分" in text("JF", phone=stranger)  # a Chinese keyword from a stranger: the shop's language
    text("注册", phone=stranger)
    with unscoped():
        member(stranger).locale = "en"  # the merchant set the member's language on the member page
        db.commit()
    assert "You have 50 points" in text("积分", phone=stranger)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_and_only_exact_keywords_act(shop, body):
    found = match(body)
    if found is not None and found.action in (Action.STOP, Action.RESUME, Action.HELP):
        # Whole-message keywords: nothing but the keyword (and an optional 回复/reply) once normalised.
        from mcrm.keywords.normalise import normalise

        assert len(normalise(body)) <= len("reply unsubscribe") or body.strip() in ("?", "？")
    with unscoped():
        message = store_inbound(NUMBER, PHONE.lstrip("+"), body)
        if message is not None:
            answer_inbound(message)
        db.commit()
        for stored in db.scalars(select(Message.body).where(Message.direction == Direction.IN)):
            stored.encode("utf-8")
            assert "\x00" not in stored


# The keyword table, written out here (not read from the code) so a word missing in the code fails.
EVERY_KEYWORD = {
    Action.JOIN: ["ZC", "注册", "JOIN", "REG"],
    Action.POINTS: ["JF", "积分", "POINTS", "PTS", "BAL"],
    Action.STOP: [
        "TD",
        "T",
        "R",
        "退订",
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
    ],
    Action.RESUME: ["START", "UNSTOP", "YES", "恢复"],
    Action.HELP: ["BZ", "帮助", "HELP", "?"],
    Action.FEEDBACK: ["FK", "反馈", "FB"],
    Action.COMPLAINT: ["TS", "投诉"],
    Action.SUGGESTION: ["JY", "建议"],
}
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _typed(word: str, style: str) -> str:
    """The keyword as people type it: full width, lower case with spaces and punctuation about it."""
    return {"plain": word, "full": f"　{word.translate(FULL_WIDTH)}　", "messy": f"  {word.lower()} . "}[style]


STYLES = ("plain", "full", "messy")


# Each word once, the typing styles taking turns (every action with three words or more meets all three).
@pytest.mark.parametrize(
    ("action", "word", "style"),
    [(a, w, STYLES[i % 3]) for a, words in EVERY_KEYWORD.items() for i, w in enumerate(words)],
)
def test_every_keyword_acts_however_it_is_typed(shop, action, word, style):
    if action in (Action.POINTS, Action.STOP, Action.RESUME):
        text("ZC 王芳", phone="+8613900139000")  # a member to act on, on another phone
        phone = "+8613900139000"
        if action == Action.RESUME:
            text("TD", phone=phone)
    else:
        phone = PHONE
    body = _typed(word, style)
    if action in (Action.FEEDBACK, Action.COMPLAINT, Action.SUGGESTION):
        body = f"{body.rstrip(' .')} 菜凉了"
    reply = text(body, phone=phone)
    if action == Action.JOIN:
        assert member() is not None and "Welcome" in reply
    elif action == Action.POINTS:
        assert "You have 50 points" in reply
    elif action == Action.STOP:
        assert member(phone).opted_out_at is not None and "no more offers" in reply
    elif action == Action.RESUME:
        assert member(phone).opted_out_at is None and "Welcome back" in reply
    elif action == Action.HELP:
        assert "Text ZC to join" in reply
    else:
        with unscoped():
            [item] = db.scalars(select(Feedback)).all()
        assert item.kind == FeedbackKind(action.value) and item.text == "菜凉了" and "received" in reply
