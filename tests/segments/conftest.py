"""Hand-built members of shop A (Shanghai time) for the segment tests, and a bystander in shop B.

NOW is 17:00 UTC on 15 June 2025, already 01:00 on 16 June in Shanghai: the shop's today is 2025-06-16.

Who (local times are Shanghai's; days since the last visit in brackets):
- ann: female, VIP, born 2000-06-16, 600 points, spent 120.50, 5 visits, last 06-16 00:30 (0), sms,
  joined 2025-06-16 00:00;
- bob: male, Regular, born 2000-06-17, 100 points, 120.49, 1 visit, last 06-15 23:59 (1), portal,
  joined 2025-06-15 23:59:59;
- cat: gender unknown, no tags, born 2000 (year only), 0 points, 0, 0 visits, never visited, import,
  joined 2025-01-01 08:00;
- dan: female, VIP and Regular, lunar birthday 1990-08-15, 500 points, 500, 10 visits, last 05-17 01:00 (30),
  wap, joined 2024-06-16 12:00;
- eve: female, no tags, no birthday, 499 points, 10, 2 visits, last 05-16 01:00 (31), api, joined 2020-01-01;
- olga: matches almost anything (female, VIP, 10000 points, born 2000-06-16) but opted out.

Lists and apps: ann is on the list XP, bob left it; dan is on the list NEWS; ann used the app JG.
RFM classes: ann champions, bob lost, dan at risk (no scores for cat and eve).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import select

from mcrm.analytics.models import MemberScore, RfmClass
from mcrm.apps.models import AppKind, AppSubscriber, AppUse, KeywordApp
from mcrm.db import db
from mcrm.members.models import Gender, Member, Source, Tag
from mcrm.members.services import create_member
from mcrm.segments.compile import audience_query
from tenants.isolation import scoped_to
from tenants.models import Tenant

NOW = dt.datetime(2025, 6, 15, 17, 0, tzinfo=dt.UTC)
UTC = dt.UTC


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


PEOPLE = {
    # name: (gender, tags, birthday (year, month, day, lunar), points, spent, visits, last visit, source, joined)
    "ann": (Gender.FEMALE, ["VIP"], (2000, 6, 16, False), 600, "120.50", 5, at(2025, 6, 15, 16, 30), Source.SMS,
            at(2025, 6, 15, 16, 0)),
    "bob": (Gender.MALE, ["Regular"], (2000, 6, 17, False), 100, "120.49", 1, at(2025, 6, 15, 15, 59), Source.PORTAL,
            at(2025, 6, 15, 15, 59, 59)),
    "cat": (Gender.UNKNOWN, [], (2000, None, None, False), 0, "0", 0, None, Source.IMPORT, at(2025, 1, 1, 0, 0)),
    "dan": (Gender.FEMALE, ["VIP", "Regular"], (1990, 8, 15, True), 500, "500", 10, at(2025, 5, 16, 17, 0), Source.WAP,
            at(2024, 6, 16, 4, 0)),
    "eve": (Gender.FEMALE, [], None, 499, "10", 2, at(2025, 5, 15, 17, 0), Source.API, at(2020, 1, 1, 0, 0)),
    "olga": (Gender.FEMALE, ["VIP"], (2000, 6, 16, False), 10000, "1000", 50, at(2025, 6, 15, 16, 30), Source.SMS,
             at(2025, 6, 1, 0, 0)),
}  # fmt: skip
EVERYONE = {"ann", "bob", "cat", "dan", "eve"}


@pytest.fixture(scope="session", autouse=True)
def _hypothesis_outside_the_repo(tmp_path_factory):
    """Hypothesis caches what it learns in ./.hypothesis; keep that in the test run's temporary folder."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))


@dataclass
class World:
    tenant: Tenant
    members: dict[str, Member]
    tags: dict[str, int]
    xp: int  # subscription list
    news: int  # subscription list
    jg: int  # auto-reply app
    other_tag: int  # shop B's
    other_app: int  # shop B's


