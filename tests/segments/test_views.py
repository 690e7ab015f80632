"""The owner's segment pages: list with live counts, the builder, delete, the count endpoint."""

from __future__ import annotations

import json

from sqlalchemy import select

from mcrm.db import db
from mcrm.members.models import Source, Tag
from mcrm.members.services import create_member
from mcrm.segments.models import Segment
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in


def _members(app, shop, tags_by_phone: dict[str, list[str]]) -> dict[str, int]:
    with app.app_context(), scoped_to(shop.tenant.id):
        tenant = db.get(Tenant, shop.tenant.id)
        for phone, tags in tags_by_phone.items():
            create_member(tenant, phone=phone, source=Source.PORTAL, tags=tags)
        db.commit()
        return dict(db.execute(select(Tag.name, Tag.id)).tuples().all())


def _vip(tag_id: int) -> dict:
    condition = {"field": "tag", "op": "any", "value": [tag_id]}
    return {"match": "all", "groups": [{"match": "all", "conditions": [condition]}]}


def _segments(app) -> list[Segment]:
    with app.app_context(), unscoped():
        return list(db.scalars(select(Segment).order_by(Segment.id)))


def test_create_edit_list_and_delete_a_segment(app, client, shop_a):
    tags = _members(app, shop_a, {"13800138001": ["VIP"], "13800138002": ["VIP"], "13800138003": []})
    log_in(client, "owner-a@example.com")
    page = client.get("/segments/new")
    assert page.status_code == 200 and b'id="segment-name"' in page.data and b"data-fields=" in page.data
    catalogue = json.loads(
        page.data.decode().split("data-fields='")[1].split("'")[0].replace("&#39;", "'").replace("&amp;", "&")
    )
    tag_field = next(f for f in catalogue["fields"] if f["id"] == "tag")
    assert {"value": tags["VIP"], "label": "VIP"} in tag_field["options"]

    saved = client.post("/segments/new", data={"name": "VIPs", "definition": json.dumps(_vip(tags["VIP"]))})
    (segment,) = _segments(app)
    assert saved.status_code == 302 and saved.location.endswith(f"/segments/{segment.id}")
    assert segment.definition == _vip(tags["VIP"]) and segment.tenant_id == shop_a.tenant.id

    listing = client.get("/segments/").get_data(as_text=True)
    assert "VIPs" in listing and '<td class="segment-count">\n        2\n' in listing

    edited = client.post(f"/segments/{segment.id}", data={"name": "Everyone", "definition": "{}"})
    assert edited.status_code == 302
    assert _segments(app)[0].name == "Everyone" and _segments(app)[0].definition == {"match": "all", "groups": []}
    assert "Everyone" in client.get(f"/segments/{segment.id}").get_data(as_text=True)

    assert client.post(f"/segments/{segment.id}/delete").status_code == 302
    assert _segments(app) == []


def test_a_bad_definition_or_a_taken_name_re_renders_the_form(app, client, shop_a):
    log_in(client, "owner-a@example.com")
    bad = {"match": "all", "groups": [{"match": "all", "conditions": [{"field": "points", "op": "gte", "value": -3}]}]}
    page = client.post("/segments/new", data={"name": "Broken", "definition": json.dumps(bad)})
    assert page.status_code == 200
    assert "Condition 1 in group 1: Points cannot be negative." in page.get_data(as_text=True)
    page = client.post("/segments/new", data={"name": "Broken", "definition": "{oops"})
    assert page.status_code == 200 and "could not be read" in page.get_data(as_text=True)
    assert _segments(app) == []

    assert client.post("/segments/new", data={"name": "All", "definition": "{}"}).status_code == 302
    page = client.post("/segments/new", data={"name": " All ", "definition": "{}"})
    assert page.status_code == 200 and "There is already a segment called “All”" in page.get_data(as_text=True)
    assert len(_segments(app)) == 1


def test_the_count_endpoint(app, client, shop_a, shop_b):
    tags = _members(app, shop_a, {"13800138001": ["VIP"], "13800138002": []})
    _members(app, shop_b, {"13800138009": ["VIP"]})
    log_in(client, "owner-a@example.com")
    answer = client.post("/segments/count", json={"definition": _vip(tags["VIP"])})
    assert answer.status_code == 200 and answer.json == {"count": 1, "text": "1 member will receive it"}
    assert client.post("/segments/count", json={"definition": {}}).json["text"] == "2 members will receive it"
    bad = client.post("/segments/count", json={"definition": _vip(999999)})
    assert bad.status_code == 400 and bad.json == {"error": "Condition 1 in group 1: unknown tag “999999”."}
    assert client.post("/segments/count", data="nonsense").status_code == 400


def test_staff_get_403_and_another_shops_segment_is_404(app, client, shop_a, shop_b):
    with app.app_context(), unscoped():
        db.add(Segment(tenant_id=shop_b.tenant.id, name="B's", definition={"match": "all", "groups": []}))
        db.commit()
        b_segment = db.scalar(select(Segment.id))
    log_in(client, "staff-a@example.com")
    for path in ("/segments/", "/segments/new", f"/segments/{b_segment}"):
        assert client.get(path).status_code == 403
    assert client.post("/segments/count", json={"definition": {}}).status_code == 403
    client.post("/logout")
    log_in(client, "owner-a@example.com")
    assert client.get(f"/segments/{b_segment}").status_code == 404
    assert client.post(f"/segments/{b_segment}", data={"name": "Mine", "definition": "{}"}).status_code == 404
    assert client.post(f"/segments/{b_segment}/delete").status_code == 404
    assert "B&#39;s" not in client.get("/segments/").get_data(as_text=True)
    assert len(_segments(app)) == 1


def test_an_rfm_class_page_opens_the_builder_with_that_class(app, client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.get("/analytics/rfm/at_risk").get_data(as_text=True)
    assert "/segments/new?rfm=at_risk" in page
    page = client.get("/segments/new?rfm=at_risk").get_data(as_text=True)
    assert 'value="At risk"' in page
    assert "&#34;field&#34;: &#34;rfm&#34;" in page or '"field": "rfm"' in page
    # An unknown class opens an empty builder rather than failing.
    assert client.get("/segments/new?rfm=nonsense").status_code == 200
