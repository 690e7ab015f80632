"""A user's registered mobile: the phone they text shop commands from (mcrm.keywords.merchant) and owners get
complaint alerts on. It is `User.phone`, so it is unique across the platform and also works as a login."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Role, Tenant, User
from tenants.phones import normalise_phone
from tenants.services import TenantError, add_staff, parse_login


def add_staff_with_mobile(
    tenant: Tenant, *, name: str, login: str, mobile: str, password: str, role: Role = Role.STAFF
) -> User:
    """add_staff, then the mobile when one is given. Someone who logs in with a mobile number texts from
    it: a second, different number has nowhere to go."""
    _email, login_phone = parse_login(login)
    wanted = normalise_phone(mobile.strip(), tenant.country) if mobile.strip() else None
    if login_phone and wanted and wanted != login_phone:
        raise TenantError(_("They log in with a mobile number, which is also the one they text from."))
    user = add_staff(tenant, name=name, login=login, password=password, role=role)
    if mobile.strip():
        set_mobile(tenant, user, mobile)
    return user


def set_mobile(tenant: Tenant, user: User, text: str) -> None:
    """Register `text` as the user's mobile, or remove it when empty; a TenantError says why not."""
    text = text.strip()
    if not text:
        if user.phone is not None and user.email is None:
            raise TenantError(_("%(name)s logs in with this mobile number: it cannot be removed.", name=user.name))
        user.phone = None
        return
    phone = normalise_phone(text, tenant.country)
    if phone is None:
        raise TenantError(_("%(text)s is not a valid mobile number.", text=text))
    if phone == user.phone:
        return
    with unscoped():  # unique across every shop, as a login is
        taken = db.scalar(select(User.id).where(User.phone == phone, User.id != user.id))
    if taken:
        raise TenantError(_("%(phone)s is already registered to another user.", phone=phone))
    savepoint = db.begin_nested()
    user.phone = phone
    try:
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()  # the failed flush leaves the savepoint to be rolled back
        # Registered by someone else between our check and this write.
        raise TenantError(_("%(phone)s is already registered to another user.", phone=phone)) from None
