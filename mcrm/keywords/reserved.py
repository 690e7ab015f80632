"""Whether a shop may take a word as a keyword alias or an app keyword.

A word is refused when a consumer's text could never reach it or would reach two things: a system keyword
(or a Chinese word a system keyword would read as its own with an argument, `积分卡` = `积分` + `卡`), a shop
command word (or a word that would be read as one with an argument, `群发券`, `xf8`), or a word the shop already
uses for an alias, another app or a survey that is not closed.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from mcrm.db import db
from mcrm.keywords.normalise import normalise
from mcrm.keywords.system import WITH_ARGUMENT, argument_after, system_words

# What the shop's own staff text from their registered phones (mcrm.keywords.merchant): its command words and
# the answers to a waiting broadcast.
MERCHANT_WORDS = frozenset({"xf", "消费", "cx", "qf", "群发", "y", "是"})
MAX_KEYWORD_LENGTH = 20


def keyword_problem(
    tenant_id: int,
    word: str,
    *,
    app_id: int | None = None,
    alias_id: int | None = None,
    survey_id: int | None = None,
) -> str | None:
    """Why `word` cannot be this shop's new keyword, or None when it can. `app_id`/`alias_id`/`survey_id`: the
    app, alias or survey being edited, which may keep its own word."""
    from mcrm.apps.models import KeywordApp
    from mcrm.keywords.merchant import split_verb
    from mcrm.keywords.models import KeywordAlias
    from mcrm.surveys.models import Survey, SurveyStatus

    plain = normalise(word)
    if not plain:
        return _("Enter a keyword.")
    if " " in plain:
        return _("A keyword is one word, without spaces.")
    if len(plain) > MAX_KEYWORD_LENGTH:
        return _("A keyword has at most %(count)d characters.", count=MAX_KEYWORD_LENGTH)
    if plain in system_words():
        return _("%(keyword)s is a system keyword.", keyword=plain.upper())
    for words in WITH_ARGUMENT.values():
        for system_word in words:
            if argument_after(system_word, plain, plain) is not None:
                return _(
                    "%(keyword)s would be read as the system keyword %(system)s.",
                    keyword=plain.upper(),
                    system=system_word.upper(),
                )
    if plain in MERCHANT_WORDS or split_verb(plain) is not None:
        return _("%(keyword)s is kept for shop commands by SMS.", keyword=plain.upper())
    alias = db.scalar(
        select(KeywordAlias).where(
            KeywordAlias.tenant_id == tenant_id, KeywordAlias.alias == plain, KeywordAlias.id != (alias_id or 0)
        )
    )
    if alias is not None:
        return _("%(keyword)s is already one of this shop's keyword aliases.", keyword=plain.upper())
    app = db.scalar(
        select(KeywordApp).where(
            KeywordApp.tenant_id == tenant_id, KeywordApp.keyword == plain, KeywordApp.id != (app_id or 0)
        )
    )
    if app is not None:
        return _("%(keyword)s is already used by the app %(app)s.", keyword=plain.upper(), app=app.name)
    survey = db.scalar(
        select(Survey.name).where(
            Survey.tenant_id == tenant_id,
            Survey.keyword == plain,
            Survey.status != SurveyStatus.CLOSED,
            Survey.id != (survey_id or 0),
        )
    )
    if survey is not None:
        return _("%(keyword)s is already used by the survey %(survey)s.", keyword=plain.upper(), survey=survey)
    return None
