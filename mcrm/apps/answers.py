"""A form question's answer as a consumer texts it, checked against the question's type."""

from __future__ import annotations

import datetime as dt
import re

import dateparser

from mcrm.apps.models import AnswerType
from mcrm.keywords.normalise import tidy

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# dateparser reads 12-24 or 明天 but not 12月24日: make the Chinese month-day form the dashed one.
_CHINESE_DATE = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")


def parse_answer(answer_type: AnswerType, text: str, today: dt.date) -> str | None:
    """The answer as it will be stored, or None when it is not an answer of that type."""
    text = tidy(text)
    if not text:
        return None
    if answer_type == AnswerType.NUMBER:
        found = _NUMBER.search(text)  # "4个人", "4 people"
        return found.group(0) if found else None
    if answer_type == AnswerType.DATE:
        return _date(text, today)
    return text[:500]


def _date(text: str, today: dt.date) -> str | None:
    if text.isdigit():
        return None  # "4" is a party size typed in the wrong place, not the 4th
    text = _CHINESE_DATE.sub(r"\1-\2", text)
    moment = dateparser.parse(
        text,
        languages=["zh", "en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12)),
            "DATE_ORDER": "MDY",
        },
    )
    return moment.date().isoformat() if moment else None
