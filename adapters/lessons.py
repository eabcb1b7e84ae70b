"""The school day in lesson slots, for sources that report intervals (DOMAIN.md 5).

Interval reports ("absent from 08:30 to 12:10", "whole day") are cut into the lesson slots they
cover, so they count like lesson registrations (F3). Without a timetable in the school file the
default day is six lessons of 50 minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

LessonSlot = tuple[int, dt.time, dt.time]  # lesuur, begin, end

DEFAULT_LESSONS: tuple[LessonSlot, ...] = (
    (1, dt.time(8, 30), dt.time(9, 20)),
    (2, dt.time(9, 20), dt.time(10, 10)),
    (3, dt.time(10, 30), dt.time(11, 20)),
    (4, dt.time(11, 20), dt.time(12, 10)),
    (5, dt.time(12, 40), dt.time(13, 30)),
    (6, dt.time(13, 30), dt.time(14, 20)),
)


def slots_between(
    begin: dt.time | None, end: dt.time | None, lessons: Sequence[LessonSlot] = DEFAULT_LESSONS
) -> list[LessonSlot]:
    """The lesson slots that overlap ``[begin, end)``; the whole day when both are None."""
    start = begin or dt.time(0, 0)
    stop = end or dt.time(23, 59, 59)
    return [slot for slot in lessons if slot[1] < stop and slot[2] > start]


def slots_numbered(
    first: int | None, last: int | None, lessons: Sequence[LessonSlot] = DEFAULT_LESSONS
) -> list[LessonSlot]:
    """The lesson slots ``first .. last`` (inclusive, lesson numbers)."""
    low = first or 1
    high = last or low
    return [slot for slot in lessons if low <= slot[0] <= high]
