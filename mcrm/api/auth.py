"""Bearer tokens: each API request is bound to the shop whose token it carries."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from mcrm.api.services import find_token, touch_token
from mcrm.db import db
from tenants.isolation import bind_tenant


def _bearer_token() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Unauthenticated(Exception):
    """The request carries no usable token; the message says why."""

    def __init__(self, message: str, *, invalid: bool):
        super().__init__(message)
        # RFC 6750: a token was sent but is no good, as opposed to no token at all.
        self.challenge = 'Bearer realm="M-CRM API"' + (', error="invalid_token"' if invalid else "")


def authenticate() -> None:
    """Bind the request to the token's shop (g.tenant, g.api_token), or raise Unauthenticated."""
    text = _bearer_token()
    if text is None:
        raise Unauthenticated(
            _("Send the shop's API token in the header Authorization: Bearer <token>."), invalid=False
        )
    found = find_token(text)
    if found is None:
        raise Unauthenticated(_("This API token is not valid."), invalid=True)
    token, tenant = found
    if token.revoked_at is not None:
        raise Unauthenticated(_("This API token was revoked."), invalid=True)
    if not tenant.is_active:
        raise Unauthenticated(_("This shop is suspended."), invalid=True)
    bind_tenant(tenant.id)
    g.tenant, g.api_token = tenant, token
    touch_token(token)
    # Its own small transaction, so that a request that fails later still counts as a use.
    db.commit()
