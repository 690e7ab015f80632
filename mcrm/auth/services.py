"""Checking a login attempt."""

from __future__ import annotations

from flask_babel import gettext as _

from tenants.models import User
from tenants.passwords import verify_password
from tenants.services import find_user_by_login


def authenticate(login: str, password: str) -> tuple[User | None, str | None]:
    """(user, None) when the login may proceed, else (None, the message to show)."""
    user = find_user_by_login(login)
    # An unknown account and a wrong password get the same answer (and the same hashing time).
    if not verify_password(user.password_hash if user else None, password):
        return None, _("Wrong login or password.")
    if user.tenant is not None and not user.tenant.is_active:
        return None, _("This shop is suspended. Please contact M-CRM support.")
    if not user.active:
        return None, _("This account is disabled. Ask the shop's owner.")
    return user, None
