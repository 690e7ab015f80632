"""Changing a shop's aliases and reply wording, with the checks the owner's input needs."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete

from mcrm.db import db
from mcrm.keywords.models import KeywordAlias, ReplyText
from mcrm.keywords.normalise import normalise
from mcrm.keywords.replies import REPLIES
from mcrm.keywords.reserved import keyword_problem
from mcrm.keywords.system import Action
from tenants.models import Tenant

MAX_REPLY_LENGTH = 300


class KeywordSettingsError(ValueError):
    """The owner's input cannot be saved; the message says why."""


def add_alias(tenant: Tenant, word: str, action: Action) -> KeywordAlias:
    problem = keyword_problem(tenant.id, word)
    if problem:
        raise KeywordSettingsError(problem)
    alias = KeywordAlias(tenant_id=tenant.id, alias=normalise(word), action=action)
    db.add(alias)
    db.flush()
    return alias


def save_reply_texts(tenant: Tenant, texts: dict[tuple[str, str], str]) -> None:
    """Set the owner's wording per (key, locale); an empty text goes back to the default."""
    for (key, locale), text in texts.items():
        if key not in REPLIES:
            raise KeywordSettingsError(_("Unknown reply."))
        text = text.strip()
        if len(text) > MAX_REPLY_LENGTH:
            raise KeywordSettingsError(_("A reply has at most %(count)d characters.", count=MAX_REPLY_LENGTH))
        db.execute(
            delete(ReplyText).where(ReplyText.tenant_id == tenant.id, ReplyText.key == key, ReplyText.locale == locale)
        )
        if text:
            db.add(ReplyText(tenant_id=tenant.id, key=key, locale=locale, text=text))
    db.flush()
