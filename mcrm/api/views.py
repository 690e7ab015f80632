"""The POS API, /api/v1: members, purchases, redemptions, the ledger and coupons of the shop whose token is sent.

JSON in and out, errors included (`{"error": ..., "fields": {...}}`). Each request commits once.
A purchase or redemption retried with the same idempotency key answers 200 with the first result
(`replayed: true`) instead of 201.
"""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from mcrm.api.auth import Unauthenticated, authenticate
from mcrm.api.openapi import document
from mcrm.api.schemas import (
    MAX_ID,
    CouponOut,
    ErrorOut,
    Ledger,
    LedgerEntryOut,
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
    RewardOut,
    birthday_of,
    field_errors,
)
from mcrm.api.services import patch_member
from mcrm.db import db, utcnow
from mcrm.members.models import Member, Source
from mcrm.members.services import (
    DuplicateMember,
    MemberError,
    count,
    create_member,
    find_by_phone,
    member_phone,
    member_query,
)
from mcrm.points.models import Channel, EntryReason, LedgerEntry, Purchase, Reward
from mcrm.points.services import InsufficientPoints, PointsError, current_balance, record_purchase, redeem
from mcrm.promotions import coupons
from tenants.isolation import get_or_404

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MEMBER = "/members/<int:member_id>"
COUPON = "/coupons/<code>"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
PUBLIC = {"api.openapi", "api.unrouted"}
M = TypeVar("M", bound=BaseModel)
# The largest body is a member with long notes and 20 tags; far less than this.
MAX_BODY = 64 * 1024

