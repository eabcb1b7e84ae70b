"""F6/F7 runs, R-LRV, R-RMC, R-EINDE, R-LUXE, R-SIGNAAL and the known meldingen (V08, V09)."""

from __future__ import annotations

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

from gateway.model import Categorie, DuoStatus, KnownMelding, Sector, Status, WireCode

SEPTEMBER = schooldays(D(2024, 9, 2), D(2024, 10, 11))


class TestRuns:
    def test_presence_on_one_day_splits_the_run_so_no_lrv(self) -> None:
        absent = [day for day in SEPTEMBER if day != D(2024, 9, 16)]
        present = lessons([D(2024, 9, 16)], status=Status.AANWEZIG)
        result = run(school(), [student()], lessons(absent) + present, peildatum=D(2024, 10, 18))
        assert "LRV" not in [m.code.value for m in result.meldingen]
        # A new 16U starts on 17 Sep once the first run has ended.
        assert (D(2024, 9, 17), D(2024, 9, 19)) in [
            (m.begindatum, m.einddatum) for m in result.meldingen if not m.herhaal
        ]

    def test_a_schooldag_without_any_registration_breaks_the_run(self) -> None:
        absent = [day for day in SEPTEMBER if day != D(2024, 9, 16)]
        result = run(school(), [student()], lessons(absent), peildatum=D(2024, 10, 18))
        assert "LRV" not in [m.code.value for m in result.meldingen]

    def test_weekends_and_holidays_do_not_break_a_run(self) -> None:
        # Absent 30 Sep .. 18 Oct, holiday 19-27 Oct, absent 28 Oct .. 15 Nov: one run.
        absent = schooldays(D(2024, 9, 30), D(2024, 11, 15), skip=schooldays(
            D(2024, 10, 21), D(2024, 10, 25)))  # fmt: skip
        result = run(school(), [student()], lessons(absent), peildatum=D(2024, 11, 22))
        lrv = [m for m in result.meldingen if m.code is WireCode.LRV]
        assert [(m.begindatum, m.einddatum) for m in lrv] == [(D(2024, 9, 30), D(2024, 11, 15))]

    def test_hele_dag_minuten_keeps_one_skipped_lesson_a_day_from_forming_a_run(self) -> None:
        # An absence-only export: two lessons a day, every day, no presence rows.
        regs = lessons(SEPTEMBER, slots=blocks(50, 2))
        without = run(school(), [student()], regs, peildatum=D(2024, 10, 18))
        with_threshold = run(
            school(hele_dag_minuten=300), [student()], regs, peildatum=D(2024, 10, 18)
        )
        assert "LRV" in [m.code.value for m in without.meldingen]
        assert "LRV" not in [m.code.value for m in with_threshold.meldingen]
        assert not any(m.herhaal for m in with_threshold.meldingen)
        assert len([m for m in with_threshold.meldingen if m.code is WireCode.V3]) >= 2


class TestLongAbsence:
    def test_rmc_for_an_18_plus_pupil_without_startkwalificatie(self) -> None:
        pupil = student(geboortedatum=D(2005, 5, 1))
        result = run(school(), [pupil], lessons(SEPTEMBER), peildatum=D(2024, 10, 18))
        codes = [m.code.value for m in result.meldingen]
        assert codes.count("RMC") == 1 and "LRV" not in codes and codes.count("V4") == 4
        assert [m.regels for m in result.meldingen if m.code is WireCode.RMC] == [("R-RMC",)]

    def test_lrv_without_16_hours_when_daily_absence_is_small(self) -> None:
        # PO, one 30-minute block a day: 28 days of continuous absence hold only 10 hours.
        slots = blocks(30, 1)
        pupil = student(geboortedatum=D(2016, 1, 1))
        result = run(school(Sector.PO), [pupil], lessons(SEPTEMBER, slots=slots),
                     peildatum=D(2024, 10, 18))  # fmt: skip
        assert summary(result) == [("LRV", "", D(2024, 9, 2), D(2024, 10, 11), 15.0)]

    def test_after_an_lrv_counting_restarts_after_the_run(self) -> None:
        slots = blocks(30, 1)
        pupil = student(geboortedatum=D(2016, 1, 1))
        after = partial_days(schooldays(D(2024, 10, 14), D(2024, 10, 18)), 5, slots=blocks(60, 6))
        result = run(school(Sector.PO), [pupil], lessons(SEPTEMBER, slots=slots) + after,
                     peildatum=D(2024, 10, 18))  # fmt: skip
        assert [(m.code.value, m.begindatum, m.einddatum) for m in result.meldingen] == [
            ("LRV", D(2024, 9, 2), D(2024, 10, 11)),
            ("V3", D(2024, 10, 14), D(2024, 10, 17)),
        ]

    def test_r_einde_closes_a_known_open_lrv_once_the_run_ended(self) -> None:
        known = [KnownMelding("231045", WireCode.LRV, D(2024, 9, 2), None, nummer="VM1")]
        result = run(school(), [student()], lessons(SEPTEMBER), D(2024, 10, 18), known)
        assert [(c.code, c.begindatum, c.einddatum, c.regels, c.nummer) for c in
                result.wijzigingen] == [
            (WireCode.LRV, D(2024, 9, 2), D(2024, 10, 11), ("R-EINDE",), "VM1")
        ]  # fmt: skip
        assert "LRV" not in [m.code.value for m in result.meldingen]  # not proposed again

    def test_no_r_einde_while_the_run_goes_on(self) -> None:
        known = [KnownMelding("231045", WireCode.LRV, D(2024, 9, 2), None)]
        result = run(school(), [student()], lessons(SEPTEMBER), D(2024, 10, 11), known)
        assert result.wijzigingen == ()

    def test_no_r_einde_for_a_withdrawn_lrv(self) -> None:
        known = [KnownMelding("231045", WireCode.LRV, D(2024, 9, 2), None, DuoStatus.INGETROKKEN)]
        result = run(school(), [student()], lessons(SEPTEMBER), D(2024, 10, 18), known)
        assert result.wijzigingen == ()


