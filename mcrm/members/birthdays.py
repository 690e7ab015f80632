"""Birthdays as people type them: 1990-08-15, 19900815, 08-15, 0815, 8/15, 农历0815, lunar 08-15."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_LUNAR_PREFIX = re.compile(r"^(农历|阴历|lunar)\s*", re.IGNORECASE)
_FULL = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$|^(\d{2})(\d{2})$")


@dataclass(frozen=True)
class Birthday:
    month: int
    day: int
    year: int | None = None
    lunar: bool = False


def parse_birthday(text: str) -> Birthday | None:
    """The birthday in `text`, or None when it is not one (the caller explains)."""
    text = text.strip()
    lunar = bool(_LUNAR_PREFIX.match(text))
    text = _LUNAR_PREFIX.sub("", text).replace(" ", "")
    year = None
    if full := _FULL.match(text):
        year, month, day = (int(g) for g in full.groups())
    elif md := _MONTH_DAY.match(text):
        parts = [g for g in md.groups() if g is not None]
        month, day = int(parts[0]), int(parts[1])
    else:
        return None
    if not (1 <= month <= 12) or not (1 <= day <= (30 if lunar else 31)):
        return None
    if year is not None and not (1900 <= year <= dt.date.today().year):
        return None
    if not lunar:
        try:
            dt.date(year or 2000, month, day)  # 2000 is a leap year: 02-29 without a year is allowed
        except ValueError:
            return None
    return Birthday(month=month, day=day, year=year, lunar=lunar)