def _member(tenant: Tenant, n: int, name: str, spec) -> Member:
    gender, tags, birthday, points, spent, visits, last_visit, source, joined = spec
    member = create_member(tenant, phone=f"1380013{n:04d}", source=source, name=name, gender=gender, tags=tags)
    if birthday:
        member.birthday_year, member.birthday_month, member.birthday_day, member.birthday_lunar = birthday
    member.points_balance, member.total_spent, member.visit_count = points, Decimal(spent), visits
    member.last_visit_at, member.joined_at = last_visit, joined
    return member


@pytest.fixture
def world(ctx, shop_a, shop_b) -> World:
    with scoped_to(shop_b.tenant.id):
        tenant_b = db.get(Tenant, shop_b.tenant.id)
        stranger = create_member(tenant_b, phone="13800139999", source=Source.SMS, name="ann", tags=["VIP"])
        other_app = KeywordApp(tenant_id=tenant_b.id, keyword="jg", kind=AppKind.AUTO_REPLY, name="B's JG")
        db.add(other_app)
        db.flush()
        db.add(AppUse(tenant_id=tenant_b.id, app_id=other_app.id, member_id=stranger.id))
        other_tag = db.scalar(select(Tag.id).where(Tag.tenant_id == tenant_b.id))
        db.commit()
        other_app_id = other_app.id
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.timezone = "Asia/Shanghai"
        members = {name: _member(tenant, n, name, spec) for n, (name, spec) in enumerate(PEOPLE.items())}
        members["olga"].opted_out_at = at(2025, 6, 2)
        xp = KeywordApp(tenant_id=tenant.id, keyword="xp", kind=AppKind.SUBSCRIPTION, name="New products")
        news = KeywordApp(tenant_id=tenant.id, keyword="news", kind=AppKind.SUBSCRIPTION, name="News")
        jg = KeywordApp(tenant_id=tenant.id, keyword="jg", kind=AppKind.LOOKUP, name="Prices")
        db.add_all([xp, news, jg])
        db.flush()
        db.add_all(
            [
                AppSubscriber(tenant_id=tenant.id, app_id=xp.id, member_id=members["ann"].id),
                AppSubscriber(tenant_id=tenant.id, app_id=xp.id, member_id=members["bob"].id, left_at=NOW),
                AppSubscriber(tenant_id=tenant.id, app_id=news.id, member_id=members["dan"].id),
                AppSubscriber(tenant_id=tenant.id, app_id=xp.id, member_id=members["olga"].id),
                AppUse(tenant_id=tenant.id, app_id=jg.id, member_id=members["ann"].id),
            ]
        )
        for name, rfm_class in (("ann", RfmClass.CHAMPIONS), ("bob", RfmClass.LOST), ("dan", RfmClass.AT_RISK)):
            db.add(
                MemberScore(
                    tenant_id=tenant.id,
                    member_id=members[name].id,
                    frequency=1,
                    monetary=Decimal("1"),
                    r=3,
                    f=3,
                    m=3,
                    rfm_class=rfm_class,
                )
            )
        db.commit()
        tags = dict(db.execute(select(Tag.name, Tag.id).where(Tag.tenant_id == tenant.id)).tuples().all())
        yield World(tenant, members, tags, xp.id, news.id, jg.id, other_tag, other_app_id)


def who(world: World, definition: dict, now: dt.datetime = NOW) -> set[str]:
    """The names of the members the definition selects."""
    ids = audience_query(world.tenant, definition, now).subquery()
    return set(db.scalars(select(Member.name).where(Member.id.in_(select(ids.c.member_id)))))


def one(field: str, op: str, value=None) -> dict:
    """A definition of one condition."""
    return {"match": "all", "groups": [{"match": "all", "conditions": [{"field": field, "op": op, "value": value}]}]}
