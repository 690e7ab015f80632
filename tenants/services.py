"""Creating shops and their users; the only code that writes tenants and users."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import Integer, cast, func, literal, or_, select
from sqlalchemy.exc import IntegrityError

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Role, Tenant, TenantStatus, User
from tenants.passwords import hash_password, password_problem, verify_password
from tenants.phones import normalise_phone
from tenants.plans import PLAN_TERMS, Plan

# Extensions assigned automatically are four digits, so none is a prefix of another.
AUTO_EXTENSIONS = range(1001, 10000)


class TenantError(ValueError):
    """A request about shops or users that cannot be carried out; the message is for people."""


def parse_login(text: str) -> tuple[str | None, str | None]:
    """(email, phone) from what a person typed as their login; both None when it is neither."""
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


def _checked_login(name: str, login: str, password: str) -> tuple[str | None, str | None]:
    """The (email, phone) for a new user, after checking that the login is free and the password good."""
    email, phone = parse_login(login)
    if not (email or phone):
        raise TenantError(_("Enter an email address or a valid mobile number."))
    with unscoped():
        taken = db.scalar(select(User.id).where((User.email == email) if email else (User.phone == phone)))
    if taken:
        raise TenantError(_("This email or mobile number already has an account."))
    problem = password_problem(password, name, login)
    if problem:
        raise TenantError(problem)
    return email, phone


def new_user(tenant: Tenant | None, *, name: str, login: str, password: str, role: Role) -> User:
    """A user added and flushed, after checking the login and the password."""
    email, phone = _checked_login(name, login, password)
    password_hash = hash_password(password)
    savepoint = db.begin_nested()  # before the User exists: beginning it flushes the session
    user = User(
        tenant_id=tenant.id if tenant else None,
        tenant=tenant,
        name=name.strip(),
        email=email,
        phone=phone,
        password_hash=password_hash,
        role=role,
    )
    db.add(user)
    try:
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()  # the failed flush leaves the savepoint to be rolled back
        # Someone registered the same login between our check and this insert.
        raise TenantError(_("This email or mobile number already has an account.")) from None
    return user


def _unique_slug(wanted: str) -> str:
    base = slugify(wanted, max_length=30) or "shop"
    taken = set(db.scalars(select(Tenant.slug).where(Tenant.slug.like(f"{base}%"))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _next_extension() -> str:
    in_range = (func.length(Tenant.sms_extension) == 4) & (cast(Tenant.sms_extension, Integer) >= AUTO_EXTENSIONS[0])
    highest = db.scalar(select(func.max(cast(Tenant.sms_extension, Integer))).where(in_range))
    candidate = (highest or AUTO_EXTENSIONS[0] - 1) + 1
    if candidate not in AUTO_EXTENSIONS:
        raise TenantError(_("No automatic SMS extension is left; choose one by hand."))
    return str(candidate)


def _check_chosen_extension(extension: str) -> None:
    if not (extension.isdigit() and 1 <= len(extension) <= 8):
        raise TenantError(_("The SMS extension must be 1 to 8 digits."))
    # A prefix of another shop's number would make incoming messages ambiguous.
    clash = db.scalar(
        select(Tenant.sms_extension).where(
            or_(Tenant.sms_extension.startswith(extension), literal(extension).startswith(Tenant.sms_extension))
        )
    )
    if clash:
        raise TenantError(_("SMS extension %(ext)s is already in use.", ext=extension))


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
    _checked_login(owner_name, owner_login, owner_password)
    with unscoped():
        if extension:
            _check_chosen_extension(extension)
        if slug is not None:
            slug = slugify(slug, max_length=30)
            if not slug:
                raise TenantError(_("The short name needs letters or digits."))
            if db.scalar(select(Tenant.id).where(Tenant.slug == slug)):
                raise TenantError(_("The short name %(slug)s is already in use.", slug=slug))
        for _attempt in range(5):
            savepoint = db.begin_nested()
            tenant = Tenant(
                name=name,
                slug=slug or _unique_slug(name),
                sms_extension=extension or _next_extension(),
                signature=f"【{name[:26]}】",
                locale=locale,
                timezone=timezone,
                status=TenantStatus.ACTIVE,
            )
            db.add(tenant)
            try:
                savepoint.commit()
            except IntegrityError:
                savepoint.rollback()  # the failed flush leaves the savepoint to be rolled back
                # Another sign-up took the same slug or extension between our read and our write.
                if extension or slug:
                    raise TenantError(_("That short name or SMS extension was just taken.")) from None
                continue
            new_user(tenant, name=owner_name, login=owner_login, password=owner_password, role=Role.OWNER)
            return tenant
    raise TenantError(_("Could not assign an SMS extension; please try again."))


def _check_room_for_one_more(tenant: Tenant) -> None:
    limit = PLAN_TERMS[tenant.plan].max_staff
    if sum(1 for u in tenant.users if u.active) >= limit:
        raise TenantError(_("Your plan allows %(n)d users. Upgrade the plan to add more.", n=limit))


def add_staff(tenant: Tenant, *, name: str, login: str, password: str, role: Role = Role.STAFF) -> User:
    if role == Role.ADMIN:
        raise TenantError(_("Choose owner or staff."))
    _check_room_for_one_more(tenant)
    return new_user(tenant, name=name, login=login, password=password, role=role)


def update_staff(
    tenant: Tenant, user: User, *, name: str, role: Role, active: bool, acting: User, new_password: str | None = None
) -> None:
    """Change a user's name, role, access or password; a shop always keeps the acting owner."""
    if user.id == acting.id and (role != user.role or not active):
        raise TenantError(_("You cannot change your own role or disable yourself."))
    if active and not user.active:
        _check_room_for_one_more(tenant)
    if new_password:
        problem = password_problem(new_password, user.name, user.login)
        if problem:
            raise TenantError(problem)
        user.password_hash = hash_password(new_password)
    user.name = name.strip()
    if new_password or user.role != role or user.active != active:
        user.role, user.active = role, active
        user.session_version += 1  # a demoted, disabled or reset user is logged out at once


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
