"""Every route that takes an object id answers 404 to another shop's user and changes nothing.

The routes come from the app's URL map, so a new id-bearing route fails here until `OBJECTS` says
how to make an object of shop A for it.
"""

import pytest
from sqlalchemy import select

from mcrm.db import Base, db
from tests.conftest import log_in

# URL argument name -> the object of shop A that the argument points at.
OBJECTS = {
    "user_id": lambda shop: shop.staff.id,
    "tenant_id": lambda shop: shop.tenant.id,
}


def id_bearing_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static" and rule.arguments]


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
    log_in(client, "owner-b@example.com")
    before = _snapshot()
    db.remove()
    for rule in rules:
        values = {arg: OBJECTS[arg](shop_a) for arg in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(
                url, method=method, data={"name": "intruder", "role": "staff", "plan": "monthly", "action": "suspend"}
            )
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
    assert _snapshot() == before
    db.remove()


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_own_objects_are_reachable_so_the_404s_mean_something(client, shop_a, role):
    log_in(client, f"{role}-a@example.com")
    expected = 200 if role == "owner" else 403
    assert client.get(f"/staff/{shop_a.staff.id}/edit").status_code == expected
