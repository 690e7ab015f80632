"""Bearer tokens: missing, unknown, revoked and suspended-shop tokens answer 401 in JSON."""

import pytest
from sqlalchemy import select, update

from mcrm.api.models import ApiToken
from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Tenant, TenantStatus
from tests.api.conftest import Api, make_token, read
from tests.conftest import log_in


def _assert_401(response, message):
    assert response.status_code == 401
    assert response.is_json and message in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_request_without_a_token_answers_401_in_json(client, shop_a):
    _assert_401(client.get("/api/v1/members"), "Authorization: Bearer")
    _assert_401(client.get("/api/v1/members", headers={"Authorization": "Basic dXNlcjpwdw=="}), "Bearer")


def test_a_logged_in_owner_still_needs_a_token(client, shop_a):
    log_in(client, "owner-a@example.com")
    _assert_401(client.get("/api/v1/members"), "Authorization: Bearer")


@pytest.mark.parametrize("token", ["mcrm_not-a-real-token", "something-else", "mcrm_"])
def test_an_unknown_token_answers_401(client, shop_a, token):
    response = client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"})
    _assert_401(response, "not valid")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_valid_token_works_and_its_use_is_recorded(app, api_a):
    assert api_a.get("/members").status_code == 200
    (used,) = read(select(ApiToken.last_used_at))[0]
    assert used is not None


def test_a_revoked_token_answers_401(app, api_a):
    assert api_a.get("/members").status_code == 200
    with unscoped():
        db.execute(update(ApiToken).values(revoked_at=ApiToken.created_at))
        db.commit()
    db.remove()
    _assert_401(api_a.get("/members"), "revoked")


def test_a_suspended_shops_token_answers_401_and_works_again_when_reactivated(app, shop_a, api_a):
    def set_status(status):
        with unscoped():
            db.execute(update(Tenant).where(Tenant.id == shop_a.tenant.id).values(status=status))
            db.commit()
        db.remove()

    set_status(TenantStatus.SUSPENDED)
    _assert_401(api_a.post("/members", json={"phone": "13800138000"}), "suspended")
    set_status(TenantStatus.ACTIVE)
    assert api_a.get("/members").status_code == 200


def test_two_tokens_of_one_shop_both_work_and_revoking_one_leaves_the_other(app, client, shop_a):
    first, second = Api(client, make_token(app, shop_a, "Till 1")), Api(client, make_token(app, shop_a, "Till 2"))
    with unscoped():
        db.execute(update(ApiToken).where(ApiToken.name == "Till 1").values(revoked_at=ApiToken.created_at))
        db.commit()
    db.remove()
    assert first.get("/members").status_code == 401
    assert second.get("/members").status_code == 200


def test_the_token_is_stored_only_as_its_hash(app, shop_a):
    text = make_token(app, shop_a)
    ((token_hash, prefix),) = read(select(ApiToken.token_hash, ApiToken.prefix))
    assert text.startswith("mcrm_") and len(text) > 40
    assert text not in token_hash and len(token_hash) == 64 and text.startswith(prefix) and len(prefix) == 12


def test_the_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.")
