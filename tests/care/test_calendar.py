"""The shop's calendar: holidays and festivals with their names, and the day a birthday falls on."""

from __future__ import annotations

import datetime as dt

from mcrm.care.calendar import holiday_date, holidays_for, lunar_birthdays_on, solar_birthday

SPRING = "Chinese New Year (Spring Festival)"


def _by_key(occasions):
    return {o.key: o for o in occasions}


def test_chinese_holidays_have_chinese_names_and_one_day_each():
    occasions = holidays_for("CN", 2027, "zh_CN")
    by_key = _by_key(occasions)
    assert (by_key[SPRING].name, by_key[SPRING].date) == ("春节", dt.date(2027, 2, 6))
    assert (by_key["Mid-Autumn Festival"].name, by_key["Mid-Autumn Festival"].date) == ("中秋节", dt.date(2027, 9, 15))
    assert (by_key["National Day"].name, by_key["National Day"].date) == ("国庆节", dt.date(2027, 10, 1))
    # The festivals the library lacks, from the lunar calendar.
    assert (by_key["Lantern Festival"].name, by_key["Lantern Festival"].date) == ("元宵节", dt.date(2027, 2, 20))
    assert by_key["Qixi Festival"].date == dt.date(2027, 8, 8)
    assert by_key["Double Ninth Festival"].date == dt.date(2027, 10, 8)
    assert by_key["Laba Festival"].date == dt.date(2027, 1, 15)
    assert by_key["Mother's Day"].date == dt.date(2027, 5, 9)
    assert by_key["Father's Day"].date == dt.date(2027, 6, 20)
    # One occasion per holiday; the in-lieu days (春节（补假）) are not holidays of their own.
    assert len(occasions) == len(by_key)
    assert not any("补假" in o.name or "observed" in o.key for o in occasions)
    assert [o.date for o in occasions] == sorted(o.date for o in occasions)


def test_names_follow_the_locale_and_keys_do_not():
    english = _by_key(holidays_for("CN", 2027, "en"))
    assert english[SPRING].name == SPRING
    assert english["Lantern Festival"].name == "Lantern Festival"
    assert set(english) == set(_by_key(holidays_for("CN", 2027, "zh_CN")))


def test_two_holidays_on_one_day_keep_their_own_names():
    # 2020: National Day and Mid-Autumn Festival fell on the same day.
    by_key = _by_key(holidays_for("CN", 2020, "zh_CN"))
    assert (by_key["National Day"].name, by_key["National Day"].date) == ("国庆节", dt.date(2020, 10, 1))
    assert (by_key["Mid-Autumn Festival"].name, by_key["Mid-Autumn Festival"].date) == ("中秋节", dt.date(2020, 10, 1))


def test_other_countries_get_their_holidays_without_chinese_festivals():
    american = _by_key(holidays_for("US", 2027, "en"))
    assert american["Independence Day"].date == dt.date(2027, 7, 4)
    assert "Lantern Festival" not in american
    assert holidays_for("XX", 2027, "en") == []


def test_holiday_date_moves_with_the_lunar_calendar():
    assert holiday_date("CN", SPRING, 2027) == dt.date(2027, 2, 6)
    assert holiday_date("CN", SPRING, 2028) == dt.date(2028, 1, 26)
    assert holiday_date("CN", "Lantern Festival", 2028) == dt.date(2028, 2, 9)
    assert holiday_date("CN", "No such day", 2027) is None
    assert holiday_date("XX", SPRING, 2027) is None


def test_solar_birthdays():
    assert solar_birthday(3, 14, False, 2027) == dt.date(2027, 3, 14)
    # 29 February: on the 28th in a year without one.
    assert solar_birthday(2, 29, False, 2027) == dt.date(2027, 2, 28)
    assert solar_birthday(2, 29, False, 2028) == dt.date(2028, 2, 29)
    assert solar_birthday(4, 31, False, 2027) is None


def test_lunar_birthdays():
    # Lunar 8/15 is the Mid-Autumn Festival.
    assert solar_birthday(8, 15, True, 2027) == dt.date(2027, 9, 15)
    # The 12th month of lunar 2027 has 29 days: a 30th birthday falls on the 29th (2028-01-25).
    assert solar_birthday(12, 29, True, 2028) == dt.date(2028, 1, 25)
    assert solar_birthday(12, 30, True, 2028) == dt.date(2028, 1, 25)
    # A 12th-month birthday of lunar 2026 falls in January 2027.
    assert solar_birthday(12, 8, True, 2027) == dt.date(2027, 1, 15)


def test_a_lunar_birthday_in_a_year_with_that_leap_month_is_greeted_once():
    # Lunar 2025 has a leap 6th month: 6/10 falls on 2025-07-04, and the leap month's 6/10 (2025-08-03)
    # is nobody's birthday.
    assert solar_birthday(6, 10, True, 2025) == dt.date(2025, 7, 4)
    assert lunar_birthdays_on(dt.date(2025, 7, 4)) == [(6, 10)]
    assert lunar_birthdays_on(dt.date(2025, 8, 3)) == []


def test_the_29th_of_a_short_lunar_month_also_greets_the_30th():
    assert lunar_birthdays_on(dt.date(2028, 1, 25)) == [(12, 29), (12, 30)]
    assert lunar_birthdays_on(dt.date(2027, 9, 15)) == [(8, 15)]
