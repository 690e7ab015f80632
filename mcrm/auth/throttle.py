"""Throttling of logins and sign-ups, counted in the storage all workers share."""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from mcrm.extensions import limiter
from tenants.services import parse_login


def _account_key() -> str:
    email, phone = parse_login(request.form.get("login", ""))
    return email or phone or request.form.get("login", "").strip().lower()


def _failed(response) -> bool:
    # A failed attempt re-renders the form (200); a success redirects.
    return response.status_code == 200


# Shared limits: the portal's and the WAP page's login count against the same budgets.
failed_logins_per_account = limiter.shared_limit(
    lambda: current_app.config["LOGIN_FAILURES_ALLOWED"],
    scope="login-account",
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
failed_logins_per_address = limiter.shared_limit(
    "100 per 15 minutes", scope="login-address", key_func=get_remote_address, methods=["POST"], deduct_when=_failed
)
# Sign-up says when a login is taken; limiting it per address keeps that from becoming an account finder.
signups_per_address = limiter.shared_limit(
    "20 per hour", scope="signup-address", key_func=get_remote_address, methods=["POST"]
)


def throttled_login(view):
    """At most LOGIN_FAILURES_ALLOWED failures per account, and 100 per address, in 15 minutes."""
    return failed_logins_per_address(failed_logins_per_account(view))
