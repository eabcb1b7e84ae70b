"""F1-F3 in ``day_facts``: duplicates, weights and what a day fact holds."""

from __future__ import annotations

import datetime as dt

import polars as pl
from builders import FIFTY_MINUTE_LESSONS, D, lessons

from gateway.model import Eenheid, Registration, Status
from gateway.rules.dayfacts import _without_duplicates, day_facts, registration_frame


def test_sorted_frame_without_duplicates_is_kept_as_it_is() -> None:
    frame = registration_frame(lessons([D(2024, 9, 2), D(2024, 9, 3)]))
    assert _without_duplicates(frame).equals(frame)


def test_duplicates_are_found_whatever_the_order_of_the_pupil_codes() -> None:
    # Categorical codes follow the order in which the process first saw each value (blocks read
    # side by side see pupils in no fixed order), not the order of this frame.
    pl.Series(["code-order-2", "code-order-1"], dtype=pl.Categorical)
    days = [D(2024, 9, 2), D(2024, 9, 3)]
    regs = [*lessons(days, "code-order-1"), *lessons(days, "code-order-2")]
    frame = registration_frame(regs)
    assert _without_duplicates(frame) is frame  # each pupil together, in time order
    begin, end = FIFTY_MINUTE_LESSONS[0]
    again = Registration("code-order-1", D(2024, 9, 2), begin, end, Status.AFWEZIG, True, lesuur=1)
    facts = day_facts(registration_frame([*regs, again]), Eenheid.LESUREN, D(2024, 9, 3))
    assert [f.absent_units for f in facts.per_pupil["code-order-1"]] == [5 * 60, 6 * 60]
    assert [f.absent_units for f in facts.per_pupil["code-order-2"]] == [6 * 60, 6 * 60]


def test_the_later_of_two_identical_registrations_wins() -> None:
    absent = lessons([D(2024, 9, 2)])
    begin, end = FIFTY_MINUTE_LESSONS[0]
    excused = Registration("231045", D(2024, 9, 2), begin, end, Status.AFWEZIG, True, lesuur=1)
    facts = day_facts(registration_frame([*absent, excused]), Eenheid.LESUREN, D(2024, 9, 2))
    assert facts.per_pupil["231045"][0].absent_units == 5 * 60
    facts = day_facts(registration_frame([excused, *absent]), Eenheid.LESUREN, D(2024, 9, 2))
    assert facts.per_pupil["231045"][0].absent_units == 6 * 60


def test_day_fact_holds_units_minutes_lessons_and_presence() -> None:
    regs = [
        *lessons([D(2024, 9, 2)], slots=FIFTY_MINUTE_LESSONS[:2]),
        Registration("231045", D(2024, 9, 2), dt.time(12, 40), dt.time(13, 30),
                     Status.AANWEZIG, lesuur=5),
        Registration("231045", D(2024, 9, 2), dt.time(13, 30), dt.time(15, 0),
                     Status.TE_LAAT, False, lesuur=6),
    ]  # fmt: skip
    (fact,) = day_facts(registration_frame(regs), Eenheid.LESUREN, D(2024, 9, 2)).per_pupil[
        "231045"
    ]
    assert (fact.absent_units, fact.absent_minutes, fact.late, fact.present) == (120, 100, 1, True)
    assert fact.lesson_mask == (1 << 1) | (1 << 2)


def test_registrations_after_the_peildatum_are_counted_and_left_out() -> None:
    frame = registration_frame(lessons([D(2024, 9, 2), D(2024, 9, 3)]))
    facts = day_facts(frame, Eenheid.LESUREN, D(2024, 9, 2))
    assert facts.after_peildatum == 6
    assert [f.datum for f in facts.per_pupil["231045"]] == [D(2024, 9, 2)]
