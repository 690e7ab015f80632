"""The owner's Keywords & replies page: aliases for system keywords and their own reply wording, and the
member's reply language on the member form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mcrm.db import db
from mcrm.keywords.models import KeywordAlias, ReplyText
from mcrm.keywords.system import Action
from mcrm.members.models import Member
from tenants.isolation import unscoped
from tests.conftest import log_in
from tests.keywords.test_router import member, text


@pytest.fixture
def owner(ctx, client, shop_a):
    log_in(client, "owner-a@example.com")
    return client


def _aliases(tenant_id):
    with unscoped():
        db.expire_all()
        return {a.alias: a.action for a in db.scalars(select(KeywordAlias).where(KeywordAlias.tenant_id == tenant_id))}


def test_the_page_lists_the_system_keywords(owner):
    page = owner.get("/keywords/").get_data(as_text=True)
    for word in ("ZC", "JOIN", "TD", "STOPALL", "退订", "JF", "反馈"):
        assert f"<code>{word}</code>" in page


def test_an_alias_is_added_normalised_and_then_works(owner, shop_a):
    response = owner.post("/keywords/", data={"alias": " ＶＩＰ ", "action": "join"}, follow_redirects=True)
    assert "Keyword added." in response.get_data(as_text=True)
    assert _aliases(shop_a.tenant.id) == {"vip": Action.JOIN}
    assert "Welcome" in text("vip 王芳") and member().name == "王芳"


@pytest.mark.parametrize(
    ("word", "problem"),
    [
        ("td", "TD is a system keyword."),
        ("积分卡", "积分卡 would be read as the system keyword 积分."),
        ("XF", "XF is kept for shop commands by SMS."),
        ("two words", "A keyword is one word, without spaces."),
    ],
)
def test_an_alias_that_collides_is_refused_with_the_reason(owner, shop_a, word, problem):
    page = owner.post("/keywords/", data={"alias": word, "action": "join"}).get_data(as_text=True)
    assert problem in page and _aliases(shop_a.tenant.id) == {}


def test_an_alias_cannot_be_taken_twice(owner, shop_a):
    owner.post("/keywords/", data={"alias": "bye", "action": "stop"})
    page = owner.post("/keywords/", data={"alias": "BYE", "action": "help"}).get_data(as_text=True)
    assert "BYE is already one of this shop&#39;s keyword aliases." in page
    assert _aliases(shop_a.tenant.id) == {"bye": Action.STOP}


def test_an_alias_is_removed(owner, shop_a):
    owner.post("/keywords/", data={"alias": "bye", "action": "stop"})
    with unscoped():
        alias_id = db.scalar(select(KeywordAlias.id))
    owner.post(f"/keywords/aliases/{alias_id}/delete")
    assert _aliases(shop_a.tenant.id) == {}
    assert "Unsubscribed" not in text("BYE")


def test_the_owners_reply_wording_is_saved_per_language_and_used(owner, shop_a):
    owner.post("/keywords/replies", data={"help-en": "Text ZC to join {shop}!", "help-zh_CN": ""})
    with unscoped():
        db.expire_all()
        rows = db.scalars(select(ReplyText)).all()
        assert [(r.key, r.locale, r.text) for r in rows] == [("help", "en", "Text ZC to join {shop}!")]
    assert text("hello").endswith("Text ZC to join Shop A!")
    owner.post("/keywords/replies", data={"help-en": ""})  # empty: back to the standard wording
    assert text("hello?", phone="+8613900139000").endswith("Text ZC to join, JF for points, FK + feedback, TD to stop.")


def test_a_reply_that_is_too_long_is_refused(owner, shop_a):
    page = owner.post("/keywords/replies", data={"help-en": "x" * 301}, follow_redirects=True).get_data(as_text=True)
    assert "A reply has at most 300 characters." in page
    with unscoped():
        assert db.scalar(select(ReplyText)) is None


def test_staff_cannot_change_keywords(client, shop_a):
    log_in(client, "staff-a@example.com")
    assert client.get("/keywords/").status_code == 403
    client.post("/keywords/", data={"alias": "vip", "action": "join"})
    assert _aliases(shop_a.tenant.id) == {}


def test_the_member_form_sets_the_reply_language(owner, shop_a):
    owner.post("/members/new", data={"phone": "13800138000", "name": "Amy", "gender": "unknown", "locale": "en"})
    with unscoped():
        db.expire_all()
        assert db.scalar(select(Member.locale)) == "en"
    assert "You have" in text("积分")  # a Chinese keyword, answered in the member's language
