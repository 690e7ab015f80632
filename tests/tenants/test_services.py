"""Creating shops: extensions, slugs, owners, and the password rule."""

import pytest
from sqlalchemy import select

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Role, Tenant, TenantStatus
from tenants.passwords import password_problem, verify_password
from tenants.services import TenantError, add_staff, create_tenant
from tests.conftest import PASSWORD


def _create(name, login, **kwargs):
    tenant = create_tenant(name=name, owner_name="Boss", owner_login=login, owner_password=PASSWORD, **kwargs)
    db.commit()
    return tenant


def test_new_shop_gets_next_free_extension_slug_signature_and_owner(ctx):
    first = _create("老王烧烤", "wang@example.com")
    second = _create("Lily Salon", "13800138000")
    assert (first.sms_extension, second.sms_extension) == ("1001", "1002")
    assert first.slug == "lao-wang-shao-kao"
    assert first.signature == "【老王烧烤】"
    assert (first.timezone, first.status, first.locale) == ("Asia/Shanghai", TenantStatus.ACTIVE, "zh_CN")
    with unscoped():
        owner = second.users[0]
    assert owner.role == Role.OWNER and owner.phone == "+8613800138000" and owner.email is None
    assert owner.password_hash.startswith("scrypt:") and verify_password(owner.password_hash, PASSWORD)


def test_same_name_gets_a_distinct_slug_and_chosen_extension_is_kept(ctx):
    _create("Lily Salon", "a@example.com")
    other = _create("Lily Salon", "b@example.com", extension="88")
    assert other.slug == "lily-salon-2" and other.sms_extension == "88"
    with pytest.raises(TenantError, match="already in use"):
        _create("Third", "c@example.com", extension="88")


def test_a_chosen_extension_may_not_be_a_prefix_of_another(ctx):
    _create("One", "one@example.com")  # 1001
    for clash in ("10", "100", "10011"):
        with pytest.raises(TenantError, match="already in use"):
            _create("Two", "two@example.com", extension=clash)
    assert _create("Two", "two@example.com", extension="88").sms_extension == "88"
    assert _create("Three", "three@example.com").sms_extension == "1002"


def test_login_must_be_unique_and_valid(ctx):
    _create("One", "same@example.com")
    with pytest.raises(TenantError, match="already has an account"):
        _create("Two", "SAME@example.com")
    db.rollback()
    with pytest.raises(TenantError, match="valid mobile"):
        _create("Three", "12345")
    db.rollback()
    with unscoped():
        assert db.scalar(select(Tenant.name).where(Tenant.name != "One")) is None


@pytest.mark.parametrize("password", ["short1!", "password1", "12345678", "qwertyuiop"])
def test_weak_passwords_are_refused(ctx, password):
    assert password_problem(password) is not None


def test_a_strong_password_is_accepted(ctx):
    assert password_problem("laowang-bbq-2026") is None


def test_plan_limits_the_number_of_users(shop_a):
    # The trial plan allows two users; shop A has its owner and one staff member.
    with unscoped(), pytest.raises(TenantError, match="plan allows 2"):
        add_staff(shop_a.tenant, name="Third", login="third@example.com", password=PASSWORD)
