"""The Eduarte adapter (DOMAIN.md 5, MBO): absentiemeldingen and waarnemingen to registrations.

Every read goes through ``read_checked``, which also asserts two things that must hold for any
input: read = accepted + rejected per file, and no rejection or warning text repeats a BSN.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from builders import school

from adapters.base import AdapterOutput, Where, assemble
from adapters.canonical import CanonicalExport
from adapters.eduarte import EduarteAdapter
from gateway.model import Categorie, PrecheckResult, Registration, SchoolConfig, Sector, Status
from gateway.rules.dayfacts import day_facts, last_date
from gateway.rules.precheck import precheck

FIXTURES = Path(__file__).parent / "fixtures" / "eduarte"
BSNS = ("111222333", "123456782")
STUDENTS = (
    "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
    "231045;111222333;;2010-03-15;N\n"
)
D = dt.date


def mbo(lesuren: bool = True, codes: tuple[tuple[str, Categorie], ...] = ()) -> SchoolConfig:
    config = school(Sector.MBO, mbo_telt_lesuren=lesuren)
    return replace(config, redencodes=config.redencodes + codes) if codes else config


def read_checked(config: SchoolConfig, paths: list[Path]) -> AdapterOutput:
    output = EduarteAdapter().read(config, paths)
    for stats in output.stats:
        assert stats.read == stats.accepted + stats.rejected, stats
    texts = [r.reden for r in output.rejections] + [w.reden for w in output.warnings]
    for text in texts:
        for bsn in BSNS:
            assert bsn not in text
    return output


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def with_students(tmp_path: Path, *files: Path) -> list[Path]:
    return [write(tmp_path, "leerlingen.csv", STUDENTS), *files]


def run(config: SchoolConfig, output: AdapterOutput) -> tuple[CanonicalExport, PrecheckResult]:
    export = assemble(output)
    peildatum = last_date(export.registrations)
    assert peildatum is not None
    facts = day_facts(export.registrations, config.eenheid, peildatum)
    result = precheck(config, export.students, facts.per_pupil, [], peildatum)
    return export, result


def registrations(output: AdapterOutput) -> list[Registration]:
    return [registration for registration, _ in output.registrations]


def rejected(output: AdapterOutput) -> set[tuple[str, int | None, str, str | None]]:
    return {(r.bestand or "", r.regelnummer, r.regel, r.veld) for r in output.rejections}


# -- (1) the shared absence pattern -------------------------------------------------------------


def test_three_whole_days_unexcused_give_one_v3_of_18_lesson_hours() -> None:
    config = mbo()
    output = read_checked(config, sorted(FIXTURES.iterdir()))
    assert output.rejections == []
    export, result = run(config, output)
    assert [
        (m.leerlingnummer, m.code.value, m.begindatum, m.einddatum, m.uren)
        for m in result.meldingen
    ] == [("231045", "V3", D(2024, 9, 2), D(2024, 9, 4), 18.0)]
    # the excused pupil (report Z = ZIEK over the three days) gives nothing
    excused = [r for r in registrations(output) if r.leerlingnummer == "231046"]
    assert len(excused) == 18
    assert all(r.geoorloofd is True and r.categorie is Categorie.ZIEK for r in excused)
    assert set(export.students) == {"231045", "231046"}


def test_every_time_spelling_of_the_fixture_is_read() -> None:
    output = read_checked(mbo(), sorted(FIXTURES.iterdir()))
    pupil = [r for r in registrations(output) if r.leerlingnummer == "231045"]
    assert [(r.lesuur, r.begintijd, r.eindtijd) for r in pupil[:3]] == [
        (1, dt.time(8, 30), dt.time(9, 20)),
        (2, dt.time(9, 20), dt.time(10, 10)),
        (3, dt.time(10, 30), dt.time(11, 20)),
    ]
    assert pupil[0].bron_id == "eduarte:231045:20240902:0830-0920"  # the natural key
    assert [s.bestand for s in output.stats] == [
        "absentiemeldingen.csv", "leerlingen.csv", "waarnemingen.csv"
    ]  # fmt: skip
    assert [(s.read, s.accepted, s.rejected) for s in output.stats] == [
        (1, 1, 0), (2, 2, 0), (36, 36, 0)
    ]  # fmt: skip


def test_mbo_in_clock_hours_needs_more_than_three_days() -> None:
    """F3: without mbo_telt_lesuren 6 x 50 minutes a day is 15 hours after three days."""
    config = mbo(lesuren=False)
    _, result = run(config, read_checked(config, sorted(FIXTURES.iterdir())))
    assert result.meldingen == ()


# -- (2) the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("categorie", "geoorloofd"),
    [
        (Categorie.ZIEK, True),
        (Categorie.MEDISCH, True),
        (Categorie.VERLOF, True),
        (Categorie.SCHORSING, True),
        (Categorie.LUXE, False),
        (Categorie.OVERIG, False),
    ],
)
def test_geoorloofd_follows_the_category_of_the_reason_code(
    tmp_path: Path, categorie: Categorie, geoorloofd: bool
) -> None:
    config = mbo(codes=(("X", categorie),))
    report = write(tmp_path, "meldingen.csv", "231045;20240902;0830;20240902;0920;;;X;\n")
    lesson = write(tmp_path, "waarnemingen.csv", "231045;20240902;0830;0920;1;;;;Afwezig;J\n")
    output = read_checked(config, with_students(tmp_path, report, lesson))
    assert [(r.geoorloofd, r.categorie) for r in registrations(output)] == [(geoorloofd, categorie)]


def test_unknown_or_empty_reason_code_is_unexcused_and_an_unknown_one_warns(tmp_path: Path) -> None:
    report = write(
        tmp_path, "meldingen.csv", "231045;20240902;;;;1;1;ONB;\n231045;20240903;;;;1;1;;\n"
    )
    output = read_checked(mbo(), with_students(tmp_path, report))
    assert [(r.datum.day, r.geoorloofd, r.categorie) for r in registrations(output)] == [
        (2, False, None), (3, False, None)
    ]  # fmt: skip
    assert [(w.regel, w.regelnummer) for w in output.warnings] == [("W-REDENCODE", 1)]


def test_absence_without_a_covering_report_is_unexcused(tmp_path: Path) -> None:
    report = write(tmp_path, "meldingen.csv", "231045;20240902;1030;20240902;1210;;;Z;tandarts\n")
    lessons = write(
        tmp_path,
        "waarnemingen.csv",
        "231045;20240902;0830;0920;1;;;;Afwezig;N\n231045;20240902;1030;1120;3;;;;Afwezig;J\n",
    )
    output = read_checked(mbo(), with_students(tmp_path, report, lessons))
    assert [(r.lesuur, r.geoorloofd, r.bron_id) for r in registrations(output)] == [
        (1, False, "eduarte:231045:20240902:0830-0920"),
        (3, True, "eduarte:231045:20240902:1030-1120"),
        # lesson 4 is covered by the report but has no waarneming: it becomes a slot of its own
        (4, True, "eduarte:231045:20240902:1120-1210"),
    ]


@pytest.mark.parametrize(
    ("presence", "status"),
    [
        ("Aanwezig", Status.AANWEZIG),
        ("Afwezig", Status.AFWEZIG),
        ("Nvt", Status.NVT),
        ("DeelsAfwezig", Status.TE_LAAT),
        ("deelsafwezig", Status.TE_LAAT),
    ],
)
def test_presence_values(tmp_path: Path, presence: str, status: Status) -> None:
    lesson = write(tmp_path, "w.csv", f"231045;20240902;;;2;;;;{presence};N\n")
    output = read_checked(mbo(), with_students(tmp_path, lesson))
    (registration,) = registrations(output)
    assert registration.status is status
    assert (registration.begintijd, registration.eindtijd) == (dt.time(9, 20), dt.time(10, 10))
    expected = False if status in (Status.AFWEZIG, Status.TE_LAAT) else None
    assert registration.geoorloofd is expected


def test_deels_afwezig_is_presence_on_the_day(tmp_path: Path) -> None:
    """DeelsAfwezig -> TE_LAAT: never counted, and the day is no afwezige dag (F6)."""
    lines = "".join(
        f"231045;2024090{d};;;{n};;;;Afwezig;N\n" for d in (2, 3, 4) for n in range(1, 7)
    )
    lines += "231045;20240904;;;6;;;;DeelsAfwezig;N\n"  # replaces the Afwezig of lesson 6 (F1)
    config = mbo()
    _, result = run(
        config, read_checked(config, with_students(tmp_path, write(tmp_path, "w.csv", lines)))
    )
    assert [(m.code.value, m.uren) for m in result.meldingen] == [("V3", 17.0)]


def test_report_is_cut_into_lesson_slots_on_schooldays_only(tmp_path: Path) -> None:
    report = write(
        tmp_path,
        "meldingen.csv",
        "231045;20240906;12:40;20240909;09:20;;;VZV;lang weekend\n"
        "231045;20240910;;20240910;;2;4;VZV;\n",
    )
    output = read_checked(mbo(), with_students(tmp_path, report))
    assert [(r.datum.day, r.lesuur) for r in registrations(output)] == [
        (6, 5), (6, 6), (9, 1), (10, 2), (10, 3), (10, 4)
    ]  # fmt: skip
    assert all(
        r.categorie is Categorie.LUXE and r.geoorloofd is False for r in registrations(output)
    )
    _, result = run(mbo(), output)
    assert [(m.code.value, m.begindatum, m.einddatum) for m in result.meldingen] == [
        ("L", D(2024, 9, 6), D(2024, 9, 10))
    ]


def test_open_report_runs_to_the_last_date_read(tmp_path: Path) -> None:
    report = write(tmp_path, "meldingen.csv", "231045;20240903;;;;;;Z;nog ziek\n")
    lesson = write(tmp_path, "w.csv", "231045;20240905;0830;0920;1;;;;Afwezig;N\n")
    output = read_checked(mbo(), with_students(tmp_path, report, lesson))
    days = sorted({(r.datum.day, r.geoorloofd) for r in registrations(output)})
    assert days == [(3, True), (4, True), (5, True)]


@pytest.mark.parametrize(
    ("spelling", "minutes"),
    [("0830", 510), ("08:30", 510), ("8:30", 510), ("08.30", 510), ("08", 480), ("", None)],
)
def test_time_spellings(tmp_path: Path, spelling: str, minutes: int | None) -> None:
    report = write(tmp_path, "m.csv", f"231045;20240902;{spelling};20240902;;;;Z;\n")
    output = read_checked(mbo(), with_students(tmp_path, report))
    first = registrations(output)[0]
    expected = 1 if minutes is None or minutes <= 510 else 2
    assert first.lesuur == expected
    assert output.rejections == []


def test_pupil_without_leerlingen_row_is_refused_by_assemble(tmp_path: Path) -> None:
    lesson = write(tmp_path, "w.csv", "999;20240902;0830;0920;1;;;;Afwezig;N\n")
    export = assemble(read_checked(mbo(), with_students(tmp_path, lesson)))
    assert [(r.regel, r.leerlingnummer, r.bestand, r.regelnummer) for r in export.rejections] == [
        ("I-LEERLING", "999", "w.csv", 1)
    ]
    assert export.registrations.height == 0


def test_detect(tmp_path: Path) -> None:
    adapter = EduarteAdapter()
    assert adapter.detect(sorted(FIXTURES.iterdir()))
    assert not adapter.detect([FIXTURES / "leerlingen.csv"])
    dagverzuim = Path(__file__).parent / "fixtures" / "dagverzuim" / "dagverzuim.csv"
    assert not adapter.detect([dagverzuim])
    canonical = write(
        tmp_path,
        "l.csv",
        "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;"
        "lesuur;begintijd;eindtijd;status;redencode;reden;geoorloofd;bron_id\n",
    )
    assert not adapter.detect([canonical])


# -- (3) bad input ------------------------------------------------------------------------------

GOOD = "231045;20240902;0830;0920;1;Frans é;JDV;ICT1A;Afwezig;N"


def test_bad_waarnemingen_are_rejected_precisely_and_good_rows_still_read(tmp_path: Path) -> None:
    lines = [
        GOOD,                                                          # 1 good
        "231045;20240902;0920;1010;2;;;;Afwezig",                      # 2 9 fields in a 10 file
        "231045;20240231;0920;1010;2;;;;Afwezig;N",                    # 3 no such date
        "231045;2024-09-02;0920;1010;2;;;;Afwezig;N",                  # 4 not yyyyMMdd
        "231045;20240902;111222333;1010;2;;;;Afwezig;N",               # 5 bad time (a BSN)
        "231045;20240902;2460;1010;2;;;;Afwezig;N",                    # 6 bad time
        "231045;20240902;1010;0920;2;;;;Afwezig;N",                    # 7 end before begin
        "231045;20240902;0000;1300;;;;;Afwezig;N",                     # 8 over 12 hours
        "231045;20240902;0920;1010;2;;;;Weg;N",                        # 9 unknown presence
        ";20240902;0920;1010;2;;;;Afwezig;N",                          # 10 no deelnemernummer
        "=cmd|' /C calc'!A0;20240902;0920;1010;2;;;;Afwezig;N",        # 11 formula as key
        "231045;20240902;0920;1010;2;=cmd|' /C calc'!A0;;;Afwezig;N",  # 12 formula as text: data
        "231045;20240902;1030;1120;3;" + "x" * 3001 + ";;;Afwezig;N",  # 13 very long field
        "231045;20240902;1120;1210;4;;;;Afwezig;X",                    # 14 afgehandeld not J/N
        "231045;20240902;;;;;;;Afwezig;N",                             # 15 no times, no lesuur
        "231045;20240903;1240;1330;5;;;;Afwezig;N",                    # 16 good
    ]  # fmt: skip
    data = "\n".join(lines).encode() + b"\n"
    data += b"231045;20240903;1330;1420;6;\x00;;;Afwezig;N\n"  # 17 NUL
    data += b"231045;20240903;1330;1420;6;Fran\xe7ais;;;Afwezig;N\n"  # 18 not UTF-8
    data += b"231045;20240904;0830;0920;1;;"  # 19 truncated last line
    output = read_checked(mbo(), with_students(tmp_path, write(tmp_path, "w.csv", data)))
    assert rejected(output) == {
        ("w.csv", 2, "I-VELDEN", None),
        ("w.csv", 3, "I-FORMAAT", "datum"),
        ("w.csv", 4, "I-FORMAAT", "datum"),
        ("w.csv", 5, "I-FORMAAT", "begintijd"),
        ("w.csv", 6, "I-FORMAAT", "begintijd"),
        ("w.csv", 7, "F1", "eindtijd"),
        ("w.csv", 8, "F1", "eindtijd"),
        ("w.csv", 9, "I-FORMAAT", "waarneming"),
        ("w.csv", 10, "I-VERPLICHT", "deelnemernummer"),
        ("w.csv", 11, "I-FORMAAT", "deelnemernummer"),
        ("w.csv", 13, "I-FORMAAT", "vak"),
        ("w.csv", 14, "I-FORMAAT", "afgehandeld"),
        ("w.csv", 15, "I-VERPLICHT", "begintijd"),
        ("w.csv", 17, "I-TEKEN", None),
        ("w.csv", 18, "I-TEKENSET", None),
        ("w.csv", 19, "I-VELDEN", None),
    }
    assert [where.regelnummer for _, where in output.registrations] == [1, 12, 16]
    stats = next(s for s in output.stats if s.bestand == "w.csv")
    assert (stats.read, stats.accepted, stats.rejected) == (19, 3, 16)
    by_line = {r.regelnummer: r for r in output.rejections}
    assert "laatste regel is afgebroken" in by_line[19].reden
    assert "*********" in by_line[5].reden
    assert by_line[8].reden == "waarneming duurt 780 minuten, meer dan 720 (F1)"
    assert by_line[11].leerlingnummer is None
    assert all(not r.reden.startswith(("=", "+", "-", "@")) for r in output.rejections)


def test_bad_absentiemeldingen(tmp_path: Path) -> None:
    lines = [
        "231045;20240902;;20240902;;;;Z;",             # 1 good
        "231045;20240902;;20240830;;;;Z;",             # 2 einddatum before begindatum
        "231045;20240902;1200;20240902;1000;;;Z;",     # 3 end before begin
        "231045;20240902;;20240902;;5;2;Z;",           # 4 eindlesuur before beginlesuur
        "231045;20240902;;20240902;;13;;Z;",           # 5 no lesson 13
        "231045;20240902;;20260902;;;;Z;",             # 6 two years
        "231045;;;20240902;;;;Z;",                     # 7 no begindatum
        "231045;20240902;;20240902;;;;Z;;extra",       # 8 10 fields in a 9 file
        '231045;20240902;;20240902;;;;Z;"open quote',  # 9 quote not closed
    ]  # fmt: skip
    output = read_checked(
        mbo(), with_students(tmp_path, write(tmp_path, "m.csv", "\n".join(lines) + "\n"))
    )
    assert rejected(output) == {
        ("m.csv", 2, "F1", "einddatum"),
        ("m.csv", 3, "F1", "eindtijd"),
        ("m.csv", 4, "F1", "eindlesuur"),
        ("m.csv", 5, "I-FORMAAT", "beginlesuur"),
        ("m.csv", 6, "I-FORMAAT", "einddatum"),
        ("m.csv", 7, "I-VERPLICHT", "begindatum"),
        ("m.csv", 8, "I-VELDEN", None),
        ("m.csv", 9, "I-VELDEN", None),
    }
    assert len(registrations(output)) == 6
    stats = next(s for s in output.stats if s.bestand == "m.csv")
    assert (stats.read, stats.accepted, stats.rejected) == (9, 1, 8)


def test_empty_file_is_one_rejection_and_no_rows(tmp_path: Path) -> None:
    output = read_checked(mbo(), with_students(tmp_path, write(tmp_path, "leeg.csv", "")))
    assert [(r.regel, r.bestand, r.regelnummer) for r in output.rejections] == [
        ("I-LEEG", "leeg.csv", None)
    ]
    stats = next(s for s in output.stats if s.bestand == "leeg.csv")
    assert (stats.read, stats.accepted, stats.rejected) == (0, 0, 0)


def test_windows_1252_file_is_read_with_a_warning(tmp_path: Path) -> None:
    data = "231045;20240902;0830;0920;1;Français;Müller;ICT1A;Afwezig;N\r\n".encode("cp1252")
    output = read_checked(mbo(), with_students(tmp_path, write(tmp_path, "w.csv", data)))
    assert len(registrations(output)) == 1
    assert [w.regel for w in output.warnings] == ["W-TEKENSET"]
    assert output.rejections == []


def test_no_rejection_or_warning_contains_a_bsn(tmp_path: Path) -> None:
    lines = (
        "231045;20240902;0830;0920;1;111222333;;;Afwezig;111222333\n"
        "231045;111222333;0830;0920;1;;;;Afwezig;N\n"
        "231045;20240902;0830;0920;1;;;;111222333;N\n"
    )
    report = write(tmp_path, "m.csv", "231045;20240902;;;;1;1;111222333;\n")
    bad_students = write(tmp_path, "leerlingen.csv", STUDENTS + "231045;123456782;;2010-13-01;N\n")
    output = read_checked(mbo(), [bad_students, write(tmp_path, "w.csv", lines), report])
    assert len(output.rejections) == 4
    assert len(output.warnings) == 1  # W-REDENCODE, with the code masked
    export, _ = run(mbo(), output)
    for item in export.rejections:
        assert all(bsn not in item.reden for bsn in BSNS)


def test_a_lesson_exported_in_two_files_counts_once_and_is_reported(tmp_path: Path) -> None:
    """Eduarte has no ids: the bron_id is the natural key, so the same lesson in this week's and
    last week's export counts once (the later file wins), with W-DUBBEL and the count."""
    lesson = "231045;20240902;0830;0920;1;;;;Afwezig;N\n"
    old = write(tmp_path, "week-35.csv", lesson + "231045;20240902;0920;1010;2;;;;Afwezig;N\n")
    new = write(tmp_path, "week-36.csv", lesson.replace("Afwezig;N", "Aanwezig;J"))
    export, _ = run(mbo(), read_checked(mbo(), with_students(tmp_path, old, new)))
    assert export.registrations.select("lesuur", "status").rows() == [
        (2, "AFWEZIG"), (1, "AANWEZIG")
    ]  # fmt: skip
    stats = {s.bestand: (s.read, s.accepted, s.duplicates) for s in export.stats}
    assert stats["week-35.csv"] == (2, 2, 1) and stats["week-36.csv"] == (1, 1, 0)
    (warning,) = export.warnings
    assert (warning.regel, warning.bestand, warning.regelnummer) == ("W-DUBBEL", "week-35.csv", 1)
    assert "week-36.csv regel 1" in warning.reden


def test_overlapping_reports_give_an_uncovered_lesson_once_the_last_report_wins(
    tmp_path: Path,
) -> None:
    config = mbo(codes=(("VZV", Categorie.LUXE),))
    reports = write(
        tmp_path, "m.csv", "231045;20240902;;;;1;2;Z;griep\n231045;20240902;;;;2;2;VZV;vakantie\n"
    )
    output = read_checked(config, with_students(tmp_path, reports))
    assert [(r.lesuur, r.categorie) for r in registrations(output)] == [
        (1, Categorie.ZIEK), (2, Categorie.LUXE)
    ]  # fmt: skip
    export, _ = run(config, output)
    assert export.warnings == []
    assert export.texts is not None
    assert export.texts.select("redencode", "reden").rows() == [("Z", "griep"), ("VZV", "vakantie")]


def test_fixture_copy_keeps_line_numbers_with_crlf(tmp_path: Path) -> None:
    copy = tmp_path / "waarnemingen.csv"
    shutil.copy(FIXTURES / "waarnemingen.csv", copy)
    output = read_checked(mbo(), with_students(tmp_path, copy))
    assert output.registrations[-1][1] == Where("waarnemingen.csv", 36)
