"""DOMAIN.md 4.6: the worked example and its open-LRV variant (R-16U, R-HERHAAL, R-LRV)."""

from __future__ import annotations

from builders import D, lessons, run, school, schooldays, student, summary

from gateway.model import Status

ABSENT = schooldays(D(2024, 9, 2), D(2024, 10, 11))


def test_worked_example_gives_16u_three_follow_ups_and_a_closed_lrv() -> None:
    result = run(school(), [student()], lessons(ABSENT), peildatum=D(2024, 10, 20))
    assert summary(result) == [
        ("V3", "", D(2024, 9, 2), D(2024, 9, 4), 18.0),
        ("LRV", "", D(2024, 9, 2), D(2024, 10, 11), 180.0),
        ("V3", "H", D(2024, 9, 5), D(2024, 9, 11), 30.0),
        ("V3", "H", D(2024, 9, 12), D(2024, 9, 18), 30.0),
        ("V3", "H", D(2024, 9, 19), D(2024, 9, 25), 30.0),
    ]
    first = result.meldingen[0]
    assert first.regels == ("R-16U",)
    assert first.uiterste_meldingsdatum == D(2024, 9, 11)
    assert first.eenheid.value == "lesuren"
    lrv = result.meldingen[1]
    assert lrv.regels == ("R-LRV",)
    assert lrv.uiterste_meldingsdatum == D(2024, 10, 4)  # T = 29 Sep + 5 werkdagen
    assert all(m.regels == ("R-16U", "R-HERHAAL") for m in result.meldingen[2:])


def test_presence_on_monday_14_october_ends_the_run() -> None:
    back = lessons([D(2024, 10, 14)], status=Status.AANWEZIG)
    result = run(school(), [student()], lessons(ABSENT) + back, peildatum=D(2024, 10, 20))
    assert [m.einddatum for m in result.meldingen if m.code.value == "LRV"] == [D(2024, 10, 11)]


def test_open_lrv_when_the_pupil_is_still_absent_at_the_peildatum() -> None:
    still_absent = schooldays(D(2024, 9, 2), D(2024, 9, 30))
    result = run(school(), [student()], lessons(still_absent), peildatum=D(2024, 9, 30))
    assert summary(result) == [
        ("V3", "", D(2024, 9, 2), D(2024, 9, 4), 18.0),
        ("LRV", "", D(2024, 9, 2), None, 126.0),
        ("V3", "H", D(2024, 9, 5), D(2024, 9, 11), 30.0),
        ("V3", "H", D(2024, 9, 12), D(2024, 9, 18), 30.0),
        ("V3", "H", D(2024, 9, 19), D(2024, 9, 25), 30.0),
    ]


def test_no_lrv_one_day_before_t() -> None:
    # T is Sunday 29 Sep; a run that stops on Friday 27 Sep and is followed by presence on
    # Monday 30 Sep never reaches it.
    absent = schooldays(D(2024, 9, 2), D(2024, 9, 27))
    result = run(school(), [student()], lessons(absent), peildatum=D(2024, 10, 4))
    assert [m.code.value for m in result.meldingen] == ["V3", "V3", "V3", "V3"]
    assert [m.herhaal for m in result.meldingen] == [False, True, True, True]