class TestKnownMeldingen:
    def test_known_meldingen_are_not_proposed_again(self) -> None:
        first = run(school(), [student()], lessons(SEPTEMBER), D(2024, 10, 18))
        known = [
            KnownMelding(m.leerlingnummer, m.code, m.begindatum, m.einddatum, herhaal=m.herhaal)
            for m in first.meldingen
        ]
        again = run(school(), [student()], lessons(SEPTEMBER), D(2024, 10, 18), known)
        assert again.meldingen == ()

    def test_overlap_with_an_active_known_melding_is_refused_with_v09(self) -> None:
        known = [KnownMelding("231045", WireCode.V3, D(2024, 9, 3), D(2024, 9, 5))]
        regs = partial_days(schooldays(D(2024, 9, 2), D(2024, 9, 5)), 4)
        result = run(school(), [student()], regs, D(2024, 9, 6), known)
        assert result.meldingen == ()
        assert [(r.regel, r.leerlingnummer) for r in result.afwijzingen] == [("V09", "231045")]

    def test_a_withdrawn_melding_does_not_block_with_v09(self) -> None:
        known = [KnownMelding("231045", WireCode.V3, D(2024, 9, 3), D(2024, 9, 5),
                              DuoStatus.INGETROKKEN)]  # fmt: skip
        regs = partial_days(schooldays(D(2024, 9, 2), D(2024, 9, 5)), 4)
        result = run(school(), [student()], regs, D(2024, 9, 6), known)
        assert len(result.meldingen) == 1


class TestLuxe:
    def test_luxe_week_is_one_period_across_the_weekend(self) -> None:
        days = schooldays(D(2024, 10, 10), D(2024, 10, 16))  # Thu .. Wed
        regs = lessons(days, categorie=Categorie.LUXE)
        result = run(school(), [student()], regs, D(2024, 10, 18))
        assert summary(result) == [("L", "", D(2024, 10, 10), D(2024, 10, 16), 30.0)]
        assert result.meldingen[0].regels == ("R-LUXE",)

    def test_luxe_hours_are_not_also_counted_as_16_hours(self) -> None:
        luxe = lessons(schooldays(D(2024, 10, 14), D(2024, 10, 16)), categorie=Categorie.LUXE)
        other = partial_days([D(2024, 10, 1)], 4)
        result = run(school(), [student()], luxe + other, D(2024, 10, 18))
        assert [m.code.value for m in result.meldingen] == ["L"]

    def test_a_single_luxe_lesson_is_reported_whatever_the_hours(self) -> None:
        regs = partial_days([D(2024, 10, 18)], 1, categorie=Categorie.LUXE)
        result = run(school(), [student()], regs)
        assert summary(result) == [("L", "", D(2024, 10, 18), D(2024, 10, 18), 1.0)]

    def test_excused_luxe_category_is_not_luxeverzuim(self) -> None:
        regs = lessons([D(2024, 10, 18)], categorie=Categorie.LUXE, geoorloofd=True)
        assert run(school(), [student()], regs).meldingen == ()

    def test_a_schooldag_in_between_splits_luxe_periods(self) -> None:
        days = [D(2024, 10, 14), D(2024, 10, 16)]
        regs = lessons(days, categorie=Categorie.LUXE)
        assert len(run(school(), [student()], regs).meldingen) == 2


class TestSignaal:
    LATE_DAYS = schooldays(D(2024, 9, 2), D(2024, 9, 13))

    def _late(self, count: int, geoorloofd: bool | None = False) -> list:  # type: ignore[type-arg]
        return lessons(self.LATE_DAYS[:count], status=Status.TE_LAAT, geoorloofd=geoorloofd,
                       slots=blocks(50, 1))  # fmt: skip

    def test_off_by_default(self) -> None:
        assert run(school(), [student()], self._late(6)).meldingen == ()

    def test_nth_late_arrival_in_a_window_gives_an_overig_melding(self) -> None:
        result = run(school(te_laat_signaal=3), [student()], self._late(7))
        assert [(m.code.value, m.begindatum, m.einddatum, m.uren) for m in result.meldingen] == [
            ("O", D(2024, 9, 2), D(2024, 9, 4), None),
            ("O", D(2024, 9, 5), D(2024, 9, 9), None),
        ]
        assert all(m.regels == ("R-SIGNAAL",) for m in result.meldingen)

    def test_excused_late_arrivals_do_not_count(self) -> None:
        assert run(school(te_laat_signaal=3), [student()], self._late(5, True)).meldingen == ()
