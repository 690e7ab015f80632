"""A survey question as the SMS shows it, and a consumer's reply read as its answer.

Options are shown numbered (`1. …`), because every phone keypad has digits; the letters `A`–`I` and the
option's own text are accepted as well. A digit or letter is read as an option's number before it is
compared with the options' texts, since the SMS asks for the number.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from mcrm.keywords.normalise import normalise
from mcrm.surveys.models import QuestionKind, SurveyQuestion

LETTERS = string.ascii_lowercase[:9]  # a–i: at most nine options
RATING_RANGES = {QuestionKind.RATING5: (1, 5), QuestionKind.RATING10: (0, 10)}
YES = frozenset({"是", "是的", "对", "对的", "好", "y", "yes"})
NO = frozenset({"否", "不", "不是", "不对", "没有", "n", "no"})
CHINESE_NUMERALS = {c: n for n, c in enumerate("零一二三四五六七八九十")} | {"两": 2}
# Between several choices, loosest first: commas (full-width ones are folded by NFKC), 、 and semicolons; then
# spaces; then 和 / and. A piece that names an option whole is not split further ("Fried rice", 和牛 a dish).
_SEPARATORS = (re.compile(r"[,、;/]"), re.compile(r"\s"), re.compile(r"和|\band\b"))
_RATING = re.compile(r"(\d{1,2}|[零一二两三四五六七八九十])\s*(?:分|星|points?|stars?)?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")  # "3个", "about 3", "2.5kg"
_CHINESE_NUMBER = re.compile(r"[零一二两三四五六七八九十]")


@dataclass(frozen=True)
class Parsed:
    """An answer read from a reply: the text as typed, and what it means for counting."""

    text: str
    choices: list[int] | None = None  # options' indexes; yes/no: [0] yes, [1] no
    number: float | None = None


def parse_answer(question: SurveyQuestion, text: str) -> Parsed | None:
    """The answer `text` gives to `question`, or None when it is not one of the allowed answers."""
    typed = text.strip()
    kind = question.kind
    if kind == QuestionKind.TEXT:
        return Parsed(typed) if typed else None  # "👍" is an answer too
    plain = normalise(text)
    if not plain:
        return None
    if kind == QuestionKind.SINGLE:
        index = _option(question.options, plain)
        return Parsed(typed, choices=[index]) if index is not None else None
    if kind == QuestionKind.MULTIPLE:
        chosen = _options(question.options, plain)
        return Parsed(typed, choices=chosen) if chosen else None
    if kind in RATING_RANGES:
        low, high = RATING_RANGES[kind]
        found = _RATING.fullmatch(plain)
        value = _numeral(found.group(1)) if found else None
        return Parsed(typed, number=float(value)) if value is not None and low <= value <= high else None
    if kind == QuestionKind.YES_NO:
        if plain in YES:
            return Parsed(typed, choices=[0])
        return Parsed(typed, choices=[1]) if plain in NO else None
    if kind == QuestionKind.NUMBER:
        found = _NUMBER.search(plain) or _CHINESE_NUMBER.match(plain)
        return Parsed(typed, number=float(_numeral(found.group(0)))) if found else None
    return None


def _numeral(token: str) -> float | int:
    if token in CHINESE_NUMERALS:
        return CHINESE_NUMERALS[token]
    return float(token) if "." in token else int(token)


def _option(options: list[str], plain: str) -> int | None:
    """The option `plain` names: its number (1–9), its letter (a–i), or its whole text."""
    count = len(options)
    if len(plain) == 1 and plain.isdigit() and 1 <= int(plain) <= count:
        return int(plain) - 1
    if len(plain) == 1 and plain in LETTERS[:count]:
        return LETTERS.index(plain)
    for index, option in enumerate(options):
        if normalise(option) == plain:
            return index
    return None


def _options(options: list[str], plain: str) -> list[int] | None:
    """The options several choices name ("1 3", "A,C", "1、3", "AC", "1和3"); None when any is not one."""
    chosen = _split(options, plain, 0)
    return sorted(set(chosen)) if chosen else None


def _split(options: list[str], text: str, level: int) -> list[int] | None:
    found = _piece(options, text)
    if found is not None or level == len(_SEPARATORS):
        return found
    chosen = []
    for part in _SEPARATORS[level].split(text):
        part = part.strip()
        if part:
            found = _split(options, part, level + 1)
            if found is None:
                return None
            chosen.extend(found)
    return chosen


def _piece(options: list[str], piece: str) -> list[int] | None:
    """One choice, or a run of digits or letters typed together ("13", "ac")."""
    one = _option(options, piece)
    if one is not None:
        return [one]
    if len(piece) > 1 and (piece.isdigit() or piece.isalpha()) and piece.isascii():
        run = [_option(options, char) for char in piece]
        return None if None in run else run
    return None


def question_text(question: SurveyQuestion) -> str:
    """The question as the SMS shows it: the prompt, then the numbered options or the scale to answer on."""
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        lines = [question.prompt, *(f"{number}. {option}" for number, option in enumerate(question.options, 1))]
        if question.kind == QuestionKind.MULTIPLE:
            lines.insert(1, _("(one or more, e.g. 1 2)"))
        return "\n".join(lines)
    if question.kind in RATING_RANGES:
        low, high = RATING_RANGES[question.kind]
        return f"{question.prompt} ({low}–{high})"
    if question.kind == QuestionKind.YES_NO:
        return f"{question.prompt} {_('(Y/N)')}"
    return question.prompt


def allowed_hint(question: SurveyQuestion, locale: str | None = None) -> str:
    """What a re-ask says the question accepts, in `locale` (the current one when None)."""
    if locale is None:
        return _hint(question)
    with force_locale(locale):
        return _hint(question)


def _hint(question: SurveyQuestion) -> str:
    count = len(question.options)
    if question.kind == QuestionKind.SINGLE:
        return _("Please answer 1–%(number)d or A–%(letter)s.", number=count, letter=LETTERS[count - 1].upper())
    if question.kind == QuestionKind.MULTIPLE:
        return _(
            "Please answer one or more of 1–%(number)d or A–%(letter)s, e.g. 1 2.",
            number=count,
            letter=LETTERS[count - 1].upper(),
        )
    if question.kind in RATING_RANGES:
        low, high = RATING_RANGES[question.kind]
        return _("Please answer a number from %(low)d to %(high)d.", low=low, high=high)
    if question.kind == QuestionKind.YES_NO:
        return _("Please answer 是 or 否 (Y or N).")
    if question.kind == QuestionKind.NUMBER:
        return _("Please answer with a number.")
    return _("Please answer in a few words.")
