"""Keyword apps as a consumer meets them: texts through the inbound path, the shop's replies queued."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from mcrm.apps.models import (
    AnswerType,
    AppKind,
    AppSubscriber,
    Conversation,
    FormQuestion,
    FormSubmission,
    KeywordApp,
    LookupRow,
)
from mcrm.apps.runtime import FORM_TIMEOUT
from mcrm.db import db
from mcrm.keywords.models import KeywordAlias, ReplyText
from mcrm.keywords.normalise import normalise
from mcrm.keywords.system import Action
from mcrm.messaging.inbound import answer_inbound, store_inbound
from mcrm.messaging.models import Direction, Message, MessageKind
from tenants.isolation import unscoped
from tests.keywords.test_router import PHONE, member, text


def make_app(shop, keyword, kind, name="App", questions=(), rows=(), **texts) -> int:
    with unscoped():
        app = KeywordApp(tenant_id=shop.id, keyword=normalise(keyword), kind=kind, name=name, **texts)
        db.add(app)
        db.flush()
        for position, (prompt, answer_type) in enumerate(questions):
            db.add(
                FormQuestion(
                    tenant_id=shop.id, app_id=app.id, position=position, prompt=prompt, answer_type=answer_type
                )
            )
        for key, value in rows:
            db.add(LookupRow(tenant_id=shop.id, app_id=app.id, key=normalise(key), shown_key=key, value=value))
        db.commit()
        return app.id


def app_row(app_id) -> KeywordApp:
    with unscoped():
        db.expire_all()
        return db.get(KeywordApp, app_id)


def test_auto_reply_fills_the_members_name_points_and_the_shop(shop):
    app_id = make_app(shop, "HI", AppKind.AUTO_REPLY, reply_text="Hello {name}, {points} points at {shop}. {other}")
    text("ZC 王芳")
    assert text("hi") == "【Shop A】Hello 王芳, 50 points at Shop A. {other}"
    assert text("ＨＩ 你好").endswith("Hello 王芳, 50 points at Shop A. {other}")  # full width, with an argument
    assert app_row(app_id).uses == 2 and app_row(app_id).last_used_at is not None


def test_a_latin_keyword_needs_a_break_after_it(shop):
    make_app(shop, "HI", AppKind.AUTO_REPLY, reply_text="Hello")
    reply = text("hint")  # not HI + "nt": the help reply, which lists the shop's apps
    assert "Hello" not in reply and "Text ZC to join" in reply and "Also: HI." in reply


def test_a_switched_off_app_does_not_answer(shop):
    app_id = make_app(shop, "HI", AppKind.AUTO_REPLY, reply_text="Hello")
    with unscoped():
        db.get(KeywordApp, app_id).enabled = False
        db.commit()
    assert "Hello" not in text("HI") and app_row(app_id).uses == 0


def test_subscription_joins_and_leaves_the_list_and_a_stranger_becomes_a_member(shop):
    app_id = make_app(shop, "XP", AppKind.SUBSCRIPTION, name="新品")
    reply = text("XP")
    assert "新品" in reply and "XP TD" in reply
    joined = member()
    assert joined is not None and joined.consent_evidence.startswith("SMS #")
    with unscoped():
        entry = db.scalar(select(AppSubscriber).where(AppSubscriber.app_id == app_id))
        assert entry.member_id == joined.id and entry.left_at is None
    assert "left" in text("xp 退订")
    with unscoped():
        db.expire_all()
        assert db.scalar(select(AppSubscriber.left_at)) is not None
    text("xp ")  # and back on the list, one row still
    with unscoped():
        db.expire_all()
        assert db.scalars(select(AppSubscriber.left_at)).all() == [None]


def test_subscription_uses_the_owners_texts(shop):
    make_app(shop, "XP", AppKind.SUBSCRIPTION, reply_text="{name}已订阅新品", leave_text="已退出")
    text("ZC 李雷")
    assert text("XP").endswith("李雷已订阅新品") and text("XP TD").endswith("已退出")


def test_lookup_finds_the_row_however_it_is_typed(shop):
    make_app(
        shop,
        "JG",
        AppKind.LOOKUP,
        rows=[("拿铁", "28元"), ("Flat White", "30元")],
        reply_text="{key}：{value}",
    )
    assert text("JG 拿铁").endswith("拿铁：28元")
    assert text("jg拿铁").endswith("拿铁：28元")
    assert text("ＪＧ　ｆｌａｔ　ｗｈｉｔｅ").endswith("Flat White：30元")
    assert "拿铁/Flat White" in text("JG 茶")  # not found: what can be looked up
    assert "拿铁/Flat White" in text("JG")


def test_lookup_not_found_text_is_the_owners(shop):
    make_app(shop, "JG", AppKind.LOOKUP, rows=[("拿铁", "28元")], not_found_text="没有{key}，可查：{choices}")
    assert text("JG 茶").endswith("没有茶，可查：拿铁")


BOOKING = [("哪天来？", AnswerType.DATE), ("几位？", AnswerType.NUMBER), ("怎么称呼？", AnswerType.TEXT)]


def test_form_asks_each_question_stores_the_submission_and_alerts_the_owner(shop, shop_a):
    with unscoped():
        db.get(type(shop_a.owner), shop_a.owner.id).phone = "+8613700137000"
        db.commit()
    app_id = make_app(
        shop, "YD", AppKind.FORM, name="订座", questions=BOOKING, reply_text="订好了，{shop}恭候", notify_shop=True
    )
    assert text("YD").endswith("哪天来？")
    assert text("12月24日").endswith("几位？")
    assert text("4个人").endswith("怎么称呼？")
    assert text("王先生").endswith("订好了，Shop A恭候")
    with unscoped():
        submission = db.scalar(select(FormSubmission))
        assert submission.app_id == app_id and submission.phone == PHONE
        assert [a["answer"] for a in submission.answers] == [f"{submission.created_at.year}-12-24", "4", "王先生"]
        assert db.scalar(select(Conversation.closed_at)) is not None
        alert = db.scalar(select(Message).where(Message.phone == "+8613700137000"))
        assert alert.kind == MessageKind.TRANSACTIONAL and "订座" in alert.body and "王先生" in alert.body
    # The form is over: the next text is a keyword again.
    assert "not a member" in text("JF")


def test_form_reasks_once_then_gives_up(shop):
    make_app(shop, "YD", AppKind.FORM, questions=BOOKING)
    text("YD")
    reask = text("whenever")
    assert "date" in reask and reask.endswith("哪天来？")  # asked again, with the hint
    assert "Text YD to start again" in text("still no")  # given up: how to start again
    with unscoped():
        assert db.scalar(select(Conversation.closed_at)) is not None
        assert db.scalar(select(FormSubmission)) is None


def test_a_conversation_takes_the_reply_before_the_keywords_but_stop_still_stops(shop):
    make_app(shop, "YD", AppKind.FORM, questions=[("您的意见？", AnswerType.TEXT)])
    text("ZC 张三")
    text("YD")
    assert "Thank you" in text("JF")  # "JF" answered the question, it did not ask for points
    text("yd")
    assert "Unsubscribed" in text("TD")
    assert member().opted_out_at is not None
    with unscoped():
        assert db.scalars(select(Conversation.closed_at)).all() and all(db.scalars(select(Conversation.closed_at)))


def test_a_conversation_left_too_long_no_longer_takes_the_reply(shop):
    make_app(shop, "YD", AppKind.FORM, questions=[("几位？", AnswerType.NUMBER)])
    text("YD")
    with unscoped():
        conversation = db.scalar(select(Conversation))
        conversation.expires_at = conversation.started_at - dt.timedelta(seconds=1)
        db.commit()
    assert "Text ZC to join" in text("4")
    assert dt.timedelta(minutes=10) <= FORM_TIMEOUT


def test_a_new_form_after_an_expired_one_closes_it(shop):
    make_app(shop, "YD", AppKind.FORM, questions=[("几位？", AnswerType.NUMBER)])
    make_app(shop, "DC", AppKind.FORM, questions=[("点什么？", AnswerType.TEXT)])
    text("YD")
    assert "几位" in text("DC")  # while YD's question waits, DC is a bad answer to it, not a new form
    with unscoped():
        db.scalar(select(Conversation)).expires_at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        db.commit()
    assert text("dc").endswith("点什么？")
    with unscoped():
        db.expire_all()
        conversations = db.scalars(select(Conversation).order_by(Conversation.id)).all()
        assert [c.closed_at is None for c in conversations] == [False, True]


def test_a_shop_alias_acts_like_the_system_keyword(shop):
    with unscoped():
        db.add(KeywordAlias(tenant_id=shop.id, alias="入会", action=Action.JOIN))
        db.add(KeywordAlias(tenant_id=shop.id, alias="bye", action=Action.STOP))
        db.commit()
    assert "Welcome" in text("入会 王芳") and member().name == "王芳"
    assert "Unsubscribed" in text("BYE") and member().opted_out_at is not None
    assert "Unsubscribed" not in text("bye bye")  # a stop alias must be the whole text, like TD


def test_the_owners_wording_of_a_reply_is_used_in_its_language(shop):
    with unscoped():
        db.add(ReplyText(tenant_id=shop.id, key="welcome", locale="en", text="Hi {name}! You have {points} points."))
        db.commit()
    assert text("ZC Amy").endswith("Hi Amy! You have 50 points.")


def test_apps_are_per_shop(shop, shop_b):
    make_app(shop, "HI", AppKind.AUTO_REPLY, reply_text="Hello from A")
    with unscoped():
        stored = store_inbound("1069001002", PHONE.lstrip("+"), "HI")  # shop B's number
        answer_inbound(stored)
        db.commit()
        reply = db.scalar(select(Message).where(Message.dedupe_key == f"reply:{stored.id}"))
        assert reply.tenant_id == shop_b.tenant.id and "Hello from A" not in reply.body


def test_inbound_texts_are_stored_once(shop):
    make_app(shop, "HI", AppKind.AUTO_REPLY, reply_text="Hello")
    text("HI")
    with unscoped():
        assert db.scalar(select(func.count()).select_from(Message).where(Message.direction == Direction.IN)) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=120), in_form=st.booleans())
def test_arbitrary_text_with_apps_never_fails_to_route(shop, caplog, body, in_form):
    """Whatever a phone sends — inside a form or not, with every kind of app about — is routed without an
    error (the router logs and swallows failures, so the log is what proves it)."""
    if not _apps(shop):
        make_app(shop, "HI", AppKind.AUTO_REPLY, reply_text="Hello {name}")
        make_app(shop, "XP", AppKind.SUBSCRIPTION)
        make_app(shop, "JG", AppKind.LOOKUP, rows=[("拿铁", "28元")])
        make_app(shop, "YD", AppKind.FORM, questions=BOOKING)
    caplog.clear()
    with unscoped():
        db.execute(update(Conversation).values(closed_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
        db.commit()
    phone = "8613800138000"
    with unscoped():
        if in_form:
            started = store_inbound("1069001001", phone, f"YD {next(_SERIAL)}")  # distinct: not a duplicate
            if started is not None:
                answer_inbound(started)
        message = store_inbound("1069001001", phone, body)
        if message is not None:
            answer_inbound(message)
        db.commit()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


_SERIAL = itertools.count()


def _apps(shop):
    with unscoped():
        return db.scalars(select(KeywordApp.id).where(KeywordApp.tenant_id == shop.id)).all()
