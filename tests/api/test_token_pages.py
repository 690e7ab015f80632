"""The owner's API token pages: create (shown once), list (prefix only), revoke; staff may not."""

import re

import pytest
from sqlalchemy import select

from mcrm.api.models import ApiToken
from tests.api.conftest import Api, make_token, read
from tests.conftest import log_in

TOKEN = re.compile(r"mcrm_[A-Za-z0-9_-]{43}")


def _create(client, name="Front counter POS"):
    response = client.post("/settings/api-tokens/", data={"name": name})
    assert response.status_code == 200
    return TOKEN.findall(response.get_data(as_text=True)), response


def test_the_owner_creates_a_token_that_is_shown_once_and_works(app, client, shop_a):
    log_in(client, "owner-a@example.com")
    found, response = _create(client)
    assert len(set(found)) == 1 and response.headers["Cache-Control"] == "no-store"
    text = found[0]
    listing = client.get("/settings/api-tokens/").get_data(as_text=True)
    assert "Front counter POS" in listing and text[:12] in listing
    assert text not in listing and not TOKEN.search(listing)
    ((created_by,),) = read(select(ApiToken.created_by_id))
    assert created_by == shop_a.owner.id
    api = Api(app.test_client(), text)
    assert api.post("/members", json={"phone": "13800138000"}).status_code == 201
    assert "Never" not in client.get("/settings/api-tokens/").get_data(as_text=True)


def test_a_token_needs_a_name(client, shop_a):
    log_in(client, "owner-a@example.com")
    response = client.post("/settings/api-tokens/", data={"name": "  "})
    assert response.status_code == 422 and not TOKEN.search(response.get_data(as_text=True))
    assert read(select(ApiToken.id)) == []


def test_the_owner_revokes_a_token_and_it_stops_working(app, client, shop_a):
    log_in(client, "owner-a@example.com")
    (text,), _response = _create(client)
    ((token_id,),) = read(select(ApiToken.id))
    response = client.post(f"/settings/api-tokens/{token_id}/revoke", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "revoked" in page and "Revoked" in page
    assert Api(app.test_client(), text).get("/members").status_code == 401
    assert read(select(ApiToken.revoked_at))[0][0] is not None


def test_the_list_shows_only_the_shops_own_tokens(client, shop_a, shop_b):
    log_in(client, "owner-b@example.com")
    _create(client, "B's till")
    client.post("/logout")
    log_in(client, "owner-a@example.com")
    assert "B&#39;s till" not in client.get("/settings/api-tokens/").get_data(as_text=True)


def test_another_shops_owner_cannot_revoke_a_token(app, client, shop_a, shop_b):
    log_in(client, "owner-a@example.com")
    (text,), _response = _create(client)
    ((token_id,),) = read(select(ApiToken.id))
    other = app.test_client()
    log_in(other, "owner-b@example.com")
    assert other.post(f"/settings/api-tokens/{token_id}/revoke").status_code == 404
    assert Api(app.test_client(), text).get("/members").status_code == 200


@pytest.mark.parametrize("method, path", [("GET", ""), ("POST", ""), ("POST", "{id}/revoke")])
def test_staff_may_not_manage_tokens(app, client, shop_a, method, path):
    text = make_token(app, shop_a)
    ((token_id,),) = read(select(ApiToken.id))
    log_in(client, "staff-a@example.com")
    response = client.open(f"/settings/api-tokens/{path.format(id=token_id)}", method=method, data={"name": "x"})
    assert response.status_code == 403 and text[:12] not in response.get_data(as_text=True)
    assert read(select(ApiToken.id, ApiToken.revoked_at)) == [(token_id, None)]
