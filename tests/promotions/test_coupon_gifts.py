"""Coupons as gifts: a birthday greeting and a survey's thanks carry a personal code the cashier redeems,
and promotions still give theirs."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from mcrm.apps.models import Conversation
from mcrm.care.models import GreetingKind
from mcrm.care.send import send_greetings
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Message
from mcrm.points.models import Channel
from mcrm.promotions.coupon_codes import free_prefix, insert_coupons
from mcrm.promotions.coupons import coupon_view, redeem
from mcrm.promotions.models import Coupon, Promotion, PromotionRun
from mcrm.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyStatus
from mcrm.surveys.runtime import continue_survey, start_survey
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.care import add_member, add_rule

DAY = dt.date(2027, 9, 15)
MORNING = dt.datetime(2027, 9, 15, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
CODE = re.compile(r"[A-Z]{3}\d{6}")


@pytest.fixture
def tenant(ctx, shop_a):
    with scoped_to(shop_a.tenant.id):
        yield db.get(Tenant, shop_a.tenant.id)


def test_a_birthday_greeting_gives_each_member_a_coupon_the_cashier_redeems(tenant):
    ann = add_member(tenant, "+8613900000001", "Ann", birthday_month=9, birthday_day=15)
    add_member(tenant, "+8613900000002", "Bo", birthday_month=9, birthday_day=15)
    add_member(tenant, "+8613900000003", "Not today", birthday_month=9, birthday_day=16)
    rule = add_rule(
        tenant, GreetingKind.BIRTHDAY, template="Happy birthday {name}! Show {coupon}.", coupon_offer="A free cake"
    )
    run = send_greetings(tenant, rule, DAY, MORNING, MORNING)
    db.commit()
    messages = db.scalars(select(Message).where(Message.tenant_id == tenant.id).order_by(Message.phone)).all()
    codes = [CODE.search(m.body).group() for m in messages]
    assert [m.phone for m in messages] == ["+8613900000001", "+8613900000002"]
    assert len(set(codes)) == 2 and codes[0][:3] == codes[1][:3]
    coupons = db.scalars(select(Coupon).where(Coupon.tenant_id == tenant.id).order_by(Coupon.code)).all()
    assert sorted(codes) == [c.code for c in coupons]
    assert {c.greeting_run_id for c in coupons} == {run.id} and {c.run_id for c in coupons} == {None}
    assert all(c.expires_at == MORNING + dt.timedelta(days=30) for c in coupons)

    coupon = redeem(tenant, codes[0].lower(), None, Channel.PORTAL, MORNING)
    assert coupon.member_id == ann.id and coupon.redeemed_at is not None
    view = coupon_view(tenant, coupon, MORNING)
    assert (view.offer, view.promotion, view.member_name) == ("A free cake", rule.name, "Ann")


def test_completing_a_survey_gives_one_coupon_in_the_thanks(tenant):
    member = add_member(tenant, "+8613900000001", "Ann")
    survey = Survey(
        tenant_id=tenant.id,
        name="Lunch",
        thank_you="Thanks {name}! Your code: {coupon}",
        status=SurveyStatus.OPEN,
        coupon_offer="10% off",
        coupon_valid_days=7,
    )
    survey.questions = [SurveyQuestion(tenant_id=tenant.id, position=0, prompt="Good?", kind=QuestionKind.YES_NO)]
    db.add(survey)
    db.flush()
    start_survey(tenant, survey, member.phone, member, MORNING)
    conversation = db.scalar(select(Conversation).where(Conversation.tenant_id == tenant.id))
    thanks = continue_survey(tenant, conversation, SimpleNamespace(body="Y"), member, MORNING)
    db.commit()
    code = CODE.search(thanks).group()
    assert thanks == f"Thanks Ann! Your code: {code}"
    coupon = db.scalar(select(Coupon).where(Coupon.tenant_id == tenant.id))
    assert (coupon.code, coupon.member_id, coupon.run_id) == (code, member.id, None)
    assert coupon.survey_response_id is not None
    assert coupon.expires_at == MORNING + dt.timedelta(days=7)
    assert coupon_view(tenant, coupon, MORNING).offer == "10% off"
    redeem(tenant, code, None, Channel.PORTAL, MORNING)


def test_promotion_coupons_are_distinct_and_keep_clear_of_other_prefixes(tenant):
    members = [add_member(tenant, f"+86139000000{i:02d}", f"M{i}") for i in range(5)]
    rule = add_rule(tenant, GreetingKind.BIRTHDAY, template="{coupon}", coupon_offer="Cake")
    greeted = send_greetings(tenant, rule, DAY, MORNING, MORNING)  # nobody has a birthday: no coupons
    assert greeted.messages == 0
    promotion = Promotion(
        tenant_id=tenant.id, name="P", body="{coupon}", definition={"match": "all", "groups": []}, coupon_enabled=True
    )
    db.add(promotion)
    db.flush()
    run = PromotionRun(
        tenant_id=tenant.id, promotion_id=promotion.id, due_at=MORNING, coupon_prefix=free_prefix(tenant)
    )
    db.add(run)
    db.flush()
    chosen = select(Member.id.label("member_id")).where(Member.tenant_id == tenant.id).subquery("recipients")
    insert_coupons(tenant, run.coupon_prefix, chosen, {"run_id": run.id}, len(members), MORNING)
    codes = db.scalars(select(Coupon.code).where(Coupon.run_id == run.id)).all()
    assert len(codes) == 5 == len(set(codes)) and all(c.startswith(run.coupon_prefix) for c in codes)
    assert free_prefix(tenant) != run.coupon_prefix
