"""The canonical interval file absentiemeldingen.csv, read beside lesregistraties.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gateway.pipeline import run_precheck

SCHOOL = """[school]
brin = "99XX"
vestiging = "00"
naam = "Proefschool"
sector = "vo"
[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"
[redencodes]
Z = "ZIEK"
S = "OVERIG"
"""
STUDENTS = """leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie
231045;111222333;;2010-03-15;N
231046;123456782;;2010-05-01;N
231047;111222345;;2010-06-01;N
"""
HEADER = "leerlingnummer;begin;eind;beginlesuur;eindlesuur;hele_dag;absentiesoort;redencode;reden;geoorloofd;afgehandeld;opmerking;bron_id"  # noqa: E501
LESSONS = (("08:30", "09:20"), ("09:20", "10:10"), ("10:30", "11:20"), ("11:20", "12:10"),
           ("12:40", "13:30"), ("13:30", "14:20"))  # fmt: skip


def _lessons(pupil: str, days: list[str], status: str, geoorloofd: str) -> list[str]:
    return [
        f"99XX;00;{pupil};;;{day};{n};{begin};{end};{status};;;{geoorloofd};{pupil}-{day}-{n}"
        for day in days
        for n, (begin, end) in enumerate(LESSONS, start=1)
    ]


def _files(tmp_path: Path, lesson_rows: list[str], reports: list[str]) -> tuple[Path, ...]:
    school = tmp_path / "school.toml"
    school.write_text(SCHOOL, encoding="utf-8")
    students = tmp_path / "leerlingen.csv"
    students.write_text(STUDENTS, encoding="utf-8")
    lessons = tmp_path / "lesregistraties.csv"
    header = "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;lesuur;begintijd;eindtijd;status;redencode;reden;geoorloofd;bron_id"  # noqa: E501
    lessons.write_text("\n".join([header, *lesson_rows]) + "\n", encoding="utf-8")
    intervals = tmp_path / "absentiemeldingen.csv"
    intervals.write_text("\n".join([HEADER, *reports]) + "\n", encoding="utf-8")
    return school, students, lessons, intervals


DAYS = ["2024-09-02", "2024-09-03", "2024-09-04"]


def test_reports_fill_lessons_without_a_registration(tmp_path: Path) -> None:
    school, students, lessons, intervals = _files(
        tmp_path,
        _lessons("231047", ["2024-09-05"], "AANWEZIG", ""),
        ["231045;2024-09-02T08:30;2024-09-04T14:20;;;J;Absent;S;Spijbelen;N;J;;R1"],
    )
    run = run_precheck(school, students, [lessons, intervals], as_of=dt.date(2024, 9, 6))
    assert [(m.leerlingnummer, m.code.value, m.begindatum, m.einddatum, m.uren)
            for m in run.result.meldingen] == [
        ("231045", "V3", dt.date(2024, 9, 2), dt.date(2024, 9, 4), 18.0)
    ]  # fmt: skip


def test_presence_wins_and_an_excusing_report_gives_its_reason(tmp_path: Path) -> None:
    school, students, lessons, intervals = _files(
        tmp_path,
        [*_lessons("231045", DAYS, "AANWEZIG", ""), *_lessons("231046", DAYS, "AFWEZIG", "N")],
        [
            "231045;2024-09-02T08:30;2024-09-04T14:20;;;J;Absent;S;Spijbelen;N;J;;R1",
            "231046;2024-09-02T08:30;2024-09-04T14:20;;;J;Absent;Z;Ziek;J;J;;R2",
        ],
    )
    run = run_precheck(school, students, [lessons, intervals], as_of=dt.date(2024, 9, 6))
    assert run.result.meldingen == ()


def test_report_by_lesson_numbers_and_open_report(tmp_path: Path) -> None:
    school, students, lessons, intervals = _files(
        tmp_path,
        [],
        ["231045;2024-09-02T00:00;;3;;N;Absent;S;Spijbelen;N;J;;R1"],
    )
    run = run_precheck(school, students, [lessons, intervals], as_of=dt.date(2024, 9, 6),
                       not_after=dt.date(2024, 9, 6))  # fmt: skip
    codes = [(m.code.value, m.begindatum) for m in run.result.meldingen]
    assert codes and codes[0] == ("V3", dt.date(2024, 9, 2))


def test_bad_rows_are_refused_precisely_and_counted(tmp_path: Path) -> None:
    school, students, lessons, intervals = _files(
        tmp_path,
        [],
        [
            "231045;2024-09-02T08:30;2024-09-02T10:10;;;N;Absent;S;;N;J;;R1",
            "231045;2024-13-02T08:30;;;;N;Absent;S;;N;J;;R2",
            "231045;2024-09-02T10:00;2024-09-02T09:00;;;N;Absent;S;;N;J;;R3",
            "231045;2024-09-02T08:30;2024-09-02T10:10;;;N;Weg;S;;N;J;;R4",
            "231045;2024-09-02T08:30;2024-09-02T10:10;;;N;Absent;S;;N;J",
        ],
    )
    run = run_precheck(school, students, [lessons, intervals], as_of=dt.date(2024, 9, 6))
    found = sorted((r.regelnummer, r.regel, r.veld) for r in run.result.afwijzingen
                   if r.bestand == "absentiemeldingen.csv")  # fmt: skip
    assert found == [
        (3, "I-FORMAAT", "begin"),
        (4, "F1", "eind"),
        (5, "I-FORMAAT", "absentiesoort"),
        (6, "I-VELDEN", None),
    ]
    (stats,) = [s for s in run.stats if s.bestand == "absentiemeldingen.csv"]
    assert (stats.read, stats.accepted, stats.rejected) == (5, 1, 4)
