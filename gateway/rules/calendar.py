"""The school calendar: schooldagen, the four-week window (F5) and deadlines in werkdagen (F8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from gateway.model import DateRange

ONE_DAY = dt.timedelta(days=1)
WINDOW_DAYS = 28  # F5: "4 consecutive lesson weeks" = 28 calendar days outside holidays
DEADLINE_WERKDAGEN = 5  # F8


class SchoolCalendar:
    """Which dates are schooldagen, given the school's configured holidays (``vakanties``).

    A schooldag is Monday to Friday and not inside a holiday; a werkdag is Monday to Friday.
    Instances are immutable and cache their answers, so one calendar serves a whole run.
    """

    def __init__(self, vakanties: Iterable[DateRange]) -> None:
        holidays: set[dt.date] = set()
        for vakantie in vakanties:
            day = vakantie.van
            while day <= vakantie.tot:
                holidays.add(day)
                day += ONE_DAY
        self._holidays = frozenset(holidays)
        # Per-instance caches: a run asks the same few hundred dates again and again.
        self.window_end = lru_cache(maxsize=4096)(self._window_end)
        self.is_schooldag = lru_cache(maxsize=4096)(self._is_schooldag)
        self.next_schooldag = lru_cache(maxsize=4096)(self._next_schooldag)

    def is_holiday(self, day: dt.date) -> bool:
        return day in self._holidays

    def _is_schooldag(self, day: dt.date) -> bool:
        """Monday to Friday and not inside a holiday."""
        return day.weekday() < 5 and day not in self._holidays

    def _next_schooldag(self, day: dt.date) -> dt.date:
        """The first schooldag after ``day``."""
        day += ONE_DAY
        while not self._is_schooldag(day):
            day += ONE_DAY
        return day

    def has_schooldag(self, first: dt.date, last: dt.date) -> bool:
        """Whether the inclusive period [first, last] holds at least one schooldag."""
        return self.next_schooldag(first - ONE_DAY) <= last

    def _window_end(self, start: dt.date) -> dt.date:
        """F5: the last of the first 28 calendar days from ``start`` on that are not holidays.

        Holidays stretch the window; weekends do not.
        """
        counted = 0
        day = start
        while True:
            if day not in self._holidays:
                counted += 1
                if counted == WINDOW_DAYS:
                    return day
            day += ONE_DAY

    def add_werkdagen(self, day: dt.date, werkdagen: int = DEADLINE_WERKDAGEN) -> dt.date:
        """F8: the date ``werkdagen`` working days (Monday-Friday) after ``day``."""
        remaining = werkdagen
        while remaining:
            day += ONE_DAY
            if day.weekday() < 5:
                remaining -= 1
        return day
