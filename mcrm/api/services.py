"""API tokens (created, looked up, revoked) and the API's partial member update. Callers commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from mcrm.api.models import ApiToken
from mcrm.db import db, utcnow
from mcrm.members.birthdays import Birthday
from mcrm.members.models import Gender, Member
from mcrm.members.services import update_member
from tenants.isolation import unscoped
from tenants.models import Tenant, User

TOKEN_PREFIX = "mcrm_"
PREFIX_LENGTH = 12  # "mcrm_" and 7 random characters: enough to tell a shop's tokens apart
# last_used_at is for people ("used today?"); writing it on every call would serialise a busy POS.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token request that cannot be carried out; the message is for people."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(tenant: Tenant, name: str, *, by_user: User | None = None) -> tuple[ApiToken, str]:
    """A new token for the shop and its text, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise TokenError(_("Give the token a name, e.g. the till it is for."))
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        tenant_id=tenant.id,
        name=name[:60],
        token_hash=hash_token(text),
        prefix=text[:PREFIX_LENGTH],
        created_by_id=by_user.id if by_user else None,
    )
    db.add(token)
    db.flush()
    return token, text


def revoke_token(token: ApiToken) -> bool:
    """Revoke the token; False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True


def shop_tokens(tenant: Tenant) -> list[ApiToken]:
    """The shop's tokens, usable ones first, newest first."""
    query = select(ApiToken).where(ApiToken.tenant_id == tenant.id)
    return list(db.scalars(query.order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def find_token(text: str) -> tuple[ApiToken, Tenant] | None:
    """The token with this text and its shop, revoked or not; None when there is no such token."""
    if not text.startswith(TOKEN_PREFIX):
        return None
    with unscoped():
        row = db.execute(
            select(ApiToken, Tenant)
            .join(Tenant, Tenant.id == ApiToken.tenant_id)
            .where(ApiToken.token_hash == hash_token(text))
        ).first()
    return (row[0], row[1]) if row else None


def touch_token(token: ApiToken) -> None:
    """Record that the token was used, at most once per TOUCH_INTERVAL."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    db.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token.id,
            ApiToken.tenant_id == token.tenant_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def member_birthday(member: Member) -> Birthday | None:
    if not (member.birthday_month and member.birthday_day):
        return None
    return Birthday(
        month=member.birthday_month, day=member.birthday_day, year=member.birthday_year, lunar=member.birthday_lunar
    )


def patch_member(
    tenant: Tenant,
    member: Member,
    *,
    phone: str | None = None,
    name: str | None = None,
    gender: Gender | None = None,
    birthday: Birthday | None = None,
    notes: str | None = None,
    tags: list[str] | None = None,
    clear_birthday: bool = False,
) -> None:
    """Change only what is given (None: unchanged); raises MemberError or DuplicateMember."""
    if birthday is None and not clear_birthday:
        birthday = member_birthday(member)
    update_member(
        tenant,
        member,
        phone=member.phone if phone is None else phone,
        name=member.name if name is None else name,
        gender=member.gender if gender is None else gender,
        birthday=birthday,
        notes=member.notes if notes is None else notes,
        tags=[t.name for t in member.tags] if tags is None else tags,
    )
