"""Creating and changing a shop's keyword apps: the keyword checked, the texts, the look-up table, the form's
questions, on and off, deletion. Views call these; they do not commit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from mcrm.apps.models import AnswerType, AppKind, AppSubscriber, FormQuestion, KeywordApp, LookupRow
from mcrm.db import db
from mcrm.keywords.normalise import normalise, tidy
from mcrm.keywords.reserved import keyword_problem
from mcrm.members.models import Member
from tenants.models import Tenant

MAX_KEY = 40  # the column's width
MAX_VALUE = 300  # two SMS of Chinese: an answer longer than that is a web page, not a text
MAX_LOOKUP_ROWS = 500
MAX_QUESTIONS = 10  # a form is a few texts back and forth, not a questionnaire
# Between a look-up key and its value: a tab (pasted from Excel), a comma or a colon, half- or full-width.
# A colon between digits is part of the value ("10:00-22:00"), not a separator.
_SEPARATOR = re.compile(r"\t|[,，：]|(?<!\d):|:(?!\d)")


class AppError(ValueError):
    """An app change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _keyword(tenant: Tenant, word: str, app: KeywordApp | None) -> str:
    problem = keyword_problem(tenant.id, word, app_id=app.id if app else None)
    if problem:
        raise AppError(problem, field="keyword")
    return normalise(word)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AppError(_("Give the app a name."), field="name")
    return name[:80]


def create_app(tenant: Tenant, *, keyword: str, name: str, kind: AppKind) -> KeywordApp:
    """A new app, off: the owner switches it on at the end of the wizard, once its texts are written."""
    app = KeywordApp(
        tenant_id=tenant.id, keyword=_keyword(tenant, keyword, None), name=_name(name), kind=kind, enabled=False
    )
    db.add(app)
    db.flush()
    return app


def update_app(tenant: Tenant, app: KeywordApp, *, keyword: str, name: str, kind: AppKind) -> None:
    """Change the keyword, the name, and the type while the app has never been used (once customers have
    joined its list or filled in its form, another type would orphan what they did). A new type switches the
    app off: its texts were written for the old one, and the owner switches it on again at step 3."""
    if kind != app.kind:
        if not kind_may_change(app):
            raise AppError(_("The type of an app that has been used cannot change: make a new app."), field="kind")
        app.enabled = False
    app.keyword = _keyword(tenant, keyword, app)
    app.name = _name(name)
    app.kind = kind


def kind_may_change(app: KeywordApp) -> bool:
    return app.uses == 0


def set_texts(
    app: KeywordApp, *, reply_text: str = "", leave_text: str = "", not_found_text: str = "", notify_shop: bool = False
) -> None:
    """The app's texts; an empty one means the standard wording (except an auto-reply's, its whole point)."""
    reply_text = (reply_text or "").strip()
    if app.kind == AppKind.AUTO_REPLY and not reply_text:
        raise AppError(_("Write the reply."), field="reply_text")
    app.reply_text = reply_text
    app.leave_text = (leave_text or "").strip()
    app.not_found_text = (not_found_text or "").strip()
    app.notify_shop = notify_shop


# The look-up table ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupLine:
    shown_key: str
    value: str


@dataclass(frozen=True)
class BadLine:
    number: int  # counted from 1, as an editor shows lines
    text: str
    problem: str


def parse_lookup_table(text: str) -> tuple[list[LookupLine], list[BadLine]]:
    """The rows of a table typed or pasted one per line (`拿铁, 28元`, `拿铁：28元`, `拿铁<TAB>28元`, or
    `拿铁 28元` when there is no other separator), and the lines that are not rows, with why."""
    good: list[LookupLine] = []
    bad: list[BadLine] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        found = _SEPARATOR.search(line)
        if found:
            key, value = line[: found.start()], line[found.end() :]
        else:  # the first run of spaces (full-width ones too)
            key, value = [*line.split(None, 1), ""][:2]
        shown_key = tidy(key)
        # Excel's further columns (tabs) and stray runs of spaces read as one space.
        value = " ".join(value.split())
        problem = None
        if not shown_key:
            problem = _("There is no key before the separator.")
        elif not value:
            problem = _("There is no answer after the key: separate them with a comma, e.g. 拿铁, 28元.")
        elif len(shown_key) > MAX_KEY:
            problem = _("The key is longer than %(count)d characters.", count=MAX_KEY)
        elif len(value) > MAX_VALUE:
            problem = _("The answer is longer than %(count)d characters.", count=MAX_VALUE)
        elif normalise(shown_key) in seen:
            problem = _(
                "%(key)s is already on line %(line)d; the first one is kept.",
                key=shown_key,
                line=seen[normalise(shown_key)],
            )
        elif len(good) >= MAX_LOOKUP_ROWS:
            problem = _("A table has at most %(count)d rows.", count=MAX_LOOKUP_ROWS)
        if problem:
            bad.append(BadLine(number, line, problem))
            continue
        seen[normalise(shown_key)] = number
        good.append(LookupLine(shown_key, value))
    return good, bad


