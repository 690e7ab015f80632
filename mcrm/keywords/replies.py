"""The automatic replies to system keywords, in the owner's words when they changed them.

Each reply has a default in every language (through Babel) and may be rewritten by the owner per language
(`ReplyText`), with placeholders {shop}, {name}, {points} and {phone}.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from mcrm.apps.placeholders import substitute
from mcrm.db import db
from mcrm.keywords.models import ReplyText

# key -> (what the reply is for, the default text)
REPLIES = {
    "welcome": (_l("A new member joined"), _l("Welcome to {shop}! {points} points. JF for balance, TD to stop.")),
    "already_member": (
        _l("A member texted the join keyword again"),
        _l("You are already a member of {shop} ({phone}) with {points} points."),
    ),
    "not_member": (
        _l("Someone who is not a member asked for their points"),
        _l("You are not a member of {shop} yet. Text ZC and your name to join."),
    ),
    "points": (_l("A member asked for their points"), _l("You have {points} points at {shop}.")),
    "stop": (
        _l("Someone unsubscribed"),
        _l("Unsubscribed: no more offers from {shop}. Text START to undo."),
    ),
    "resume": (
        _l("A member subscribed again"),
        _l("Welcome back! {shop} will send you offers again. Text TD to stop."),
    ),
    "feedback": (
        _l("Feedback, a complaint or a suggestion came in"),
        _l("Thank you. {shop} has received your message and will reply soon."),
    ),
    "help": (
        _l("Help, or a text nothing else answered"),
        _l("Text ZC to join, JF for points, FK + feedback, TD to stop."),
    ),
}


def shop_texts(tenant_id: int) -> dict[tuple[str, str], str]:
    """The owner's rewritten replies, by (key, locale)."""
    rows = db.execute(select(ReplyText.key, ReplyText.locale, ReplyText.text).where(ReplyText.tenant_id == tenant_id))
    return {(key, locale): text for key, locale, text in rows}


def reply_text(texts: dict[tuple[str, str], str], key: str, **values: object) -> str:
    """Reply `key` in the current locale, the owner's wording when there is one, placeholders filled."""
    own = texts.get((key, str(get_locale())))
    return substitute(own or str(REPLIES[key][1]), values)
