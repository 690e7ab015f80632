"""Self-service sign-up of a new shop."""

from sqlalchemy import func, select

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Role, Tenant, User
from tests.conftest import PASSWORD

FORM = {
    "shop_name": "Lily Salon",
    "owner_name": "Lily",
    "login": "lily@example.com",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "locale": "en",
}


def test_signup_creates_the_shop_and_its_owner_and_logs_in(client, shop_a):
    response = client.post("/signup", data=FORM)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert (
        "Lily Salon" in page and "1069001003" in page
    )  # short code + the next free extension (shops A and B have 1001, 1002)
    with unscoped():
        tenant = db.scalar(select(Tenant).where(Tenant.name == "Lily Salon"))
        owner = db.scalar(select(User).where(User.email == "lily@example.com"))
    assert owner.tenant_id == tenant.id and owner.role == Role.OWNER and tenant.locale == "en"


def test_signup_with_a_taken_login_or_weak_password_explains_and_creates_nothing(client, shop_a):
    taken = client.post("/signup", data={**FORM, "login": "owner-a@example.com"}).get_data(as_text=True)
    assert "already has an account" in taken
    weak = client.post("/signup", data={**FORM, "password": "password1", "confirm": "password1"})
    assert "too common" in weak.get_data(as_text=True)
    mismatch = client.post("/signup", data={**FORM, "confirm": "Other-Horse-Battery"})
    assert "The passwords differ." in mismatch.get_data(as_text=True)
    with unscoped():
        assert db.scalar(select(func.count()).select_from(Tenant)) == 2
