"""V01-V13 (DOMAIN.md 4.5) as plain functions, for derived and SIS-submitted meldingen."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import D, student

from gateway.model import DuoStatus, Eenheid, KnownMelding, Melding, Soort, WireCode
from gateway.numbers import is_bsn, is_onderwijsnummer
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.obligation import ObligationPeriods
from gateway.rules.timeline import Run
from gateway.rules.validation import (
    check_brin,
    check_dates,
    check_identity,
    check_long_absence_preceded,
    check_melder,
    check_obligation,
    check_overlap,
    check_texts,
    check_withdrawal,
)

CALENDAR = SchoolCalendar(())


def melding(
    code: WireCode = WireCode.V3,
    begin: dt.date = D(2024, 9, 2),
    end: dt.date | None = D(2024, 9, 4),
    soort: Soort | None = None,
) -> Melding:
    soorten = {WireCode.V3: Soort.ZESTIEN_UUR, WireCode.V4: Soort.ZESTIEN_UUR,
               WireCode.LRV: Soort.LRV, WireCode.RMC: Soort.RMC, WireCode.L: Soort.LUXE,
               WireCode.O: Soort.OVERIG}  # fmt: skip
    return Melding("231045", soort or soorten[code], code, begin, end, Eenheid.LESUREN, 18.0,
                   None, ("TEST",))  # fmt: skip


def rules(violations: list) -> list[str]:  # type: ignore[type-arg]
    return [v.regel for v in violations]


class TestV01Identity:
    def test_valid_bsn_or_onderwijsnummer(self) -> None:
        assert check_identity("111222333", "") == []
        assert check_identity("", "101222331") == []
        assert check_identity("123456789", "101222331") == []  # bad BSN, valid onderwijsnummer

    @pytest.mark.parametrize(
        ("bsn", "onderwijsnummer"),
        [("123456789", ""), ("", ""), ("11122233", ""), ("000000000", ""), ("", "111222333")],
    )
    def test_refused_without_a_valid_number(self, bsn: str, onderwijsnummer: str) -> None:
        violations = check_identity(bsn, onderwijsnummer)
        assert rules(violations) == ["V01"]
        assert bsn not in violations[0].reden or not bsn

    def test_number_checks_are_strict_about_nine_digits(self) -> None:
        assert is_bsn("111222333") and not is_bsn("11122233") and not is_bsn("111 222 333")
        assert is_onderwijsnummer("101222331") and not is_onderwijsnummer("111222333")


class TestDates:
    def test_v02_16_hour_melding_needs_einddatum(self) -> None:
        assert rules(check_dates(melding(end=None), D(2024, 10, 1))) == ["V02"]

    def test_v03_order_and_peildatum(self) -> None:
        assert rules(check_dates(melding(end=D(2024, 9, 1)), D(2024, 10, 1))) == ["V03"]
        assert rules(check_dates(melding(), D(2024, 9, 3))) == ["V03"]
        assert check_dates(melding(code=WireCode.LRV, end=None), D(2024, 10, 1)) == []


class TestTexts:
    def test_v04_v05_required_and_limited(self) -> None:
        assert rules(check_texts("", "")) == ["V04", "V05"]
        assert rules(check_texts("r" * 201, "a" * 3001)) == ["V04", "V05"]
        assert check_texts("r" * 200, "a" * 3000) == []

    def test_v06_toelichting_length_and_control_characters(self) -> None:
        assert rules(check_texts("reden", "acties", "t" * 3001)) == ["V06"]
        assert rules(check_texts("re\x07den", "acties")) == ["V06"]
        assert check_texts("reden\nmet regel", "acties\tmet tab") == []

    def test_v11_actie_gewenst_nee_needs_explanation(self) -> None:
        assert rules(check_texts("reden", "acties", actie_gewenst=False)) == ["V11"]
        assert check_texts("reden", "acties", actie_gewenst=False, toelichting_actie="x") == []

    def test_v07_melder(self) -> None:
        assert check_melder("J. Jansen", "verzuim@school.example") == []
        assert rules(check_melder("", "geen-adres")) == ["V07", "V07"]


class TestV08:
    def test_lrv_with_a_run_reaching_t_passes(self) -> None:
        runs = [Run(D(2024, 9, 2), D(2024, 10, 1), True, D(2024, 9, 29))]
        assert check_long_absence_preceded(melding(WireCode.LRV), runs, [], CALENDAR) == []

    def test_lrv_without_28_days_is_refused(self) -> None:
        runs = [Run(D(2024, 9, 2), D(2024, 9, 20), True, D(2024, 9, 29))]
        violations = check_long_absence_preceded(melding(WireCode.LRV), runs, [], CALENDAR)
        assert rules(violations) == ["V08"]

    def test_lrv_after_adjoining_earlier_meldingen_of_28_days_passes(self) -> None:
        known = [
            KnownMelding("231045", WireCode.V3, D(2024, 8, 19), D(2024, 8, 23)),
            KnownMelding("231045", WireCode.V3, D(2024, 8, 26), D(2024, 9, 13)),  # weekend gap
        ]
        lrv = melding(WireCode.LRV, begin=D(2024, 9, 16), end=None)
        assert check_long_absence_preceded(lrv, [], known, CALENDAR) == []
        assert rules(check_long_absence_preceded(lrv, [], known[1:], CALENDAR)) == ["V08"]

    def test_v08_does_not_apply_to_other_soorten(self) -> None:
        assert check_long_absence_preceded(melding(), [], [], CALENDAR) == []


class TestV09:
    def test_overlap_with_same_soort_refused_other_soort_allowed(self) -> None:
        active = KnownMelding("231045", WireCode.V4, D(2024, 9, 4), D(2024, 9, 10))
        assert rules(check_overlap(melding(), [active])) == ["V09"]
        other = KnownMelding("231045", WireCode.LRV, D(2024, 9, 1), None)
        assert check_overlap(melding(), [other]) == []

    def test_open_known_melding_overlaps_everything_after_it(self) -> None:
        open_lrv = KnownMelding("231045", WireCode.LRV, D(2024, 8, 1), None)
        assert rules(check_overlap(melding(WireCode.LRV), [open_lrv])) == ["V09"]

    def test_withdrawn_or_other_pupil_does_not_block(self) -> None:
        withdrawn = KnownMelding("231045", WireCode.V3, D(2024, 9, 4), D(2024, 9, 10),
                                 DuoStatus.INGETROKKEN)  # fmt: skip
        other_pupil = KnownMelding("999", WireCode.V3, D(2024, 9, 4), D(2024, 9, 10))
        assert check_overlap(melding(), [withdrawn, other_pupil]) == []


class TestV10:
    def test_soort_must_fit_the_obligation(self) -> None:
        young = ObligationPeriods.of(student(geboortedatum=D(2010, 1, 1)))
        adult = ObligationPeriods.of(student(geboortedatum=D(2005, 1, 1)))
        assert check_obligation(melding(WireCode.V3), young, CALENDAR) == []
        assert rules(check_obligation(melding(WireCode.V4), young, CALENDAR)) == ["V10"]
        assert check_obligation(melding(WireCode.V4), adult, CALENDAR) == []
        assert rules(check_obligation(melding(WireCode.LRV), adult, CALENDAR)) == ["V10"]
        assert check_obligation(melding(WireCode.RMC), adult, CALENDAR) == []


class TestV12AndV13:
    def test_withdrawal_needs_reason_and_an_open_melding(self) -> None:
        assert check_withdrawal(DuoStatus.IN_BEHANDELING, "dubbel gemeld") == []
        assert rules(check_withdrawal(DuoStatus.AFGESLOTEN, "x")) == ["V12"]
        assert rules(check_withdrawal(DuoStatus.INGETROKKEN, "x")) == ["V12"]
        assert rules(check_withdrawal(DuoStatus.GEREGISTREERD, " ")) == ["V12"]
        assert rules(check_withdrawal(None, "x")) == ["V12"]

    def test_brin_well_formed_and_allowed(self) -> None:
        assert check_brin("99XX", "00", ["99XX"]) == []
        assert rules(check_brin("99xx", "00", ["99XX"])) == ["V13"]
        assert rules(check_brin("99XX", "0", ["99XX"])) == ["V13"]
        assert rules(check_brin("12AB", "00", ["99XX"])) == ["V13"]
