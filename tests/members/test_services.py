"""Members: phone numbers, duplicates, birthdays, tags and search."""

import pytest
from sqlalchemy import select

from mcrm.db import db
from mcrm.members.birthdays import Birthday, parse_birthday
from mcrm.members.models import Member, Source
from mcrm.members.services import (
    DuplicateMember,
    MemberError,
    create_member,
    find_at_counter,
    member_query,
    parse_tags,
)
from tenants.isolation import scoped_to
from tenants.models import Tenant


@pytest.fixture
def tenant(ctx, shop_a, shop_b):
    with scoped_to(shop_a.tenant.id):
        yield db.get(Tenant, shop_a.tenant.id)


def test_the_same_number_in_three_formats_is_one_member(tenant):
    member = create_member(tenant, phone="138 0013 8000", source=Source.PORTAL)
    assert member.phone == "+8613800138000" and member.phone_tail == "8000"
    for same in ("+86 138-0013-8000", "008613800138000"):
        with pytest.raises(DuplicateMember) as error:
            create_member(tenant, phone=same, source=Source.PORTAL)
        assert error.value.member.id == member.id


def test_an_invalid_number_is_refused_with_a_clear_message(tenant):
    with pytest.raises(MemberError, match="12345 is not a valid mobile number") as error:
        create_member(tenant, phone="12345", source=Source.PORTAL)
    assert error.value.field == "phone"


def test_the_same_number_may_be_a_member_of_two_shops(ctx, shop_a, shop_b):
    for shop in (shop_a, shop_b):
        with scoped_to(shop.tenant.id):
            create_member(db.get(Tenant, shop.tenant.id), phone="13800138000", source=Source.SMS)
    db.commit()


def test_consent_is_recorded_with_who_and_how(tenant, shop_a):
    member = create_member(tenant, phone="13800138000", source=Source.PORTAL, by_user=shop_a.owner)
    assert member.consent_source == Source.PORTAL and member.consent_at is not None
    assert member.consent_evidence == f"user:{shop_a.owner.id}" and member.consent_by_user_id == shop_a.owner.id
    sms = create_member(tenant, phone="13800138001", source=Source.SMS, consent_evidence="message:42")
    assert sms.consent_evidence == "message:42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990-08-15", Birthday(8, 15, 1990)),
        ("19900815", Birthday(8, 15, 1990)),
        ("08-15", Birthday(8, 15)),
        ("0815", Birthday(8, 15)),
        ("8/15", Birthday(8, 15)),
        ("8月15日", Birthday(8, 15)),
        ("02-29", Birthday(2, 29)),
        ("农历0815", Birthday(8, 15, lunar=True)),
        ("lunar 1990-12-30", Birthday(12, 30, 1990, lunar=True)),
        ("02-30", None),
        ("13-01", None),
        ("农历01-31", None),
        ("1890-01-01", None),
        ("tomorrow", None),
    ],
)
def test_birthdays_as_people_write_them(text, expected):
    assert parse_birthday(text) == expected


def test_tags_from_commas_chinese_commas_and_spaces():
    assert parse_tags("VIP，常客、 vip  weekend,VIP") == ["VIP", "常客", "vip", "weekend"]


def test_search_by_phone_tail_name_and_tag(tenant):
    li = create_member(tenant, phone="13800138000", name="李雷", tags=["VIP"], source=Source.PORTAL)
    han = create_member(tenant, phone="13900008000", name="韩梅梅", source=Source.PORTAL)
    create_member(tenant, phone="13700001234", name="Lucy", source=Source.PORTAL)
    db.commit()

    def found(**kwargs):
        return {m.id for m in db.scalars(member_query(tenant, **kwargs))}

    assert found(q="8000") == {li.id, han.id}
    assert found(q="韩") == {han.id}
    assert found(q="VIP") == {li.id}
    assert found(q="138 0013") == {li.id}
    assert found(tag="VIP") == {li.id}
    assert [m.id for m in find_at_counter(tenant, "8000")] and {m.id for m in find_at_counter(tenant, "8000")} == {
        li.id,
        han.id,
    }
    assert [m.id for m in find_at_counter(tenant, "+86 138 0013 8000")] == [li.id]
    assert db.scalar(select(Member.id).where(Member.name == "Lucy")) not in found(q="8000")
