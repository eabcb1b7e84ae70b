"""The school day in lesson slots, for sources that report intervals (DOMAIN.md 5).

Interval reports ("absent from 08:30 to 12:10", "whole day") are cut into the lesson slots they
cover, so they count like lesson registrations (F3). The slots of a day come from the school's
``[lesrooster]`` (``SchoolConfig.lessons_on``); without one every day is ``DEFAULT_LESSONS``, six
lessons of 50 minutes from 08:30 (defined with the timetable in ``gateway.model``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from gateway.model import DEFAULT_LESSONS, LessonSlot

__all__ = ["DEFAULT_LESSONS", "LessonSlot", "slots_between", "slots_numbered"]


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
