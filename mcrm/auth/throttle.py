"""Login throttling: failures are counted per account and per address in shared storage."""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from mcrm.extensions import limiter
from tenants.services import parse_login


def _account_key() -> str:
    email, phone = parse_login(request.form.get("login", ""))
    return f"login:{email or phone or request.form.get('login', '').strip().lower()}"


def _failed(response) -> bool:
    # A failed attempt re-renders the form (200); a success redirects.
    return request.method == "POST" and response.status_code == 200


def throttled_login(view):
    """At most LOGIN_FAILURES_ALLOWED failures per account; ten times as many per address."""
    per_account = limiter.limit(
        lambda: current_app.config["LOGIN_FAILURES_ALLOWED"],
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-account",
    )
    per_address = limiter.limit(
        lambda: "100 per 15 minutes",
        key_func=get_remote_address,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-address",
    )
    return per_address(per_account(view))
