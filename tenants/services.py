"""Creating shops and their users; the only code that writes tenants and users."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import IntegrityError

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Role, Tenant, TenantStatus, User
from tenants.passwords import hash_password, password_problem, verify_password
from tenants.phones import normalise_phone
from tenants.plans import PLAN_TERMS, Plan

FIRST_EXTENSION = 1001


class TenantError(ValueError):
    """A request about shops or users that cannot be carried out; the message is for people."""


def parse_login(text: str) -> tuple[str | None, str | None]:
    """(email, phone) from what a person typed as their login."""
    text = text.strip()
    if "@" in text:
        try:
            return validate_email(text, check_deliverability=False).normalized.lower(), None
        except EmailNotValidError:
            return None, None
    return None, normalise_phone(text)


def find_user_by_login(text: str) -> User | None:
    email, phone = parse_login(text)
    if not (email or phone):
        return None
    with unscoped():
        column, value = (User.email, email) if email else (User.phone, phone)
        return db.scalar(select(User).where(column == value))


def _login_taken(email: str | None, phone: str | None, except_user: User | None = None) -> bool:
    with unscoped():
        query = select(User.id).where((User.email == email) if email else (User.phone == phone))
        if except_user is not None:
            query = query.where(User.id != except_user.id)
        return db.scalar(query) is not None


def _unique_slug(wanted: str) -> str:
    base = slugify(wanted, max_length=30) or "shop"
    taken = set(db.scalars(select(Tenant.slug).where(Tenant.slug.like(f"{base}%"))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _next_extension() -> str:
    highest = db.scalar(select(func.max(cast(Tenant.sms_extension, Integer))))
    return str(max(FIRST_EXTENSION, (highest or 0) + 1))


def new_user(tenant: Tenant | None, *, name: str, login: str, password: str, role: Role) -> User:
    """A user added to the session, after checking the login and the password."""
    email, phone = parse_login(login)
    if not (email or phone):
        raise TenantError(_("Enter an email address or a valid mobile number."))
    if _login_taken(email, phone):
        raise TenantError(_("This email or mobile number already has an account."))
    problem = password_problem(password, name, login)
    if problem:
        raise TenantError(problem)
    user = User(
        tenant_id=tenant.id if tenant else None,
        tenant=tenant,
        name=name.strip(),
        email=email,
        phone=phone,
        password_hash=hash_password(password),
        role=role,
    )
    db.add(user)
    return user


def create_tenant(
    *,
    name: str,
    owner_name: str,
    owner_login: str,
    owner_password: str,
    slug: str | None = None,
    extension: str | None = None,
    locale: str = "zh_CN",
    timezone: str = "Asia/Shanghai",
) -> Tenant:
    """A new active shop on the trial plan with its owner; the caller commits."""
    name = name.strip()
    if not name:
        raise TenantError(_("Enter the shop's name."))
    if extension is not None and not (extension.isdigit() and 1 <= len(extension) <= 8):
        raise TenantError(_("The SMS extension must be 1 to 8 digits."))
    with unscoped():
        if extension and db.scalar(select(Tenant.id).where(Tenant.sms_extension == extension)):
            raise TenantError(_("SMS extension %(ext)s is already in use.", ext=extension))
        if slug and db.scalar(select(Tenant.id).where(Tenant.slug == slugify(slug))):
            raise TenantError(_("The short name %(slug)s is already in use.", slug=slug))
        for _attempt in range(5):
            savepoint = db.begin_nested()
            tenant = Tenant(
                name=name,
                slug=slugify(slug, max_length=30) if slug else _unique_slug(name),
                sms_extension=extension or _next_extension(),
                signature=f"【{name[:26]}】",
                locale=locale,
                timezone=timezone,
                status=TenantStatus.ACTIVE,
            )
            db.add(tenant)
            try:
                db.flush()
            except IntegrityError:
                # Another sign-up took the same slug or extension between our read and write.
                savepoint.rollback()
                if extension or slug:
                    raise TenantError(_("That short name or SMS extension was just taken.")) from None
                continue
            new_user(tenant, name=owner_name, login=owner_login, password=owner_password, role=Role.OWNER)
            db.flush()
            savepoint.commit()
            return tenant
    raise TenantError(_("Could not assign an SMS extension; please try again."))


def add_staff(tenant: Tenant, *, name: str, login: str, password: str, role: Role = Role.STAFF) -> User:
    if role == Role.ADMIN:
        raise TenantError(_("Choose owner or staff."))
    limit = PLAN_TERMS[tenant.plan].max_staff
    if len(tenant.users) >= limit:
        raise TenantError(_("Your plan allows %(n)d users. Upgrade the plan to add more.", n=limit))
    user = new_user(tenant, name=name, login=login, password=password, role=role)
    db.flush()
    return user


def update_staff(tenant: Tenant, user: User, *, name: str, role: Role, active: bool, acting: User) -> None:
    """Change a user's name, role or access; a shop always keeps one active owner."""
    if user.id == acting.id and (role != user.role or not active):
        raise TenantError(_("You cannot change your own role or disable yourself."))
    user.name = name.strip()
    if user.role != role or user.active != active:
        user.role, user.active = role, active
        user.session_version += 1  # a demoted or disabled user is logged out at once
    db.flush()


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise TenantError(_("The current password is wrong."))
    problem = password_problem(new, user.name, user.login)
    if problem:
        raise TenantError(problem)
    user.password_hash = hash_password(new)
    user.session_version += 1


def update_terms(tenant: Tenant, *, plan: Plan, status: TenantStatus) -> None:
    """The platform admin's change of a shop's plan or status; suspension takes effect at once."""
    tenant.plan, tenant.status = plan, status


def generate_password() -> str:
    """A strong random password for demo and CLI-created accounts."""
    return secrets.token_urlsafe(12)
