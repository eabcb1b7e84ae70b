"""Counting within four-week windows (F5), shared by R-16U and R-SIGNAAL."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from gateway.rules.calendar import SchoolCalendar


class WindowTry(NamedTuple):
    """One window ``WindowCounter.first_reaching`` looked at (for explanations).

    ``d0`` its first counted date, ``end`` its last day (F5), ``total`` the sum of the amounts on
    its dates, ``reached`` the date on which the running sum reached the threshold (None: not
    reached) and ``reached_total`` the running sum on that date.
    """

    d0: dt.date
    end: dt.date
    total: int
    reached: dt.date | None
    reached_total: int = 0


class WindowCounter:
    """Amounts on dates (ascending, one per date), summed over F5 windows.

    R-16U counts unit-minutes against 960; R-SIGNAAL counts late arrivals against
    ``te_laat_signaal``. Both take the counted dates after a reset date in order, try each as the
    start ``d0`` of a window and stop at the first window whose sum reaches the threshold.
    """

    def __init__(
        self, dates: Sequence[dt.date], amounts: Sequence[int], calendar: SchoolCalendar
    ) -> None:
        self.dates = list(dates)
        self.calendar = calendar
        self.prefix = [0]
        for amount in amounts:
            self.prefix.append(self.prefix[-1] + amount)

    def index_after(self, day: dt.date | None) -> int:
        """Index of the first date after ``day`` (0 when ``day`` is None)."""
        return 0 if day is None else bisect.bisect_right(self.dates, day)

    def total(self, first: dt.date, last: dt.date) -> int:
        """The sum of the amounts on dates in ``[first, last]``."""
        start = bisect.bisect_left(self.dates, first)
        stop = bisect.bisect_right(self.dates, last)
        return self.prefix[stop] - self.prefix[start]

    def first_reaching(self, start: int, threshold: int) -> tuple[dt.date, dt.date] | None:
        """The first window reaching ``threshold``, counting dates from index ``start`` on.

        Returns ``(d0, d1)``: the window's first counted date and the date on which the running sum
        reached the threshold; None when no window reaches it.
        """
        count = len(self.dates)
        stop = start  # one past the last date inside the current window
        for first in range(start, count):
            window_end = self.calendar.window_end(self.dates[first])
            stop = max(stop, first)
            while stop < count and self.dates[stop] <= window_end:
                stop += 1
            base = self.prefix[first]
            if self.prefix[stop] - base >= threshold:
                reached = bisect.bisect_left(self.prefix, base + threshold, first + 1, stop + 1)
                return self.dates[first], self.dates[reached - 1]
        return None

    def windows_tried(self, start: int, threshold: int) -> list[WindowTry]:
        """Every window ``first_reaching(start, threshold)`` tries, in order: one per counted date
        from index ``start`` on, up to and including the first that reaches the threshold.

        Not used by the rules (it is the trace of ``first_reaching``, kept next to it so that
        both change together); the last item's ``(d0, reached)`` is what ``first_reaching``
        returns, and when no item has ``reached``, ``first_reaching`` returns None.
        """
        tried: list[WindowTry] = []
        count = len(self.dates)
        for first in range(start, count):
            window_end = self.calendar.window_end(self.dates[first])
            stop = bisect.bisect_right(self.dates, window_end, first)
            base = self.prefix[first]
            total = self.prefix[stop] - base
            reached: dt.date | None = None
            reached_total = 0
            if total >= threshold:
                index = bisect.bisect_left(self.prefix, base + threshold, first + 1, stop + 1)
                reached = self.dates[index - 1]
                reached_total = self.prefix[index] - base
            tried.append(WindowTry(self.dates[first], window_end, total, reached, reached_total))
            if reached is not None:
                return tried
        return tried
