"""Shop staff working by SMS from their registered phones: XF (purchase), CX (look-up), QF (broadcast)."""

from __future__ import annotations

import datetime as dt

from mcrm.messaging.models import Message
from tenants.models import Tenant, User


def command(tenant: Tenant, user: User, message: Message, now: dt.datetime) -> str | None:
    """Carry out `message` as a command of `user` and return the reply, or None when it is not a command
    (the router then treats it as a consumer's text)."""
    return None
