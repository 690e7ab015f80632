"""Every route that takes an object id answers 404 to another shop's user and changes nothing.

The routes come from the app's URL map, so a new id-bearing route fails here until `OBJECTS` says
how to make an object of shop A for it.
"""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from mcrm.api.services import create_token
from mcrm.apps.models import AppKind, KeywordApp
from mcrm.care.models import GreetingKind, GreetingRule
from mcrm.db import Base, db, utcnow
from mcrm.feedback.models import Feedback, FeedbackKind
from mcrm.members.imports import create_import
from mcrm.members.models import Member, Source
from mcrm.members.services import create_member
from mcrm.points.models import Channel, Purchase, Reward
from mcrm.points.services import record_purchase
from mcrm.promotions.models import Coupon, Promotion, PromotionRun, PromotionStatus
from mcrm.reminders.models import Reminder
from mcrm.segments.models import Segment
from mcrm.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyStatus
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.api.conftest import make_token
from tests.conftest import log_in


def _member(shop):
    tenant = db.get(Tenant, shop.tenant.id)
    member = db.scalar(select(Member)) or create_member(tenant, phone="13800138000", source=Source.PORTAL)
    db.flush()
    return member


def _purchase(shop):
    member = _member(shop)
    record_purchase(db.get(Tenant, shop.tenant.id), member, Decimal("10"), channel=Channel.PORTAL)
    return db.scalar(select(Purchase.id))


def _reward(shop):
    reward = Reward(tenant_id=shop.tenant.id, name="Coffee", points_cost=10)
    db.add(reward)
    db.flush()
    return reward.id


def _feedback(shop):
    feedback = Feedback(tenant_id=shop.tenant.id, kind=FeedbackKind.COMPLAINT, phone="+8613800138000", text="Cold")
    db.add(feedback)
    db.flush()
    return feedback.id


def _alias(shop):
    from mcrm.keywords.models import KeywordAlias
    from mcrm.keywords.system import Action

    alias = KeywordAlias(tenant_id=shop.tenant.id, alias="vip", action=Action.JOIN)
    db.add(alias)
    db.flush()
    return alias.id


def _keyword_app(shop):
    app = KeywordApp(tenant_id=shop.tenant.id, keyword="yd", kind=AppKind.FORM, name="Booking", enabled=True)
    db.add(app)
    db.flush()
    return app.id


EVERYONE = {"match": "all", "groups": []}


def _segment(shop):
    segment = Segment(tenant_id=shop.tenant.id, name="Regulars", definition=EVERYONE)
    db.add(segment)
    db.flush()
    return segment.id


def _promotion(shop):
    """A scheduled promotion: the state in which every route (edit, cancel) could still change it."""
    soon = utcnow() + dt.timedelta(days=1)
    promotion = Promotion(
        tenant_id=shop.tenant.id,
        name="Weekend",
        body="Hello {name}",
        definition=EVERYONE,
        status=PromotionStatus.SCHEDULED,
        send_at=soon,
        next_run_at=soon,
    )
    db.add(promotion)
    db.flush()
    return promotion


def _coupon(shop):
    promotion = _promotion(shop)
    run = PromotionRun(tenant_id=shop.tenant.id, promotion_id=promotion.id, due_at=utcnow())
    db.add(run)
    db.flush()
    expires_at = utcnow() + dt.timedelta(days=30)
    db.add(
        Coupon(
            tenant_id=shop.tenant.id, run_id=run.id, member_id=_member(shop).id, code="KPW482931", expires_at=expires_at
        )
    )
    db.flush()
    return "KPW482931"


def _greeting_rule(shop):
    rule = GreetingRule(tenant_id=shop.tenant.id, kind=GreetingKind.HOLIDAY, name="Christmas", holiday_key="Christmas")
    db.add(rule)
    db.flush()
    return rule.id


def _reminder(shop):
    at = utcnow() + dt.timedelta(days=1)
    reminder = Reminder(tenant_id=shop.tenant.id, text="Delivery", first_at=at, next_at=at)
    db.add(reminder)
    db.flush()
    return reminder.id


