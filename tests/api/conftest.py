"""API fixtures: a token for each shop and a client that sends it."""

from __future__ import annotations

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import select

from mcrm.api.services import create_token
from mcrm.db import Base, db
from tenants.isolation import scoped_to, unscoped


@pytest.fixture(scope="session", autouse=True)
def _hypothesis_outside_the_repo(tmp_path_factory):
    """Hypothesis caches what it learns in ./.hypothesis; keep that in the test run's temporary folder."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))


def make_token(app, shop, name: str = "Front counter") -> str:
    with app.app_context(), scoped_to(shop.tenant.id):
        _token, text = create_token(shop.tenant, name)
        db.commit()
    db.remove()
    return text


class Api:
    """The test client with a shop's Bearer token on every request."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def open(self, method: str, url: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{url}", method=method, headers=headers, **kwargs)

    def get(self, url, **kwargs):
        return self.open("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.open("POST", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.open("PATCH", url, **kwargs)

    def new_member(self, phone: str = "13800138000", **fields) -> dict:
        response = self.post("/members", json={"phone": phone, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def api_a(app, shop_a) -> Api:
    return Api(app.test_client(), make_token(app, shop_a))


@pytest.fixture
def api_b(app, shop_b) -> Api:
    return Api(app.test_client(), make_token(app, shop_b))


def read(query):
    """Rows straight from the database, past the tenant scope, in a session that is then released."""
    with unscoped():
        db.expunge_all()
        rows = db.execute(query).all()
    db.remove()
    return rows


def snapshot() -> dict:
    """Every table's rows, to show that a request changed nothing."""
    return {
        t.name: read(select(t).order_by(*t.primary_key.columns))
        for t in Base.metadata.sorted_tables
        if t.name != "process_heartbeats"
    }
