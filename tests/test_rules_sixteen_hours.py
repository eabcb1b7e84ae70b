"""R-16U and R-HERHAAL: counting units, windows, resets, obligation and excused absence."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import (
    D,
    blocks,
    lessons,
    partial_days,
    run,
    school,
    schooldays,
    student,
    summary,
)

from gateway.model import Sector, Status

TUESDAYS_AND_THURSDAYS = [
    day for day in schooldays(D(2024, 9, 2), D(2024, 10, 18)) if day.weekday() in (1, 3)
]


class TestUnits:
    def test_50_minute_lessons_count_as_one_lesuur_each(self) -> None:
        # 4 lessons a day on Tue/Thu: 16 lessons on the 4th day (10 Sep... 12 Sep).
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:4], absent_lessons=4)
        result = run(school(Sector.VO), [student()], regs)
        assert summary(result) == [("V3", "", D(2024, 9, 3), D(2024, 9, 12), 16.0)]
        assert result.meldingen[0].eenheid.value == "lesuren"

    def test_15_lessons_are_not_enough(self) -> None:
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:3], 4) + partial_days(
            TUESDAYS_AND_THURSDAYS[3:4], 3
        )
        assert run(school(Sector.VO), [student()], regs).meldingen == ()

    def test_90_minute_blocks_count_as_one_and_a_half(self) -> None:
        # Two 90-minute blocks absent of four a day: 3 hours a day; 16 hours after 6 days.
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:6], 2, slots=blocks(90, 4))
        result = run(school(Sector.VO), [student()], regs)
        assert summary(result) == [("V3", "", D(2024, 9, 3), D(2024, 9, 19), 18.0)]

    def test_klokuren_weigh_minutes_so_50_minute_lessons_need_more(self) -> None:
        # PO counts clock hours: 4 x 50 = 200 minutes a day; 960 is reached on the 5th day.
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:5], 4)
        result = run(school(Sector.PO), [student(geboortedatum=D(2015, 5, 5))], regs)
        assert summary(result) == [("V3", "", D(2024, 9, 3), D(2024, 9, 17), 16.67)]
        assert result.meldingen[0].eenheid.value == "klokuren"

    @pytest.mark.parametrize(
        ("telt_lesuren", "expected_end"), [(False, D(2024, 9, 17)), (True, D(2024, 9, 12))]
    )
    def test_mbo_counts_clock_hours_unless_all_programmes_use_lesson_hours(
        self, telt_lesuren: bool, expected_end: dt.date
    ) -> None:
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:6], 4)
        config = school(Sector.MBO, mbo_telt_lesuren=telt_lesuren)
        result = run(config, [student(geboortedatum=D(2008, 9, 1))], regs)
        assert [m.einddatum for m in result.meldingen] == [expected_end]

    def test_registrations_on_weekends_and_holidays_do_not_count(self) -> None:
        weekend_and_holiday = [D(2024, 9, 7), D(2024, 9, 8), D(2024, 10, 21), D(2024, 10, 22)]
        result = run(school(), [student()], lessons(weekend_and_holiday))
        assert result.meldingen == ()


class TestWindowsAndResets:
    def test_reset_after_a_melding_starts_counting_again_the_next_day(self) -> None:
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:8], 4)
        result = run(school(), [student()], regs)
        assert summary(result) == [
            ("V3", "", D(2024, 9, 3), D(2024, 9, 12), 16.0),
            ("V3", "", D(2024, 9, 17), D(2024, 9, 26), 16.0),
        ]

    def test_hours_outside_the_four_week_window_do_not_add_up(self) -> None:
        days = [D(2024, 9, 3), D(2024, 9, 5), D(2024, 10, 1), D(2024, 10, 3)]
        assert run(school(), [student()], partial_days(days, 5)).meldingen == ()

    def test_a_later_start_is_tried_when_the_first_window_falls_short(self) -> None:
        days = [D(2024, 9, 3), D(2024, 10, 1), D(2024, 10, 3), D(2024, 10, 8), D(2024, 10, 10)]
        result = run(school(), [student()], partial_days(days, 4))
        assert summary(result) == [("V3", "", D(2024, 10, 1), D(2024, 10, 10), 16.0)]

    @pytest.mark.parametrize(("holidays", "expected"), [((), 0), (None, 1)])
    def test_holidays_stretch_the_window(
        self, holidays: tuple[tuple[dt.date, dt.date], ...] | None, expected: int
    ) -> None:
        # 8 lessons on 7 Oct and 8 on 7 Nov: 31 days apart, within the window only when the
        # autumn holiday (19-27 Oct) stretches it to 12 Nov.
        config = school() if holidays is None else school(vakanties=holidays)
        regs = partial_days([D(2024, 10, 7), D(2024, 11, 7)], 8, slots=blocks(50, 10))
        result = run(config, [student()], regs)
        assert len(result.meldingen) == expected


class TestObligation:
    BIRTHDAY = D(2006, 10, 10)  # turns 18 on Thu 10 Oct 2024

    def test_d1_before_the_18th_birthday_gives_v3(self) -> None:
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:4], 4)
        result = run(school(), [student(geboortedatum=self.BIRTHDAY)], regs)
        assert [m.code.value for m in result.meldingen] == ["V3"]

    def test_18th_birthday_inside_the_window_gives_v4_when_d1_is_after_it(self) -> None:
        days = [D(2024, 10, 1), D(2024, 10, 3), D(2024, 10, 8), D(2024, 10, 10)]
        result = run(school(), [student(geboortedatum=self.BIRTHDAY)], partial_days(days, 4))
        assert [(m.code.value, m.einddatum) for m in result.meldingen] == [("V4", D(2024, 10, 10))]

    def test_no_16u_for_18_plus_when_the_school_does_not_report_18_plus(self) -> None:
        days = [D(2024, 10, 1), D(2024, 10, 3), D(2024, 10, 8), D(2024, 10, 10)]
        config = school(melden_18plus=False)
        result = run(config, [student(geboortedatum=self.BIRTHDAY)], partial_days(days, 4))
        assert result.meldingen == ()

    def test_startkwalificatie_after_leerplicht_means_no_melding(self) -> None:
        pupil = student(geboortedatum=D(2006, 1, 1), startkwalificatie=True)
        result = run(school(), [pupil], partial_days(TUESDAYS_AND_THURSDAYS[:6], 4))
        assert result.meldingen == ()

    def test_days_before_leerplicht_do_not_count(self) -> None:
        pupil = student(geboortedatum=D(2020, 1, 15))  # leerplicht from 1 Feb 2025
        result = run(school(Sector.PO), [pupil], lessons(schooldays(D(2024, 9, 2), D(2024, 9, 30))))
        assert result.meldingen == ()


class TestExcusedAndUnknown:
    def test_excused_absence_does_not_count(self) -> None:
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:6], 4, geoorloofd=True)
        assert run(school(), [student()], regs).meldingen == ()

    def test_unknown_geoorloofd_counts_and_warns_w_onbekend_per_day(self) -> None:
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:4], 4, geoorloofd=None)
        result = run(school(), [student()], regs)
        assert len(result.meldingen) == 1
        unknown = [w for w in result.waarschuwingen if w.regel == "W-ONBEKEND"]
        assert [w.datum for w in unknown] == TUESDAYS_AND_THURSDAYS[:4]

    def test_late_arrivals_never_count_towards_16_hours(self) -> None:
        regs = lessons(TUESDAYS_AND_THURSDAYS[:6], status=Status.TE_LAAT)
        assert run(school(), [student()], regs).meldingen == ()

    def test_verwijderd_counts_like_afwezig(self) -> None:
        regs = lessons(TUESDAYS_AND_THURSDAYS[:3], status=Status.VERWIJDERD)
        result = run(school(), [student()], regs)
        assert [m.code.value for m in result.meldingen] == ["V3"]

    def test_identical_registrations_count_once_and_the_later_row_wins(self) -> None:
        regs = partial_days(TUESDAYS_AND_THURSDAYS[:4], 4)
        excused_again = partial_days(TUESDAYS_AND_THURSDAYS[3:4], 1, geoorloofd=True)[:1]
        assert len(run(school(), [student()], regs + regs).meldingen) == 1  # duplicates once
        assert run(school(), [student()], regs + excused_again).meldingen == ()  # 15 lessons


class TestHerhaal:
    def test_follow_ups_need_a_schooldag_and_stop_before_t(self) -> None:
        # Absent 9 Oct .. 8 Nov with the autumn holiday inside: T = 14 Nov (holiday stretches).
        absent = schooldays(D(2024, 10, 9), D(2024, 11, 8))
        result = run(school(), [student()], lessons(absent), peildatum=D(2024, 11, 15))
        assert summary(result) == [
            ("V3", "", D(2024, 10, 9), D(2024, 10, 11), 18.0),
            ("V3", "H", D(2024, 10, 12), D(2024, 10, 18), 30.0),
            # 19-25 Oct lies in the holiday: no schooldag, no follow-up
            ("V3", "H", D(2024, 10, 26), D(2024, 11, 1), 30.0),
            ("V3", "H", D(2024, 11, 2), D(2024, 11, 8), 30.0),
        ]
        # The run ends on 8 Nov, before T (14 Nov): no LRV.

    def test_follow_ups_stop_at_the_end_of_the_run_and_counting_resumes_after_it(self) -> None:
        absent = schooldays(D(2024, 9, 2), D(2024, 9, 13))  # two weeks
        later = partial_days([D(2024, 9, 24), D(2024, 9, 26), D(2024, 10, 1), D(2024, 10, 3)], 4)
        result = run(school(), [student()], lessons(absent) + later, peildatum=D(2024, 10, 4))
        assert summary(result) == [
            ("V3", "", D(2024, 9, 2), D(2024, 9, 4), 18.0),
            ("V3", "H", D(2024, 9, 5), D(2024, 9, 11), 30.0),
            # 12-18 Sep is not completely inside the run (ends 13 Sep): not proposed, and the
            # days 12-13 Sep are not counted again.
            ("V3", "", D(2024, 9, 24), D(2024, 10, 3), 16.0),
        ]
