"""Shop staff working by SMS from their registered phones: XF (purchase), CX (look-up), QF (broadcast).

A text is a command when it starts with a command word (`XF 8000 58`, `xf8000 58`, `消费8000 58`) or, for
an owner with a broadcast waiting, is a whole `Y`. A command word is answered even when what follows it
is wrong (with the format), since no consumer keyword or app can start with one (reserved.MERCHANT_WORDS);
anything else returns None and goes on as a consumer's text.
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata

from mcrm.db import db
from mcrm.keywords import broadcast, member_commands
from mcrm.keywords.normalise import normalise
from mcrm.messaging.models import Message
from tenants.models import Tenant, User


class Verb(enum.StrEnum):
    PURCHASE = "xf"
    LOOKUP = "cx"
    BROADCAST = "qf"


# Normalised command words, none a prefix of another; reserved.py keeps shops off them. No
# 查询 for CX: shops want it for their own look-up apps (查询快递), and staff type CX as fast.
VERBS = {
    "xf": Verb.PURCHASE,
    "消费": Verb.PURCHASE,
    "cx": Verb.LOOKUP,
    "qf": Verb.BROADCAST,
    "群发": Verb.BROADCAST,
}
# The whole message that sends a waiting broadcast.
CONFIRMATIONS = frozenset({"y", "是"})


def command(tenant: Tenant, user: User, message: Message, now: dt.datetime) -> str | None:
    """Carry out `message` as a command of `user` and return the reply, or None when it is not a command
    (the router then treats it as a consumer's text)."""
    confirming = normalise(message.body) in CONFIRMATIONS
    found = None if confirming else split_verb(message.body)
    if not confirming and found is None:
        return None
    # A savepoint of our own: a command that fails half-way is undone alone, whatever the caller holds.
    with db.begin_nested():
        if confirming:
            return broadcast.confirm(tenant, user, message, now)
        verb, rest = found
        if verb == Verb.PURCHASE:
            return member_commands.purchase(tenant, user, message, rest)
        if verb == Verb.LOOKUP:
            return member_commands.look_up(tenant, rest)
        return broadcast.prepare(tenant, user, message, rest, now)


def split_verb(body: str) -> tuple[Verb, str] | None:
    """The command word `body` starts with and the rest as typed (full-width, case and punctuation kept, for
    a broadcast's text), or None. A Latin word may run straight into digits (`xf8000`) but not into letters,
    so `xfoo` is not XF; a Chinese one may run into anything."""
    text = body.strip()
    for word, verb in VERBS.items():
        if unicodedata.normalize("NFKC", text[: len(word)]).casefold() != word:
            continue
        rest = text[len(word) :]
        following = unicodedata.normalize("NFKC", rest[:1])
        if word.isascii() and following.isascii() and following.isalpha():
            continue
        return verb, rest.strip()
    return None
