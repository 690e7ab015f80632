"""A shop's token never reaches another shop's members: 404 on every member URL and method, nothing changed."""

from tests.api.conftest import snapshot

# Valid bodies, so that a refusal cannot come from the body instead of from the shop.
BODIES = {"purchases": {"amount": "10"}, "redemptions": {"points": 1}}
MEMBER_FIELDS = {"phone": "13700137000", "name": "intruder"}


def member_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and "member_id" in r.arguments]


def test_every_api_member_route_answers_404_to_another_shops_token(app, api_a, api_b):
    member_id = api_a.new_member("13800138000", name="A's customer")["id"]
    api_a.post(f"/members/{member_id}/purchases", json={"amount": "100"})
    assert api_b.get("/members").status_code == 200  # B's token works (and its first use is recorded)
    before = snapshot()
    rules = member_rules(app)
    assert len(rules) >= 5
    for rule in rules:
        with app.test_request_context():
            url = app.url_for(rule.endpoint, member_id=member_id).removeprefix("/api/v1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = BODIES.get(url.rsplit("/", 1)[-1], MEMBER_FIELDS)
            response = api_b.open(method, url, json=body if method != "GET" else None)
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            assert "A's customer" not in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_same_requests_work_with_the_right_token(api_a):
    member_id = api_a.new_member("13800138000")["id"]
    assert api_a.patch(f"/members/{member_id}", json={"name": "Mine"}).status_code == 200
    assert api_a.post(f"/members/{member_id}/purchases", json={"amount": "10"}).status_code == 201
    assert api_a.post(f"/members/{member_id}/redemptions", json={"points": 1}).status_code == 201
    assert api_a.get(f"/members/{member_id}/ledger").get_json()["total"] == 2


def test_lists_and_phone_look_ups_show_only_the_tokens_shop(api_a, api_b):
    api_a.new_member("13800138000")
    assert api_b.get("/members").get_json() == {"members": [], "page": 1, "per_page": 50, "total": 0}
    assert api_b.get("/members", query_string={"phone": "13800138000"}).get_json()["members"] == []
    # The same phone can be a member of both shops.
    assert api_b.post("/members", json={"phone": "13800138000"}).status_code == 201
