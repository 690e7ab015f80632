"""Festivals Chinese shops greet that the `holidays` library does not list (it knows only public holidays).

Only for CN: elsewhere these dates mean nothing in particular, so `calendar.holidays_for` adds them for CN
alone. Lunar dates are in the regular (non-leap) month; `Rule` says how to find the day in a year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lunardate import LunarDate


@dataclass(frozen=True)
class Festival:
    key: str  # English name: the rule's holiday_key
    zh: str
    en: str
    lunar: bool  # month and day are lunar
    month: int
    day: int = 0
    # Solar festivals on "the n-th Sunday of the month" (Mother's and Father's Day) rather than a fixed day.
    nth_sunday: int = 0

    def dates_in(self, year: int) -> list[dt.date]:
        """The solar dates this festival falls on in solar `year` (a lunar one can fall twice, or not at all)."""
        if not self.lunar:
            if self.nth_sunday:
                first = dt.date(year, self.month, 1)
                first_sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
                return [first_sunday + dt.timedelta(weeks=self.nth_sunday - 1)]
            return [dt.date(year, self.month, self.day)]
        # A late lunar month (Laba, Little New Year) of lunar year Y-1 falls in January or February of Y.
        found = []
        for lunar_year in (year - 1, year):
            solar = LunarDate(lunar_year, self.month, self.day).to_solar_date()
            if solar.year == year:
                found.append(solar)
        return found


FESTIVALS = (
    Festival("Lantern Festival", "元宵节", "Lantern Festival", lunar=True, month=1, day=15),
    Festival("Qixi Festival", "七夕节", "Qixi Festival", lunar=True, month=7, day=7),
    Festival("Double Ninth Festival", "重阳节", "Double Ninth Festival", lunar=True, month=9, day=9),
    Festival("Laba Festival", "腊八节", "Laba Festival", lunar=True, month=12, day=8),
    # The northern date (the south keeps the 24th).
    Festival("Little New Year", "小年", "Little New Year", lunar=True, month=12, day=23),
    Festival("Valentine's Day", "情人节", "Valentine's Day", lunar=False, month=2, day=14),
    Festival("Mother's Day", "母亲节", "Mother's Day", lunar=False, month=5, nth_sunday=2),
    Festival("Father's Day", "父亲节", "Father's Day", lunar=False, month=6, nth_sunday=3),
    Festival("Christmas", "圣诞节", "Christmas", lunar=False, month=12, day=25),
)