def set_lookup_rows(tenant: Tenant, app: KeywordApp, lines: list[LookupLine]) -> None:
    """Replace the app's table with `lines` (the whole table is edited as one text)."""
    db.execute(delete(LookupRow).where(LookupRow.app_id == app.id))
    db.add_all(
        LookupRow(
            tenant_id=tenant.id,
            app_id=app.id,
            key=normalise(line.shown_key),
            shown_key=line.shown_key,
            value=line.value,
        )
        for line in lines
    )
    db.flush()


def lookup_rows(app: KeywordApp) -> list[LookupRow]:
    """The table in the order the owner wrote it."""
    return list(db.scalars(select(LookupRow).where(LookupRow.app_id == app.id).order_by(LookupRow.id)))


def lookup_table_text(rows: list[LookupRow]) -> str:
    """The table as the owner edits it: one `key, value` line per row."""
    return "\n".join(f"{row.shown_key}, {row.value}" for row in rows)


# The form's questions -------------------------------------------------------------------------------------


def set_questions(tenant: Tenant, app: KeywordApp, questions: list[tuple[str, AnswerType]]) -> None:
    """The form's questions in order; blank prompts are left out, at least one must remain. Rows are
    changed in place, so positions never collide and a conversation under way keeps its step."""
    wanted = [(prompt.strip(), answer_type) for prompt, answer_type in questions if prompt and prompt.strip()]
    if not wanted:
        raise AppError(_("Add at least one question."), field="questions")
    if len(wanted) > MAX_QUESTIONS:
        raise AppError(_("A form has at most %(count)d questions.", count=MAX_QUESTIONS), field="questions")
    existing = list(app.questions)
    for position, (prompt, answer_type) in enumerate(wanted):
        if position < len(existing):
            existing[position].prompt, existing[position].answer_type = prompt, answer_type
        else:
            app.questions.append(
                FormQuestion(
                    tenant_id=tenant.id, app_id=app.id, position=position, prompt=prompt, answer_type=answer_type
                )
            )
    for surplus in existing[len(wanted) :]:
        app.questions.remove(surplus)
    db.flush()


# On, off, gone --------------------------------------------------------------------------------------------


def missing_parts(app: KeywordApp) -> list[str]:
    """What the app still needs before customers can use it."""
    if app.kind == AppKind.AUTO_REPLY and not app.reply_text:
        return [_("The reply is not written yet.")]
    if app.kind == AppKind.LOOKUP and not lookup_rows(app):
        return [_("The table has no rows yet.")]
    if app.kind == AppKind.FORM and not app.questions:
        return [_("The form has no questions yet.")]
    return []


def set_enabled(tenant: Tenant, app: KeywordApp, enabled: bool) -> None:
    """Switch the app on or off. Switching on checks the keyword again (a system keyword may have come since)
    and that the app is complete; off, its keyword stops answering at once."""
    if enabled:
        problem = keyword_problem(tenant.id, app.keyword, app_id=app.id)
        gaps = missing_parts(app)
        if problem or gaps:
            raise AppError(problem or gaps[0], field="enabled")
    app.enabled = enabled


def delete_app(app: KeywordApp) -> None:
    """Delete the app with its list, table, questions and submissions (owner only, after confirmation)."""
    db.delete(app)
    db.flush()


# The list ------------------------------------------------------------------------------------------------


def subscriber_count(app: KeywordApp) -> int:
    """Members on the list now (those who left are kept as a record, not counted)."""
    return db.scalar(select(func.count()).where(AppSubscriber.app_id == app.id, AppSubscriber.left_at.is_(None))) or 0


def latest_subscribers(app: KeywordApp, limit: int = 10) -> list[tuple[AppSubscriber, Member]]:
    rows = db.execute(
        select(AppSubscriber, Member)
        .join(Member, Member.id == AppSubscriber.member_id)
        .where(AppSubscriber.app_id == app.id, AppSubscriber.left_at.is_(None))
        .order_by(AppSubscriber.joined_at.desc(), AppSubscriber.id.desc())
        .limit(limit)
    )
    return [(entry, member) for entry, member in rows]