HTTP_MESSAGES = {
    400: _l("The request is not valid."),
    401: _l("Send the shop's API token in the header Authorization: Bearer <token>."),
    404: _l("Not found: there is nothing here, or it belongs to another shop."),
    405: _l("This address does not accept that method; see the Allow header."),
    409: _l("The request conflicts with the current state."),
    413: _l("The request body is too large."),
    415: _l("Send the body as JSON with Content-Type: application/json."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests. Wait a moment and try again."),
    500: _l("Something went wrong on our side. The error has been logged; please try again."),
}


def error_response(status: int, message: str, **extra) -> Response:
    response = jsonify(ErrorOut(error=str(message), **extra).model_dump(mode="json", exclude_none=True))
    response.status_code = status
    return response


def _json(model: BaseModel, status: int = 200) -> Response:
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


def _http_error(error: HTTPException) -> Response:
    if error.code is None or error.code >= 500:
        db.rollback()  # the failed transaction must not leak into the next request of this session
    code = error.code or 500
    response = error_response(code, HTTP_MESSAGES.get(code, error.name))
    for key, value in error.get_headers():
        if key.lower() != "content-type":  # keeps Allow, WWW-Authenticate, Retry-After
            response.headers[key] = value
    return response


# By code as well as by class: the app's own handler for 500 is registered by code and would win.
for _code in HTTP_MESSAGES:
    bp.register_error_handler(_code, _http_error)
bp.register_error_handler(HTTPException, _http_error)


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return None
    try:
        authenticate()
    except Unauthenticated as error:
        response = error_response(401, str(error))
        response.headers["WWW-Authenticate"] = error.challenge
        return response
    return None


def parse_body(model: type[M]) -> M:
    """The request's JSON body as `model`, or abort with 415, 413, 400 or 422 and field messages."""
    if not request.is_json:
        abort(error_response(415, HTTP_MESSAGES[415]))
    request.max_content_length = MAX_BODY  # get_data() raises 413 beyond it
    try:
        return model.model_validate_json(request.get_data())
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            abort(error_response(400, _("The body is not valid JSON.")))
        message, fields = field_errors(error)
        abort(error_response(422, message, fields=fields or None))


def parse_query(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        message, fields = field_errors(error)
        abort(error_response(422, message, fields=fields or None))


def _member(member_id: int) -> Member:
    if member_id > MAX_ID:  # SQLite cannot even compare an integer this big
        abort(404)
    return get_or_404(Member, member_id)


def _member_error(error: MemberError) -> Response:
    if isinstance(error, DuplicateMember):
        member_id = error.member.id
        db.rollback()
        return error_response(409, str(error), member_id=member_id)
    db.rollback()
    return error_response(422, str(error), fields={error.field: str(error)} if error.field else None)


def _key_reused() -> Response:
    db.rollback()
    return error_response(409, _("This idempotency key was already used for a different request."))


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.post("/members")
def create():
    body = parse_body(MemberCreate)
    try:
        member = create_member(
            g.tenant,
            phone=body.phone,
            source=Source.API,
            name=body.name,
            gender=body.gender,
            birthday=birthday_of(body.birthday),
            notes=body.notes,
            tags=body.tags,
            consent_evidence=f"api:token:{g.api_token.prefix}",
        )
    except MemberError as error:
        return _member_error(error)
    out = MemberOut.of(member)
    db.commit()
    response = _json(out, 201)
    response.headers["Location"] = url_for(".show", member_id=member.id)
    return response


@bp.get("/members")
def index():
    query = parse_query(MemberListQuery)
    if query.phone is not None:
        try:
            phone = member_phone(g.tenant, query.phone)
        except MemberError as error:
            return _member_error(error)
        found = find_by_phone(g.tenant, phone)
        members, total = ([found] if found else []), (1 if found else 0)
    else:
        select_members = member_query(g.tenant)
        total = count(select_members)
        page = select_members.options(selectinload(Member.tags)).limit(query.per_page)
        members = db.scalars(page.offset((query.page - 1) * query.per_page)).all()
    out = MemberList(members=[MemberOut.of(m) for m in members], page=query.page, per_page=query.per_page, total=total)
    return _json(out)


@bp.get(MEMBER)
def show(member_id: int):
    return _json(MemberOut.of(_member(member_id)))


@bp.patch(MEMBER)
def update(member_id: int):
    member = _member(member_id)
    body = parse_body(MemberUpdate)
    try:
        patch_member(
            g.tenant,
            member,
            phone=body.phone,
            name=body.name,
            gender=body.gender,
            birthday=birthday_of(body.birthday),
            clear_birthday="birthday" in body.model_fields_set,
            notes=body.notes,
            tags=body.tags,
        )
        out = MemberOut.of(member)
        db.commit()
    except MemberError as error:
        return _member_error(error)
    except IntegrityError:
        # Another request gave this phone number to another member a moment ago.
        db.rollback()
        return error_response(409, _("This phone number already belongs to another member."))
    return _json(out)


def _same_purchase(entry: LedgerEntry, member: Member, amount) -> bool:
    if entry.reason != EntryReason.PURCHASE or entry.member_id != member.id or entry.purchase_id is None:
        return False
    purchase = db.get(Purchase, entry.purchase_id)
    return purchase is not None and purchase.amount == amount


@bp.post(MEMBER + "/purchases")
def purchase(member_id: int):
    member = _member(member_id)
    body = parse_body(PurchaseCreate)
    try:
        booking = record_purchase(
            g.tenant,
            member,
            body.amount,
            channel=Channel.API,
            occurred_at=body.occurred_at,
            idempotency_key=body.idempotency_key,
        )
    except PointsError as error:
        db.rollback()
        return error_response(422, str(error))
    entry = booking.entry
    if booking.replayed and not _same_purchase(entry, member, body.amount):
        return _key_reused()
    out = PurchaseOut(
        purchase_id=entry.purchase_id,
        points_earned=entry.points,
        points_balance=entry.balance_after,
        replayed=booking.replayed,
    )
    db.commit()
    return _json(out, 200 if booking.replayed else 201)


def _same_redemption(entry: LedgerEntry, member: Member, points: int | None, reward: Reward | None) -> bool:
    if entry.reason != EntryReason.REDEMPTION or entry.member_id != member.id:
        return False
    return entry.reward_id == reward.id if reward is not None else -entry.points == points


@bp.post(MEMBER + "/redemptions")
def redemption(member_id: int):
    member = _member(member_id)
    body = parse_body(RedemptionCreate)
    if (body.points is None) == (body.reward_id is None):
        message = _("Give either the points to redeem or a reward_id.")
        return error_response(422, message, fields={"points": message})
    reward = None
    if body.reward_id is not None:
        reward = db.scalar(
            select(Reward).where(Reward.id == body.reward_id, Reward.tenant_id == g.tenant.id, Reward.active)
        )
        if reward is None:
            message = _("The shop has no active reward with this id.")
            return error_response(422, message, fields={"reward_id": message})
    # Without a reason or a reward, the ledger says which till redeemed the points.
    note = body.reason.strip() or ("" if reward else g.api_token.name)
    try:
        booking = redeem(
            g.tenant, member, body.points or 0, note=note, reward=reward, idempotency_key=body.idempotency_key
        )
    except InsufficientPoints as error:
        db.rollback()
        return error_response(409, str(error), points_balance=current_balance(member))
    except PointsError as error:
        db.rollback()
        return error_response(422, str(error))
    entry = booking.entry
    if booking.replayed and not _same_redemption(entry, member, body.points, reward):
        return _key_reused()
    out = RedemptionOut(
        entry_id=entry.id, points=-entry.points, points_balance=entry.balance_after, replayed=booking.replayed
    )
    db.commit()
    return _json(out, 200 if booking.replayed else 201)


@bp.get(MEMBER + "/ledger")
def ledger(member_id: int):
    member = _member(member_id)
    query = parse_query(Page)
    entries = select(LedgerEntry).where(LedgerEntry.tenant_id == g.tenant.id, LedgerEntry.member_id == member.id)
    total = db.scalar(select(func.count()).select_from(entries.subquery()))
    page = entries.order_by(LedgerEntry.id.desc()).limit(query.per_page).offset((query.page - 1) * query.per_page)
    out = Ledger(
        entries=[LedgerEntryOut.of(e) for e in db.scalars(page)],
        page=query.page,
        per_page=query.per_page,
        total=total,
    )
    return _json(out)


@bp.get("/rewards")
def rewards():
    active = select(Reward).where(Reward.tenant_id == g.tenant.id, Reward.active).order_by(Reward.points_cost)
    return _json(RewardList(rewards=[RewardOut.of(r) for r in db.scalars(active)]))


def _coupon_error(error: coupons.CouponError) -> Response:
    db.rollback()
    if error.reason == "unknown":
        return error_response(404, str(error))
    return error_response(409, str(error), reason=error.reason)


@bp.get(COUPON)
def coupon(code: str):
    found = coupons.find_coupon(g.tenant, code)
    if found is None:
        return _coupon_error(coupons.unknown(code))
    return _json(CouponOut.of(coupons.coupon_view(g.tenant, found, utcnow())))


@bp.post(COUPON + "/redeem")
def redeem_coupon(code: str):
    now = utcnow()
    try:
        redeemed = coupons.redeem(g.tenant, code, None, Channel.API, now)
    except coupons.CouponError as error:
        return _coupon_error(error)
    out = CouponOut.of(coupons.coupon_view(g.tenant, redeemed, now))
    db.commit()
    return _json(out)


@bp.route("/", defaults={"path": ""}, methods=METHODS)
@bp.route("/<path:path>", methods=METHODS)
def unrouted(path: str):
    """Unknown addresses and methods under /api/v1 answer in JSON too, not with the portal's error pages."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            endpoint, _args = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            allowed.append(method)
    if not allowed:
        return error_response(404, HTTP_MESSAGES[404])
    response = error_response(405, HTTP_MESSAGES[405])
    response.headers["Allow"] = ", ".join(allowed)
    return response
