"""The OpenAPI document matches the routes, and a property-based run from it finds no server error."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _documented(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    prefix = document["servers"][0]["url"]
    return document, {(prefix + path, method.upper()) for path, ops in document["paths"].items() for method in ops}


def test_every_route_is_documented_and_every_documented_operation_exists(app):
    _document, documented = _documented(app)
    routed = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.unrouted"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented


def test_the_document_declares_bearer_auth_and_names_every_schema_it_uses(app):
    document, _documented_ops = _documented(app)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A shop's API token, mcrm_…",
    }
    assert document["security"] == [{"bearerAuth": []}]
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', str(document).replace("'", '"')))
    assert refs and refs <= document["components"]["schemas"].keys()


def _realistic(case, phone, birthday):
    """Most generated phone numbers and birthdays are invalid; swap in valid ones half of the time."""
    if isinstance(case.body, dict):
        if "phone" in case.body and phone:
            case.body["phone"] = phone
        if "birthday" in case.body and birthday:
            case.body["birthday"] = birthday
    return case


VALID_PHONES = st.one_of(st.none(), st.integers(10**7, 10**8 - 1).map(lambda n: f"+86 139{n}"))
VALID_BIRTHDAYS = st.sampled_from([None, "1990-08-15", "02-29", "农历08-15", "lunar 12-30"])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_a_property_based_run_finds_no_server_error_and_every_response_matches_the_document(app, shop_a, mode):
    token = make_token(app, shop_a)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    # A member with points, so that the generated requests reach the code behind the 404.
    member_id = client.post("/api/v1/members", json={"phone": "13800138000"}, headers=headers).get_json()["id"]
    client.post(f"/api/v1/members/{member_id}/purchases", json={"amount": "100000"}, headers=headers)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every documented operation but the document itself, which Schemathesis leaves out.
    assert len(operations) == 10, " ".join(o.label for o in operations)
    for operation in operations:
        takes_member = any(p.name == "member_id" for p in operation.path_parameters)
        cases = st.builds(
            _realistic,
            operation.as_strategy(mode, path_parameters={"member_id": member_id} if takes_member else None),
            VALID_PHONES,
            VALID_BIRTHDAYS,
        )

        @given(case=cases)
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
