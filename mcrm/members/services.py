"""Creating, changing, finding and deleting members. Views and the API call these; they do not commit."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from mcrm.db import db, utcnow
from mcrm.members.birthdays import Birthday
from mcrm.members.models import Gender, Member, Source, Tag, member_tags
from mcrm.points.services import book_welcome_bonus
from tenants.models import Tenant, User
from tenants.phones import normalise_phone


class MemberError(ValueError):
    """A member request that cannot be carried out; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DuplicateMember(MemberError):
    def __init__(self, member: Member):
        super().__init__(_("%(phone)s is already a member.", phone=member.phone), field="phone")
        self.member = member


def member_phone(tenant: Tenant, text: str) -> str:
    """The E.164 number for what was typed, in the shop's region, or a MemberError that says why."""
    phone = normalise_phone(text or "", tenant.country)
    if phone is None:
        raise MemberError(_("%(text)s is not a valid mobile number.", text=(text or "").strip()), field="phone")
    return phone


def find_by_phone(tenant: Tenant, phone: str) -> Member | None:
    return db.scalar(select(Member).where(Member.tenant_id == tenant.id, Member.phone == phone))


def _evidence(source: Source, by_user: User | None, evidence: str | None) -> str:
    if evidence:
        return evidence
    return f"user:{by_user.id}" if by_user else source.value


def create_member(
    tenant: Tenant,
    *,
    phone: str,
    source: Source,
    name: str = "",
    gender: Gender = Gender.UNKNOWN,
    birthday: Birthday | None = None,
    notes: str = "",
    tags: Iterable[str] = (),
    by_user: User | None = None,
    consent_evidence: str | None = None,
) -> Member:
    """A new member with consent recorded now, and the shop's welcome bonus booked."""
    e164 = member_phone(tenant, phone)
    existing = find_by_phone(tenant, e164)
    if existing is not None:
        raise DuplicateMember(existing)
    now = utcnow()
    member = Member(
        tenant_id=tenant.id,
        phone=e164,
        phone_tail=e164[-4:],
        name=(name or "").strip(),
        gender=gender,
        notes=notes or "",
        source=source,
        joined_at=now,
        consent_source=source,
        consent_at=now,
        consent_evidence=_evidence(source, by_user, consent_evidence),
        consent_by_user_id=by_user.id if by_user else None,
    )
    set_birthday(member, birthday)
    savepoint = db.begin_nested()
    db.add(member)
    try:
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()  # the failed flush leaves the savepoint to be rolled back
        # The same phone was registered by another request a moment ago.
        raise DuplicateMember(find_by_phone(tenant, e164)) from None
    set_tags(tenant, member, tags)
    book_welcome_bonus(tenant, member, by_user=by_user)
    return member


def set_birthday(member: Member, birthday: Birthday | None) -> None:
    member.birthday_year = birthday.year if birthday else None
    member.birthday_month = birthday.month if birthday else None
    member.birthday_day = birthday.day if birthday else None
    member.birthday_lunar = birthday.lunar if birthday else False


def update_member(
    tenant: Tenant,
    member: Member,
    *,
    phone: str,
    name: str,
    gender: Gender,
    birthday: Birthday | None,
    notes: str,
    tags: Iterable[str],
) -> None:
    e164 = member_phone(tenant, phone)
    if e164 != member.phone:
        other = find_by_phone(tenant, e164)
        if other is not None:
            raise DuplicateMember(other)
        member.phone, member.phone_tail = e164, e164[-4:]
    member.name, member.gender, member.notes = name.strip(), gender, notes
    set_birthday(member, birthday)
    set_tags(tenant, member, tags)


def parse_tags(text: str) -> list[str]:
    """Tags from a comma, Chinese comma or space separated list."""
    for sep in ("，", "、", " "):
        text = text.replace(sep, ",")
    seen: dict[str, None] = {}
    for part in text.split(","):
        if part.strip():
            seen[part.strip()[:30]] = None
    return list(seen)


def set_tags(tenant: Tenant, member: Member, names: Iterable[str]) -> None:
    """Replace the member's tags, creating the shop's new tags on the way."""
    names = list(dict.fromkeys(n.strip()[:30] for n in names if n.strip()))
    existing = {t.name: t for t in db.scalars(select(Tag).where(Tag.tenant_id == tenant.id, Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            existing[name] = Tag(tenant_id=tenant.id, name=name)
            db.add(existing[name])
    db.flush()
    db.execute(delete(member_tags).where(member_tags.c.member_id == member.id))
    if names:
        db.execute(
            member_tags.insert(),
            [{"tenant_id": tenant.id, "member_id": member.id, "tag_id": existing[n].id} for n in names],
        )
    db.expire(member, ["tags"])


def delete_member(member: Member) -> None:
    """Delete the member with their purchases and ledger (owner only, after confirmation)."""
    db.delete(member)


def member_query(tenant: Tenant, *, q: str = "", tag: str = "", opted_out: bool | None = None) -> Select:
    """Members matching a search: phone, its last four digits, name, or a tag name; newest first."""
    query = select(Member).where(Member.tenant_id == tenant.id).options(selectinload(Member.tags))
    q = unicodedata.normalize("NFKC", q).strip()  # full-width digits and letters, as phones type them
    digits = "".join(c for c in q if c.isdigit())
    if len(digits) == 4 and digits == q:
        # The cashier's "last four digits": exact, on its own index.
        query = query.where(Member.phone_tail == digits)
    elif len(digits) >= 5 and not q.strip("+-() " + digits):
        query = query.where(Member.phone.contains(digits))
    elif q:
        tagged = (
            select(member_tags.c.member_id)
            .join(Tag, Tag.id == member_tags.c.tag_id)
            .where(Tag.tenant_id == tenant.id, Tag.name == q)
        )
        query = query.where(or_(Member.name.ilike(f"%{_escape_like(q)}%", escape="\\"), Member.id.in_(tagged)))
    if tag:
        query = query.where(
            Member.id.in_(
                select(member_tags.c.member_id)
                .join(Tag, Tag.id == member_tags.c.tag_id)
                .where(Tag.tenant_id == tenant.id, Tag.name == tag)
            )
        )
    if opted_out is not None:
        query = query.where(Member.opted_out_at.is_not(None) if opted_out else Member.opted_out_at.is_(None))
    return query.order_by(Member.id.desc())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count(query: Select) -> int:
    return db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def find_at_counter(tenant: Tenant, text: str, limit: int = 10) -> list[Member]:
    """The cashier's look-up: a whole number finds that member; four digits find members ending in them."""
    text = unicodedata.normalize("NFKC", text)
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) == 4:
        query = select(Member).where(Member.tenant_id == tenant.id, Member.phone_tail == digits)
        return list(db.scalars(query.order_by(Member.last_visit_at.desc().nulls_last(), Member.id).limit(limit)))
    phone = normalise_phone(text, tenant.country)
    if phone is None:
        return []
    member = find_by_phone(tenant, phone)
    return [member] if member else []


def shop_tags(tenant: Tenant) -> list[str]:
    return list(db.scalars(select(Tag.name).where(Tag.tenant_id == tenant.id).order_by(Tag.name)))
