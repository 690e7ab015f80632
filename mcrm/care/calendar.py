"""The shop's calendar: its country's holidays and festivals, and the solar day a member's birthday falls on.

Holidays come from the `holidays` library (public and half-day ones, without the in-lieu days a holiday
is observed on), one occasion per holiday on its first day. A holiday's key is its English name, which stays
the same across years and languages; rules store it. Lunar dates use `lunardate`.
"""

from __future__ import annotations

import calendar as solar_calendar
import datetime as dt
import functools
from dataclasses import dataclass

import holidays
from lunardate import LunarDate

from mcrm.care.festivals import FESTIVALS

CATEGORIES = ("public", "half_day")
KEY_LANGUAGE = "en_US"


@dataclass(frozen=True)
class Occasion:
    key: str  # the holiday's English name
    name: str  # in the requested locale
    date: dt.date


def _holiday_table(country: str, year: int, language: str | None):
    cls = holidays.country_holidays(country)
    categories = tuple(c for c in CATEGORIES if c in cls.supported_categories)
    return holidays.country_holidays(country, years=year, language=language, categories=categories, observed=False)


@functools.lru_cache(maxsize=512)
def _occasions(country: str, year: int, zh: bool) -> tuple[Occasion, ...]:
    try:
        languages = holidays.country_holidays(country).supported_languages
    except NotImplementedError:  # a country the library does not know
        return ()
    source = _holiday_table(country, year, holidays.country_holidays(country).default_language)
    keys = _holiday_table(country, year, KEY_LANGUAGE) if KEY_LANGUAGE in languages else source
    wanted = "zh_CN" if zh and "zh_CN" in languages else KEY_LANGUAGE
    names = _holiday_table(country, year, wanted) if wanted in languages else source
    found: dict[str, Occasion] = {}
    for day in sorted(source):
        # Two holidays on one day come as a list; translating each source name keeps the pairs right.
        for original in source.get_list(day):
            key = keys.tr(original)
            if key not in found:  # a holiday of several days is greeted on its first
                found[key] = Occasion(key, names.tr(original), day)
    if country == "CN":
        # The festivals the library lacks are Chinese customs: only Chinese shops get them.
        for festival in FESTIVALS:
            for day in festival.dates_in(year):
                found.setdefault(festival.key, Occasion(festival.key, festival.zh if zh else festival.en, day))
    return tuple(sorted(found.values(), key=lambda o: (o.date, o.key)))


def holidays_for(country: str, year: int, locale: str) -> list[Occasion]:
    """The country's holidays (and, for CN, festivals) in `year`, named in `locale`, by date."""
    return list(_occasions(country.upper(), year, locale.lower().startswith("zh")))


def holiday_date(country: str, key: str, year: int) -> dt.date | None:
    """The day the holiday `key` falls on in `year` (None when it does not fall in that year)."""
    for occasion in _occasions(country.upper(), year, False):
        if occasion.key == key:
            return occasion.date
    return None


def lunar_to_solar(lunar_year: int, month: int, day: int) -> dt.date | None:
    """The solar date of a lunar date in the regular (non-leap) month; a 30th in a 29-day month is the 29th."""
    try:
        return LunarDate(lunar_year, month, day).to_solar_date()
    except ValueError:
        if day != 30:
            return None
    try:
        return LunarDate(lunar_year, month, 29).to_solar_date()
    except ValueError:
        return None


def solar_birthday(month: int, day: int, lunar: bool, year: int) -> dt.date | None:
    """The solar date in `year` of a birthday (None for a date no year has, such as 31 April).

    Solar 29 February falls on the 28th in other years. A lunar birthday is in the regular month: in a
    lunar year with a leap month of the same number the member is greeted once, in the regular month, as
    people keep their birthday. A lunar year straddles the solar one, so the lunar birthdays of lunar years
    year - 1 and year are both looked at; in the rare year both fall in `year` (a 12th-month birthday in
    early January and again in late December), the earlier is the one given.
    """
    if not lunar:
        if (month, day) == (2, 29) and not solar_calendar.isleap(year):
            return dt.date(year, 2, 28)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    for lunar_year in (year - 1, year):
        solar = lunar_to_solar(lunar_year, month, day)
        if solar is not None and solar.year == year:
            return solar
    return None


def lunar_birthdays_on(target: dt.date) -> list[tuple[int, int]]:
    """The lunar (month, day) birthdays greeted on solar `target` (none on a day of a leap month)."""
    lunar = LunarDate.from_solar_date(target.year, target.month, target.day)
    if lunar.is_leap_month:
        return []
    found = [(lunar.month, lunar.day)]
    if lunar.day == 29 and lunar_to_solar(lunar.year, lunar.month, 30) == target:
        found.append((lunar.month, 30))  # the month has no 30th: its 30th birthdays fall today
    return found


def lunar_year_of(target: dt.date) -> int:
    """The lunar year holding solar `target`."""
    return LunarDate.from_solar_date(target.year, target.month, target.day).year
