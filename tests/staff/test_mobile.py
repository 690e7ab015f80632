"""The owner registers the mobile each user texts shop commands from (their own too)."""

import pytest
from sqlalchemy import select

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import User
from tenants.plans import Plan
from tests.conftest import PASSWORD, log_in


def _user(user_id):
    with unscoped():
        db.expunge_all()
        return db.get(User, user_id)


@pytest.fixture
def owner(client, shop_a):
    log_in(client, "owner-a@example.com")
    return client


def _edit(client, user, **data):
    form = {"name": user.name, "role": user.role.value, "active": "y"} | data
    return client.post(f"/staff/{user.id}/edit", data=form)


def test_the_owner_registers_a_mobile_for_staff_and_for_themselves(owner, shop_a):
    assert _edit(owner, shop_a.staff, mobile="139 0013 9001").status_code == 302
    assert _edit(owner, shop_a.owner, mobile="+86 139-0013-9002").status_code == 302
    assert (_user(shop_a.staff.id).phone, _user(shop_a.owner.id).phone) == ("+8613900139001", "+8613900139002")
    listing = owner.get("/staff/").get_data(as_text=True)
    assert "+8613900139001" in listing and "+8613900139002" in listing
    assert f"/staff/{shop_a.owner.id}/edit" in listing
    assert 'value="+8613900139001"' in owner.get(f"/staff/{shop_a.staff.id}/edit").get_data(as_text=True)
    # The staff member can now log in with it, too.
    assert log_in(owner.application.test_client(), "13900139001").status_code == 302
    _edit(owner, shop_a.staff, mobile="")
    assert _user(shop_a.staff.id).phone is None


@pytest.mark.parametrize("taken_by", ["owner-a", "owner-b"])
def test_a_mobile_already_registered_to_someone_is_refused(owner, shop_a, shop_b, taken_by):
    other = shop_a.owner if taken_by == "owner-a" else shop_b.owner
    with unscoped():
        db.get(User, other.id).phone = "+8613900139001"
        db.commit()
    page = _edit(owner, shop_a.staff, mobile="13900139001").get_data(as_text=True)
    assert "already registered to another user" in page
    assert _user(shop_a.staff.id).phone is None


def test_a_mobile_that_is_not_one_is_refused(owner, shop_a):
    assert "12345 is not a valid mobile number" in _edit(owner, shop_a.staff, mobile="12345").get_data(as_text=True)


def test_a_new_staff_member_gets_a_mobile_with_their_email_login(owner, shop_a):
    with unscoped():
        db.get(type(shop_a.tenant), shop_a.tenant.id).plan = Plan.MONTHLY
        db.commit()
    data = {"name": "小李", "login": "li@example.com", "mobile": "13900139003", "password": PASSWORD, "role": "staff"}
    assert owner.post("/staff/new", data=data).status_code == 302
    with unscoped():
        assert db.scalar(select(User.phone).where(User.email == "li@example.com")) == "+8613900139003"
    clash = data | {"login": "wang@example.com", "name": "小王"}
    assert "already registered" in owner.post("/staff/new", data=clash).get_data(as_text=True)
    mismatch = data | {"login": "13900139004", "mobile": "13900139005", "name": "小张"}
    assert "also the one they text from" in owner.post("/staff/new", data=mismatch).get_data(as_text=True)
    with unscoped():
        assert db.scalar(select(User.id).where(User.name.in_(["小王", "小张"]))) is None


def test_a_user_who_logs_in_with_their_mobile_keeps_it(owner, shop_a):
    with unscoped():
        user = db.get(User, shop_a.staff.id)
        user.email, user.phone = None, "+8613900139001"
        db.commit()
    page = _edit(owner, _user(shop_a.staff.id), mobile="").get_data(as_text=True)
    assert "cannot be removed" in page and _user(shop_a.staff.id).phone == "+8613900139001"