def _survey(shop):
    """An open survey with a question: the state in which every route (edit, close, send) could change it."""
    survey = Survey(tenant_id=shop.tenant.id, name="Meal", status=SurveyStatus.OPEN)
    survey.questions.append(
        SurveyQuestion(tenant_id=shop.tenant.id, position=1, prompt="How was it?", kind=QuestionKind.RATING5)
    )
    db.add(survey)
    db.flush()
    return survey.id


# URL argument name -> a function making an object of shop A (in shop A's scope) and giving its id.
OBJECTS = {
    "user_id": lambda shop: shop.staff.id,
    "tenant_id": lambda shop: shop.tenant.id,
    "member_id": lambda shop: _member(shop).id,
    "purchase_id": _purchase,
    "reward_id": _reward,
    "app_id": _keyword_app,
    "alias_id": _alias,
    "feedback_id": _feedback,
    "segment_id": _segment,
    "promotion_id": lambda shop: _promotion(shop).id,
    "reminder_id": _reminder,
    "rule_id": _greeting_rule,
    "survey_id": _survey,
    "code": _coupon,
    "token_id": lambda shop: create_token(db.get(Tenant, shop.tenant.id), "Till")[0].id,
    "job_id": lambda shop: (
        create_import(
            db.get(Tenant, shop.tenant.id), None, filename="m.csv", data="手机号,姓名\n13900139000,王芳\n".encode()
        ).id
    ),
    # The API's catch-all for unknown addresses: any path must answer 404 there too.
    "path": lambda shop: "members/1/no-such-thing",
}


# What a form post from the other shop would carry: enough to change something if the route let it through.
INTRUSION = {
    "name": "intruder",
    "role": "staff",
    "plan": "monthly",
    "action": "purchase",
    "amount": "10",
    "points": "5",
    "reason": "x",
    "confirm": "y",
    "phone": "13900139000",
    "gender": "male",
    "buy-amount": "10",
    "points_per_unit": "1",
    "points_min_amount": "0",
    "welcome_bonus": "0",
    "sms-body": "intruder",
    "body": "intruder {name}",
    "definition": '{"match": "all", "groups": []}',
    "when": "now",
    "enabled": "1",
    "template": "intruder {name}",
    "send_hour": "10",
    "gift_points": "0",
}


# URL parts that name something every shop has, not an object of one shop: each shop sees its own (an RFM
# class lists the shop's own members; tests/analytics/test_rfm_views.py checks shop B's never show).
NAMES = {"rfm_class"}


def id_bearing_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static" and rule.arguments - NAMES]


def _snapshot():
    with db.connection() as conn:
        return {
            t.name: conn.execute(select(t).order_by(*t.primary_key.columns)).all()
            for t in Base.metadata.sorted_tables
            if t.name != "process_heartbeats"
        }


def test_every_id_bearing_route_is_covered(app):
    uncovered = {
        rule.rule: sorted(set(rule.arguments) - OBJECTS.keys())
        for rule in id_bearing_rules(app)
        if set(rule.arguments) - OBJECTS.keys()
    }
    assert not uncovered, f"tell OBJECTS how to make these objects for the isolation test: {uncovered}"


def test_another_shops_objects_answer_404_and_stay_unchanged(app, client, shop_a, shop_b):
    rules = id_bearing_rules(app)
    assert len(rules) >= 2
    with app.app_context(), scoped_to(shop_a.tenant.id):
        ids = {arg: make(shop_a) for arg, make in OBJECTS.items()}
        db.commit()
    # Shop B's owner in the portal, and shop B's token for the API (used once first: that records its
    # last use, which is the only write an API call of another shop may cause).
    log_in(client, "owner-b@example.com")
    headers = {"Authorization": f"Bearer {make_token(app, shop_b)}"}
    assert client.get("/api/v1/members", headers=headers).status_code == 200
    before = _snapshot()
    db.remove()
    for rule in rules:
        values = {arg: ids[arg] for arg in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint.startswith("api."):
                response = client.open(url, method=method, json=INTRUSION, headers=headers)
            else:
                response = client.open(url, method=method, data=INTRUSION)
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
    assert _snapshot() == before
    db.remove()


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_own_objects_are_reachable_so_the_404s_mean_something(client, shop_a, role):
    log_in(client, f"{role}-a@example.com")
    expected = 200 if role == "owner" else 403
    assert client.get(f"/staff/{shop_a.staff.id}/edit").status_code == expected
