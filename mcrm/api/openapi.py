"""The OpenAPI 3.1 document of /api/v1, built from the same pydantic models the views validate with."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from mcrm.api.schemas import (
    MAX_ID,
    CouponOut,
    ErrorOut,
    Ledger,
    MemberCreate,
    MemberList,
    MemberListQuery,
    MemberOut,
    MemberUpdate,
    Page,
    PurchaseCreate,
    PurchaseOut,
    RedemptionCreate,
    RedemptionOut,
    RewardList,
)

REF = "#/components/schemas/{model}"
REQUESTS = (MemberCreate, MemberUpdate, PurchaseCreate, RedemptionCreate)
RESPONSES = (ErrorOut, MemberOut, MemberList, PurchaseOut, RedemptionOut, Ledger, RewardList, CouponOut)

MEMBER_ID = {
    "name": "member_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}

COUPON_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "As printed in the member's message, e.g. KPW482931; case, spaces and dashes do not matter.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 40},
}


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel] | None, description: str) -> dict:
    response: dict[str, Any] = {"description": description}
    if model is not None:
        response["content"] = {"application/json": {"schema": _ref(model)}}
    return response


def _error(description: str) -> dict:
    return _json(ErrorOut, description)


def _query(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema()
    params = []
    for name, prop in schema["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
        param = {"name": name, "in": "query", "required": False, "schema": prop}
        if model.model_fields[name].description:
            param["description"] = model.model_fields[name].description
        params.append(param)
    return params


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[int, dict],
    *,
    body: type[BaseModel] | None = None,
    parameters: list[dict] | None = None,
    member: bool = False,
    coupon: bool = False,
    description: str | None = None,
) -> dict:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": ["POS"]}
    if description:
        operation["description"] = description
    query = parameters or []
    parameters = ([MEMBER_ID] if member else []) + ([COUPON_CODE] if coupon else []) + query
    if parameters:
        operation["parameters"] = parameters
    errors = {401: _error("No token, or a token that is unknown, revoked, or of a suspended shop.")}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
        errors |= {
            400: _error("The body is not valid JSON."),
            413: _error("The body is larger than 64 KiB."),
            415: _error("The body is not JSON (Content-Type: application/json)."),
        }
    # Any code is looked up (an odd one is simply unknown), so a coupon's path never answers 422.
    if body is not None or member or query:
        errors[422] = _error("Invalid fields; `fields` has a message for each.")
    if member:
        errors[404] = _error("No such member in this shop.")
    if coupon:
        errors[404] = _error("No coupon with this code in this shop.")
    operation["responses"] = {str(code): response for code, response in sorted((responses | errors).items())}
    return operation


def _paths() -> dict:
    replay = "A retry with the same `idempotency_key` answers 200 with the first result and `replayed: true`."
    return {
        "/members": {
            "get": _operation(
                "listMembers",
                "Find a member by phone, or list the shop's members (newest first)",
                {200: _json(MemberList, "The members (0 or 1 with `phone`).")},
                parameters=_query(MemberListQuery),
            ),
            "post": _operation(
                "createMember",
                "Register a member",
                {
                    201: _json(MemberOut, "The new member."),
                    409: _error("The phone number already is a member; `member_id` says who."),
                },
                body=MemberCreate,
            ),
        },
        "/members/{member_id}": {
            "get": _operation(
                "getMember", "A member with their points balance", {200: _json(MemberOut, "The member.")}, member=True
            ),
            "patch": _operation(
                "updateMember",
                "Change some of a member's fields",
                {
                    200: _json(MemberOut, "The member as changed."),
                    409: _error("The new phone number belongs to another member."),
                },
                body=MemberUpdate,
                member=True,
            ),
        },
        "/members/{member_id}/purchases": {
            "post": _operation(
                "recordPurchase",
                "Record a purchase; the member earns points by the shop's rule",
                {
                    201: _json(PurchaseOut, "Recorded."),
                    200: _json(PurchaseOut, "A retry: the first request's result."),
                    409: _error("The idempotency key was already used for a different request."),
                },
                body=PurchaseCreate,
                member=True,
                description=replay,
            ),
        },
        "/members/{member_id}/redemptions": {
            "post": _operation(
                "redeemPoints",
                "Redeem points, or a reward from the shop's list",
                {
                    201: _json(RedemptionOut, "Redeemed."),
                    200: _json(RedemptionOut, "A retry: the first request's result."),
                    409: _error(
                        "The balance is short (`points_balance` says what it is), or the idempotency key "
                        "was already used for a different request."
                    ),
                },
                body=RedemptionCreate,
                member=True,
                description=replay,
            ),
        },
        "/members/{member_id}/ledger": {
            "get": _operation(
                "memberLedger",
                "The member's points ledger, newest first",
                {200: _json(Ledger, "A page of ledger entries.")},
                parameters=_query(Page),
                member=True,
            ),
        },
        "/rewards": {
            "get": _operation(
                "listRewards",
                "The shop's active rewards, for redemptions by `reward_id`",
                {200: _json(RewardList, "The rewards, cheapest first.")},
            ),
        },
        "/coupons/{code}": {
            "get": _operation(
                "getCoupon",
                "A coupon sent with a promotion: whose it is, what it is worth, and whether it is still good",
                {200: _json(CouponOut, "The coupon.")},
                coupon=True,
            ),
        },
        "/coupons/{code}/redeem": {
            "post": _operation(
                "redeemCoupon",
                "Redeem a coupon at the till; it can be redeemed once",
                {
                    200: _json(CouponOut, "Redeemed: the coupon, now with `redeemed_at`."),
                    409: _error("Already redeemed, or expired: `reason` says which and `error` says when."),
                },
                coupon=True,
            ),
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


@cache
def document() -> dict:
    """The whole document (it depends on code only, so it is built once per process)."""
    _, definitions = models_json_schema(
        [(m, "validation") for m in REQUESTS] + [(m, "serialization") for m in RESPONSES], ref_template=REF
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "M-CRM POS API",
            "version": "1",
            "description": (
                "Members, purchases, redemptions, points and coupons of one shop. Authenticate with the shop's API "
                "token (Settings → API tokens, or `flask --app wsgi token create --tenant SLUG`): "
                '`Authorization: Bearer mcrm_…`. Errors are JSON: `{"error": "…", "fields": {…}}`.'
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A shop's API token, mcrm_…"}
            },
        },
    }
