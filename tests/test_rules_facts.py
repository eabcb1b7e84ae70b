"""Derived facts F1-F8 (DOMAIN.md 4.3) on plain values."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import D, school, student

from gateway.model import DateRange, Obligation
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.dayfacts import minutes_problem
from gateway.rules.obligation import ObligationPeriods, add_years

AUTUMN = (DateRange(D(2024, 10, 19), D(2024, 10, 27)),)


class TestF1Minutes:
    @pytest.mark.parametrize(("begin", "end"), [(500, 501), (0, 720), (480, 530)])
    def test_one_to_720_minutes_is_accepted(self, begin: int, end: int) -> None:
        assert minutes_problem(begin, end) is None

    @pytest.mark.parametrize(("begin", "end"), [(500, 500), (530, 480), (0, 721)])
    def test_zero_negative_or_over_720_minutes_is_refused(self, begin: int, end: int) -> None:
        problem = minutes_problem(begin, end)
        assert problem is not None and "F1" in problem


class TestF4Obligation:
    def test_leerplicht_starts_the_first_of_the_month_after_the_fifth_birthday(self) -> None:
        periods = ObligationPeriods.of(student(geboortedatum=D(2019, 3, 15)))
        assert periods.on(D(2024, 3, 31)) is Obligation.GEEN
        assert periods.on(D(2024, 4, 1)) is Obligation.LEERPLICHT

    def test_december_birthday_starts_leerplicht_in_january(self) -> None:
        periods = ObligationPeriods.of(student(geboortedatum=D(2019, 12, 5)))
        assert periods.leerplicht_from == D(2025, 1, 1)

    @pytest.mark.parametrize(
        ("born", "until"),
        [
            (D(2008, 7, 31), D(2024, 7, 31)),  # turns 16 on 31 Jul 2024: school year 2023-24
            (D(2008, 8, 1), D(2025, 7, 31)),  # turns 16 on 1 Aug 2024: school year 2024-25
            (D(2009, 3, 1), D(2025, 7, 31)),
        ],
    )
    def test_leerplicht_ends_31_july_of_the_school_year_of_the_16th_birthday(
        self, born: dt.date, until: dt.date
    ) -> None:
        periods = ObligationPeriods.of(student(geboortedatum=born))
        assert periods.on(until) is Obligation.LEERPLICHT
        assert periods.on(until + dt.timedelta(days=1)) is Obligation.KWALIFICATIEPLICHT

    def test_kwalificatieplicht_until_18_then_rmc_until_23(self) -> None:
        periods = ObligationPeriods.of(student(geboortedatum=D(2006, 10, 10)))
        assert periods.on(D(2024, 10, 9)) is Obligation.KWALIFICATIEPLICHT
        assert periods.on(D(2024, 10, 10)) is Obligation.RMC
        assert periods.on(D(2029, 10, 9)) is Obligation.RMC
        assert periods.on(D(2029, 10, 10)) is Obligation.GEEN

    def test_startkwalificatie_ends_obligation_after_leerplicht_only(self) -> None:
        periods = ObligationPeriods.of(student(geboortedatum=D(2008, 3, 1), startkwalificatie=True))
        assert periods.on(D(2024, 7, 31)) is Obligation.LEERPLICHT
        assert periods.on(D(2024, 8, 1)) is Obligation.GEEN
        assert periods.on(D(2026, 3, 1)) is Obligation.GEEN

    @pytest.mark.parametrize("startkwalificatie", [False, True])
    @pytest.mark.parametrize(
        "born", [D(2008, 2, 29), D(2008, 7, 31), D(2008, 8, 1), D(2019, 12, 5)]
    )
    def test_span_holds_exactly_the_days_with_an_obligation(
        self, born: dt.date, startkwalificatie: bool
    ) -> None:
        periods = ObligationPeriods.of(
            student(geboortedatum=born, startkwalificatie=startkwalificatie)
        )
        first, last = periods.span
        day = born
        while day < add_years(born, 24):
            assert (first <= day <= last) == (periods.on(day) is not Obligation.GEEN), day
            day += dt.timedelta(days=1)

    def test_29_february_birthday_falls_on_1_march(self) -> None:
        assert add_years(D(2008, 2, 29), 18) == D(2026, 3, 1)
        assert add_years(D(2008, 2, 29), 16) == D(2024, 2, 29)


class TestF5Window:
    def test_window_is_28_calendar_days_weekends_included(self) -> None:
        calendar = SchoolCalendar(())
        assert calendar.window_end(D(2024, 9, 2)) == D(2024, 9, 29)

    def test_holidays_stretch_the_window(self) -> None:
        calendar = SchoolCalendar(AUTUMN)
        # 7 Oct .. 18 Oct is 12 days, 19-27 Oct is holiday, 16 more days from 28 Oct.
        assert calendar.window_end(D(2024, 10, 7)) == D(2024, 11, 12)

    def test_window_starting_inside_a_holiday_starts_counting_after_it(self) -> None:
        calendar = SchoolCalendar(AUTUMN)
        assert calendar.window_end(D(2024, 10, 20)) == D(2024, 11, 24)


class TestSchooldagAndF8:
    def test_schooldag_is_monday_to_friday_outside_holidays(self) -> None:
        calendar = SchoolCalendar(AUTUMN)
        assert calendar.is_schooldag(D(2024, 10, 18))
        assert not calendar.is_schooldag(D(2024, 10, 21))  # holiday Monday
        assert not calendar.is_schooldag(D(2024, 10, 12))  # Saturday
        assert calendar.next_schooldag(D(2024, 10, 18)) == D(2024, 10, 28)

    def test_deadline_is_five_werkdagen_holidays_included(self) -> None:
        calendar = SchoolCalendar(AUTUMN)
        assert calendar.add_werkdagen(D(2024, 9, 4)) == D(2024, 9, 11)
        assert calendar.add_werkdagen(D(2024, 10, 18)) == D(
            2024, 10, 25
        )  # werkdagen, not schooldagen


def test_eenheid_by_sector() -> None:
    from gateway.model import Sector

    assert school(Sector.VO).eenheid.value == "lesuren"
    assert school(Sector.VSO).eenheid.value == "lesuren"
    assert school(Sector.PO).eenheid.value == "klokuren"
    assert school(Sector.SO).eenheid.value == "klokuren"
    assert school(Sector.MBO).eenheid.value == "klokuren"
    assert school(Sector.MBO, mbo_telt_lesuren=True).eenheid.value == "lesuren"
