"""The dagverzuim adapter (DOMAIN.md 5, PO day grain): O/M/D rows to clock-hour registrations.

Every read goes through ``read_checked``: read = accepted + rejected per file, and no rejection or
warning text repeats a BSN or onderwijsnummer.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from builders import school
from typer.testing import CliRunner

from adapters.base import AdapterOutput, assemble
from adapters.canonical import CanonicalExport
from adapters.dagverzuim import DagverzuimAdapter
from gateway.cli import app
from gateway.errors import InputError
from gateway.model import Categorie, PrecheckResult, Registration, SchoolConfig, Sector, Status
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.dayfacts import day_facts, last_date
from gateway.rules.precheck import precheck
from gateway.rules.timeline import PupilTimeline

FIXTURES = Path(__file__).parent / "fixtures" / "dagverzuim"
IDENTITIES = ("111222333", "123456782", "100000004")
HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;dagdeel;uren;redencode;reden;"
    "geoorloofd;opmerking;groep\n"
)
STUDENTS = (
    "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n231045;;;2016-03-15;N\n"
)
D = dt.date
RUNNER = CliRunner()
PO_SCHOOL = """
[school]
brin = "99XX"
vestiging = "00"
naam = "Proeftuin"
sector = "po"
[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"
"""


def po(hele_dag_minuten: int | None = 300) -> SchoolConfig:
    return school(Sector.PO, hele_dag_minuten=hele_dag_minuten)


def read_checked(config: SchoolConfig, paths: list[Path]) -> AdapterOutput:
    output = DagverzuimAdapter().read(config, paths)
    for stats in output.stats:
        assert stats.read == stats.accepted + stats.rejected, stats
    for text in [r.reden for r in output.rejections] + [w.reden for w in output.warnings]:
        assert all(number not in text for number in IDENTITIES)
    return output


def files(tmp_path: Path, rows: str | bytes, students: str = STUDENTS) -> list[Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "leerlingen.csv").write_text(students, encoding="utf-8")
    data = rows if isinstance(rows, bytes) else (HEADER + rows).encode()
    (tmp_path / "dagverzuim.csv").write_bytes(data)
    return [tmp_path / "leerlingen.csv", tmp_path / "dagverzuim.csv"]


def row(datum: str, dagdeel: str, uren: str, geoorloofd: str = "N", code: str = "") -> str:
    return f"99XX;00;231045;111222333;;{datum};{dagdeel};{uren};{code};;{geoorloofd};;groep 3\n"


def run(config: SchoolConfig, output: AdapterOutput) -> tuple[CanonicalExport, PrecheckResult]:
    export = assemble(output)
    peildatum = last_date(export.registrations)
    assert peildatum is not None
    facts = day_facts(export.registrations, config.eenheid, peildatum)
    return export, precheck(config, export.students, facts.per_pupil, [], peildatum)


def registrations(output: AdapterOutput) -> list[Registration]:
    """The registrations of the rows (AFWEZIG), without the presence the adapter adds (F6)."""
    return [r for r, _ in output.registrations if r.status is Status.AFWEZIG]


def presence(output: AdapterOutput) -> list[tuple[str, dt.date, dt.time, int | None]]:
    """The AANWEZIG halves the adapter adds: pupil, date, begin and the row they belong to."""
    return [
        (r.leerlingnummer, r.datum, r.begintijd, where.regelnummer)
        for r, where in output.registrations
        if r.status is Status.AANWEZIG
    ]


def afwezige_dagen(config: SchoolConfig, output: AdapterOutput) -> dict[dt.date, bool]:
    """F6 per counted date, as the rule book decides it."""
    export = assemble(output)
    peildatum = last_date(export.registrations)
    assert peildatum is not None
    facts = day_facts(export.registrations, config.eenheid, peildatum)
    timeline = PupilTimeline(
        export.students["231045"],
        facts.per_pupil["231045"],
        config,
        SchoolCalendar(config.vakanties),
        peildatum,
    )
    return {day.datum: day.afwezig for day in timeline.counted}


# -- (1) the shared absence pattern -------------------------------------------------------------


def test_three_whole_days_unexcused_give_a_v3_when_16_clock_hours_are_reached() -> None:
    """6 + 5.5 + 6 hours: 360 + 330 = 690 minutes after Tuesday, 1050 >= 960 on Wednesday."""
    config = po()
    output = read_checked(config, sorted(FIXTURES.iterdir()))
    assert output.rejections == []
    export, result = run(config, output)
    assert [
        (m.leerlingnummer, m.code.value, m.begindatum, m.einddatum, m.uren)
        for m in result.meldingen
    ] == [("231045", "V3", D(2024, 9, 2), D(2024, 9, 4), 17.5)]
    # the excused pupil (geoorloofd J, code Z) gives nothing; identity from the rows
    assert export.students["231046"].onderwijsnummer == "100000004"
    assert export.students["231045"].bsn == "111222333"
    assert export.students["231045"].geboortedatum == D(2016, 3, 15)
    assert [(s.bestand, s.read, s.accepted, s.rejected) for s in output.stats] == [
        ("dagverzuim.csv", 6, 6, 0),
        ("leerlingen.csv", 2, 2, 0),
    ]


def test_two_days_are_not_enough(tmp_path: Path) -> None:
    config = po()
    rows = row("2024-09-02", "D", "6") + row("2024-09-03", "D", "6")
    output = read_checked(config, files(tmp_path, rows))
    assert run(config, output)[1].meldingen == ()


# -- (2) the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dagdeel", "uren", "begin", "end"),
    [
        ("O", "3,5", dt.time(8, 30), dt.time(12, 0)),
        ("o", "3.5", dt.time(8, 30), dt.time(12, 0)),
        ("M", "2,25", dt.time(13, 0), dt.time(15, 15)),
        ("D", "5,5", dt.time(8, 30), dt.time(14, 0)),
        ("D", "6", dt.time(8, 30), dt.time(14, 30)),
    ],
)
def test_each_row_is_one_registration_of_its_hours(
    tmp_path: Path, dagdeel: str, uren: str, begin: dt.time, end: dt.time
) -> None:
    output = read_checked(po(), files(tmp_path, row("2024-09-02", dagdeel, uren)))
    (registration,) = registrations(output)
    assert (registration.begintijd, registration.eindtijd) == (begin, end)
    assert registration.status is Status.AFWEZIG
    assert registration.bron_id == f"dagverzuim:231045:2024-09-02:{dagdeel.upper()}"
    # the other half of a day with one dagdeel was at school (F6); a whole day has none
    other = {"O": dt.time(13, 0), "M": dt.time(8, 30)}.get(dagdeel.upper())
    assert presence(output) == ([] if other is None else [("231045", D(2024, 9, 2), other, 2)])


def test_a_morning_alone_is_not_an_afwezige_dag_but_morning_and_afternoon_or_d_are(
    tmp_path: Path,
) -> None:
    """F6 with hele_dag_minuten = 300: O 3.5 h alone no; O 3.5 + M 2.5 yes; D 5.5 yes."""
    rows = (
        row("2024-09-02", "O", "3,5")
        + row("2024-09-03", "O", "3,5")
        + row("2024-09-03", "M", "2,5")
        + row("2024-09-04", "D", "5,5")
    )
    config = po()
    expected = {D(2024, 9, 2): False, D(2024, 9, 3): True, D(2024, 9, 4): True}
    assert afwezige_dagen(config, read_checked(config, files(tmp_path, rows))) == expected
    # without hele_dag_minuten too: the day register is complete per day, so the afternoon
    # without a row was spent at school (issue 5: a morning alone is never a whole day)
    unset = po(None)
    assert afwezige_dagen(unset, read_checked(unset, files(tmp_path, rows))) == expected


def test_a_half_named_by_a_refused_row_gets_no_presence(tmp_path: Path) -> None:
    """The afternoon row is refused for its hours (F1): the school did register the afternoon,
    so the adapter does not make it a half at school; the rejection asks for a fix."""
    rows = row("2024-09-02", "O", "3,5") + row("2024-09-02", "M", "0") + row("2024-09-03", "M", "2")
    output = read_checked(po(None), files(tmp_path, rows))
    assert [(r.regel, r.regelnummer) for r in output.rejections] == [("F1", 3)]
    assert presence(output) == [("231045", D(2024, 9, 3), dt.time(8, 30), 4)]


def test_mornings_only_without_hele_dag_minuten_through_the_cli(tmp_path: Path) -> None:
    """The audit's case: seven weeks of mornings (O, 3,5 uur) on a PO school without
    ``hele_dag_minuten``. Each 16 hours is a V3 of its own (R-16U: 3,5 x 5 = 17,5 uur per school
    week), and no morning is a whole absent day: no run, so no follow-ups and no LRV (F6, F7,
    R-LRV). Read through ``verzuim precheck --adapter dagverzuim``."""
    school_file = tmp_path / "school.toml"
    school_file.write_text(PO_SCHOOL, encoding="utf-8")
    days = [D(2024, 9, 2) + dt.timedelta(days=n) for n in range(47)]
    mornings = "".join(row(day.isoformat(), "O", "3,5") for day in days if day.weekday() < 5)
    students, register = files(tmp_path, mornings)
    result = RUNNER.invoke(
        app,
        ["precheck", "--adapter", "dagverzuim", "--school", str(school_file), "--students",
         str(students), "--registrations", str(register), "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    meldingen = [
        (m["code"], m["herhaal"], m["begindatum"], m["einddatum"], m["uren"])
        for m in document["meldingen"]
    ]
    mondays = [D(2024, 9, 2) + dt.timedelta(weeks=n) for n in range(7)]
    assert meldingen == [
        ("V3", False, monday.isoformat(), (monday + dt.timedelta(days=4)).isoformat(), 17.5)
        for monday in mondays
    ]
    assert all(not day["hele_dag"] for m in document["meldingen"] for day in m["dagen"])
    assert [day["uren"] for day in document["meldingen"][0]["dagen"]] == [3.5] * 5
    (stats,) = [s for s in document["bestanden"] if s["bestand"] == "dagverzuim.csv"]
    assert (stats["gelezen"], stats["geaccepteerd"]) == (35, 35)


@pytest.mark.parametrize(
    ("geoorloofd", "expected"), [("J", True), ("N", False), ("", None), ("j", True)]
)
def test_geoorloofd(tmp_path: Path, geoorloofd: str, expected: bool | None) -> None:
    output = read_checked(po(), files(tmp_path, row("2024-09-02", "D", "6", geoorloofd)))
    assert registrations(output)[0].geoorloofd is expected


def test_categorie_from_redencodes_and_unknown_code_warns(tmp_path: Path) -> None:
    rows = row("2024-09-02", "D", "6", "N", "VZV") + row("2024-09-03", "D", "6", "N", "XYZ")
    output = read_checked(po(), files(tmp_path, rows))
    assert [r.categorie for r in registrations(output)] == [Categorie.LUXE, None]
    assert [(w.regel, w.regelnummer, w.veld) for w in output.warnings] == [
        ("W-REDENCODE", 3, "redencode")
    ]


def test_identity_from_leerlingen_wins_and_missing_identity_is_v01(tmp_path: Path) -> None:
    students = STUDENTS + "231047;123456782;;2016-01-01;N\n231048;;;2016-01-01;N\n"
    rows = (
        row("2024-09-02", "D", "6")
        + "99XX;00;231047;;;2024-09-02;D;6;;;N;;\n"
        + "99XX;00;231048;;;2024-09-02;D;6;;;N;;\n"
        + "99XX;00;231049;111222333;;2024-09-02;D;6;;;N;;\n"
    )
    export = assemble(read_checked(po(), files(tmp_path, rows, students)))
    assert export.students["231047"].bsn == "123456782"
    assert sorted((r.regel, r.leerlingnummer or "") for r in export.rejections) == [
        ("I-LEERLING", "231049"),
        ("V01", "231048"),
    ]
    assert set(export.students) == {"231045", "231047"}


def test_overlapping_rows_of_one_day_keep_the_first(tmp_path: Path) -> None:
    rows = (
        row("2024-09-02", "O", "3,5")
        + row("2024-09-02", "D", "6")
        + row("2024-09-02", "M", "2")
        + row("2024-09-02", "M", "2")
    )
    output = read_checked(po(), files(tmp_path, rows))
    assert [(r.regel, r.regelnummer, r.veld) for r in output.rejections] == [
        ("I-DUBBEL", 3, "dagdeel"),
        ("I-DUBBEL", 5, "dagdeel"),
    ]
    assert "dagverzuim.csv regel 2" in output.rejections[0].reden  # the row it overlaps
    assert len(registrations(output)) == 2


def test_detect(tmp_path: Path) -> None:
    adapter = DagverzuimAdapter()
    assert adapter.detect(sorted(FIXTURES.iterdir()))
    assert not adapter.detect([FIXTURES / "leerlingen.csv"])
    eduarte = Path(__file__).parent / "fixtures" / "eduarte"
    assert not adapter.detect(sorted(eduarte.iterdir()))


# -- (3) bad input ------------------------------------------------------------------------------


def test_bad_rows_are_rejected_precisely_and_good_rows_still_read(tmp_path: Path) -> None:
    good = row("2024-09-02", "O", "3,5").rstrip("\n")
    lines = [
        good,  # 2
        "99XX;00;231045;111222333;;2024-09-02;M;2;;;N;",  # 3 twelve fields
        row("2024-09-31", "M", "2", "N").rstrip("\n"),  # 4 no such date
        row("02-09-2024", "M", "2", "N").rstrip("\n"),  # 5 not a date
        row("2024-09-03", "X", "2").rstrip("\n"),  # 6 bad dagdeel
        row("2024-09-03", "O", "drie").rstrip("\n"),  # 7 bad uren
        row("2024-09-03", "O", "0").rstrip("\n"),  # 8 no hours
        row("2024-09-03", "D", "12,5").rstrip("\n"),  # 9 over 12 hours
        row("2024-09-04", "M", "11").rstrip("\n"),  # 10 past midnight
        row("2024-09-04", "O", "").rstrip("\n"),  # 11 uren missing
        row("2024-09-04", "O", "2", "X").rstrip("\n"),  # 12 geoorloofd
        "12AB;00;231045;;;2024-09-05;O;2;;;N;;",  # 13 other BRIN
        "99XX;00;=cmd|' /C calc'!A0;;;2024-09-05;O;2;;;N;;",  # 14 formula as key
        "99XX;00;231045;;;2024-09-05;M;2;;;N;=cmd|' /C calc'!A0;",  # 15 formula as text: data
        "99XX;00;231045;;;2024-09-06;O;2;;;N;" + "x" * 3001 + ";",  # 16 very long field
        "99XX;00;;111222333;;2024-09-06;M;2;;;N;;",  # 17 no leerlingnummer
        "99XX;00;231045;;;111222333;M;2;;;N;;",  # 18 BSN in the datum column
    ]
    data = (HEADER + "\n".join(lines) + "\n").encode()
    data += b"99XX;00;231045;;;2024-09-09;O;2;;;N;\x00;\n"  # 19 NUL
    data += b"99XX;00;231045;;;2024-09-09;M;2;;;N;caf\xe9;\n"  # 20 not UTF-8
    data += "99XX;00;231045;;;2024-09-10;O;2;;;N;één;\n".encode()  # 21 good (keeps UTF-8)
    data += b"99XX;00;231045;;;2024-09-11;O;2"  # 22 truncated last line
    output = read_checked(po(), files(tmp_path, data))
    assert {(r.regelnummer, r.regel, r.veld) for r in output.rejections} == {
        (3, "I-VELDEN", None),
        (4, "I-FORMAAT", "datum"),
        (5, "I-FORMAAT", "datum"),
        (6, "I-FORMAAT", "dagdeel"),
        (7, "I-FORMAAT", "uren"),
        (8, "F1", "uren"),
        (9, "F1", "uren"),
        (10, "F1", "uren"),
        (11, "I-VERPLICHT", "uren"),
        (12, "I-FORMAAT", "geoorloofd"),
        (13, "V13", "brin"),
        (14, "I-FORMAAT", "leerlingnummer"),
        (16, "I-FORMAAT", "opmerking"),
        (17, "I-VERPLICHT", "leerlingnummer"),
        (18, "I-FORMAAT", "datum"),
        (19, "I-TEKEN", None),
        (20, "I-TEKENSET", None),
        (22, "I-VELDEN", None),
    }
    assert [r.bron_id for r in registrations(output)] == [
        "dagverzuim:231045:2024-09-02:O",
        "dagverzuim:231045:2024-09-05:M",
        "dagverzuim:231045:2024-09-10:O",
    ]
    stats = next(s for s in output.stats if s.bestand == "dagverzuim.csv")
    assert (stats.read, stats.accepted, stats.rejected) == (21, 3, 18)
    by_line = {r.regelnummer: r for r in output.rejections}
    assert "laatste regel is afgebroken" in by_line[22].reden
    assert "*********" in by_line[18].reden
    assert all(not r.reden.startswith(("=", "+", "-", "@")) for r in output.rejections)


def test_header_only_and_empty_files(tmp_path: Path) -> None:
    output = read_checked(po(), files(tmp_path, HEADER.encode()))
    assert [(r.regel, r.bestand, r.regelnummer) for r in output.rejections] == [
        ("I-LEEG", "dagverzuim.csv", None)
    ]
    assert "kopregel" in output.rejections[0].reden
    output = read_checked(po(), files(tmp_path, b""))
    assert [(r.regel, r.bestand) for r in output.rejections] == [("I-LEEG", "dagverzuim.csv")]


def test_header_without_a_required_column_refuses_the_file(tmp_path: Path) -> None:
    paths = files(tmp_path, b"leerlingnummer;datum;dagdeel\n231045;2024-09-02;D\n")
    paths[1].rename(tmp_path / "x.csv")
    with pytest.raises(InputError, match="I-KOP"):
        DagverzuimAdapter().read(po(), [paths[0], tmp_path / "x.csv"])


def test_windows_1252_file_is_read_with_a_warning(tmp_path: Path) -> None:
    data = (HEADER + row("2024-09-02", "D", "6").replace("groep 3", "Groep één")).encode("cp1252")
    output = read_checked(po(), files(tmp_path, data))
    assert len(registrations(output)) == 1
    assert [w.regel for w in output.warnings] == ["W-TEKENSET"]


# -- (4) several files: the latest file's day wins (issue 5) ------------------------------------


def two_registers(tmp_path: Path, earlier: str, later: str) -> list[Path]:
    """``leerlingen.csv``, then ``dagverzuim-1.csv`` (older) and ``dagverzuim-2.csv`` (newer),
    in the order the adapter is given them."""
    (tmp_path / "leerlingen.csv").write_text(STUDENTS, encoding="utf-8")
    paths = [tmp_path / "leerlingen.csv"]
    for name, rows in (("dagverzuim-1.csv", earlier), ("dagverzuim-2.csv", later)):
        (tmp_path / name).write_text(HEADER + rows, encoding="utf-8")
        paths.append(tmp_path / name)
    return paths


def counted(output: AdapterOutput) -> list[tuple[str, str, int | None]]:
    """The registrations that count, by bron_id with their file and line (AANWEZIG included)."""
    return [(r.bron_id, where.bestand, where.regelnummer) for r, where in output.registrations]


def file_stats(export: CanonicalExport) -> dict[str, tuple[int, int, int, int]]:
    """Per register file: read, accepted, rejected, of which duplicates."""
    return {
        s.bestand: (s.read, s.accepted, s.rejected, s.duplicates)
        for s in export.stats
        if s.bestand.startswith("dagverzuim")
    }


MON = "2024-09-02"
BRON = "dagverzuim:231045:2024-09-02"


@pytest.mark.parametrize(
    ("earlier", "later", "expected", "added"),
    [
        # O -> D: the whole day replaces the morning and the presence added for the afternoon
        (row(MON, "O", "3"), row(MON, "D", "6"), [(f"{BRON}:D", "dagverzuim-2.csv", 2)], []),
        # D -> O: the morning replaces the whole day; the afternoon is now presence, added for
        # the later file's row (F6, decided after the replacement)
        (row(MON, "D", "6"), row(MON, "O", "3"),
         [(f"{BRON}:O", "dagverzuim-2.csv", 2), (f"{BRON}:M", "dagverzuim-2.csv", 2)],
         [("231045", D(2024, 9, 2), dt.time(13, 0), 2)]),
        # D -> O + M: two rows of the later file replace one of the earlier; no presence
        (row(MON, "D", "6"), row(MON, "O", "3") + row(MON, "M", "2"),
         [(f"{BRON}:O", "dagverzuim-2.csv", 2), (f"{BRON}:M", "dagverzuim-2.csv", 3)], []),
        # O + M -> D: both halves of the earlier file are replaced
        (row(MON, "O", "3") + row(MON, "M", "2"), row(MON, "D", "6"),
         [(f"{BRON}:D", "dagverzuim-2.csv", 2)], []),
    ],
    ids=["O-to-D", "D-to-O", "D-to-O+M", "O+M-to-D"],
)  # fmt: skip
def test_a_later_file_replaces_the_day_of_an_earlier_one(
    tmp_path: Path,
    earlier: str,
    later: str,
    expected: list[tuple[str, str, int | None]],
    added: list[tuple[str, dt.date, dt.time, int | None]],
) -> None:
    output = read_checked(po(None), two_registers(tmp_path, earlier, later))
    assert output.rejections == []  # no I-DUBBEL across files
    assert counted(output) == expected
    assert presence(output) == added  # (the file of the row it belongs to is in ``counted``)
    export = assemble(output)
    replaced = earlier.count("\n")
    assert file_stats(export) == {
        "dagverzuim-1.csv": (replaced, replaced, 0, replaced),
        "dagverzuim-2.csv": (later.count("\n"), later.count("\n"), 0, 0),
    }
    (warning,) = [w for w in export.warnings if w.regel == "W-DUBBEL"]
    assert (warning.bestand, warning.regelnummer, warning.veld, warning.leerlingnummer) == (
        "dagverzuim-1.csv", 2, "datum", "231045",
    )  # fmt: skip
    assert "dagverzuim-2.csv regel 2" in warning.reden
    assert export.registrations.height == len(expected)


def test_a_day_the_later_file_does_not_mention_keeps_the_earlier_rows(tmp_path: Path) -> None:
    """The later file corrects Monday only: Tuesday's whole day and Wednesday's morning (with its
    added afternoon of presence) stay as the earlier file gave them; F6 is decided per day from
    the rows that count."""
    earlier = row(MON, "O", "3") + row("2024-09-03", "D", "5,5") + row("2024-09-04", "O", "3")
    output = read_checked(po(None), two_registers(tmp_path, earlier, row(MON, "D", "6")))
    assert output.rejections == []
    assert counted(output) == [
        ("dagverzuim:231045:2024-09-03:D", "dagverzuim-1.csv", 3),
        ("dagverzuim:231045:2024-09-04:O", "dagverzuim-1.csv", 4),
        (f"{BRON}:D", "dagverzuim-2.csv", 2),
        ("dagverzuim:231045:2024-09-04:M", "dagverzuim-1.csv", 4),
    ]
    assert afwezige_dagen(po(None), output) == {
        D(2024, 9, 2): True, D(2024, 9, 3): True, D(2024, 9, 4): False,
    }  # fmt: skip
    assert file_stats(assemble(output))["dagverzuim-1.csv"] == (3, 3, 0, 1)


def test_rows_of_other_pupils_and_days_in_the_later_file_replace_only_their_own_day(
    tmp_path: Path,
) -> None:
    """Replacement is per pupil and date: a later row of another pupil on the same date, or of
    the same pupil on another date, replaces nothing."""
    students = STUDENTS + "231046;;100000004;2016-06-01;N\n"
    other = "99XX;00;231046;;;2024-09-02;D;6;;;N;;\n"
    paths = two_registers(tmp_path, row(MON, "O", "3"), other + row("2024-09-03", "M", "2"))
    paths[0].write_text(students, encoding="utf-8")
    output = read_checked(po(None), paths)
    export = assemble(output)
    assert [w.regel for w in export.warnings] == []
    assert file_stats(export)["dagverzuim-1.csv"] == (1, 1, 0, 0)
    assert sorted(b for b, _, _ in counted(output)) == [
        f"{BRON}:M", f"{BRON}:O", "dagverzuim:231045:2024-09-03:M",
        "dagverzuim:231045:2024-09-03:O", "dagverzuim:231046:2024-09-02:D",
    ]  # fmt: skip


def test_overlap_inside_one_file_is_still_i_dubbel_when_it_replaces_an_earlier_file(
    tmp_path: Path,
) -> None:
    """I-DUBBEL stays per file: the later file's second row for Monday overlaps its first and is
    refused (naming that file and line); its first row replaces the earlier file's day. The
    refused whole-day row still names the afternoon, so no presence is added for it."""
    later = row(MON, "O", "3") + row(MON, "D", "6")
    output = read_checked(po(None), two_registers(tmp_path, row(MON, "D", "6"), later))
    assert [(r.regel, r.bestand, r.regelnummer, r.veld) for r in output.rejections] == [
        ("I-DUBBEL", "dagverzuim-2.csv", 3, "dagdeel")
    ]
    assert "dagverzuim-2.csv regel 2" in output.rejections[0].reden
    assert counted(output) == [(f"{BRON}:O", "dagverzuim-2.csv", 2)]
    assert file_stats(assemble(output)) == {
        "dagverzuim-1.csv": (1, 1, 0, 1),
        "dagverzuim-2.csv": (2, 1, 1, 0),
    }


def test_a_later_file_whose_row_for_the_day_is_refused_replaces_nothing(tmp_path: Path) -> None:
    """The later row is refused for its hours (F1): the earlier whole day still counts, and the
    rejection asks for a fix."""
    output = read_checked(po(None), two_registers(tmp_path, row(MON, "D", "6"), row(MON, "O", "0")))
    assert [(r.regel, r.bestand, r.regelnummer) for r in output.rejections] == [
        ("F1", "dagverzuim-2.csv", 2)
    ]
    assert counted(output) == [(f"{BRON}:D", "dagverzuim-1.csv", 2)]
    assert [w.regel for w in assemble(output).warnings] == []


def test_the_reason_of_a_replaced_row_does_not_travel_to_the_day_that_replaced_it(
    tmp_path: Path,
) -> None:
    """``verzuim import``: the earlier morning had redencode VZV; the later file has the
    afternoon only, so the morning is now added presence, written without the old reason."""
    school_file = tmp_path / "school.toml"
    school_file.write_text(PO_SCHOOL, encoding="utf-8")
    paths = two_registers(tmp_path, row(MON, "O", "3", code="VZV"), row(MON, "M", "2"))
    out = tmp_path / "canoniek"
    result = RUNNER.invoke(
        app,
        ["import", "--adapter", "dagverzuim", "--school", str(school_file), "--out", str(out),
         str(paths[1]), str(paths[2]), "--students", str(paths[0])],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = (out / "lesregistraties.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    rows = [dict(zip(header, line.split(";"), strict=True)) for line in lines[1:]]
    assert [(r["begintijd"], r["status"], r["redencode"], r["bron_id"]) for r in rows] == [
        ("13:00", "AFWEZIG", "", f"{BRON}:M"),
        ("08:30", "AANWEZIG", "", f"{BRON}:O"),
    ]
    assert (
        "dagverzuim-1.csv (utf-8): 1 gelezen = 1 geaccepteerd + 0 afgewezen + 0 van afgewezen "
        "leerlingen; waarvan 1 dubbel (een latere regel telt)"
    ) in result.stdout
    assert "[W-DUBBEL] dagverzuim-1.csv regel 2: een later bestand geeft dezelfde leerling" in (
        result.stdout
    )


def test_a_correcting_second_file_through_the_cli_gives_the_melding(tmp_path: Path) -> None:
    """``verzuim precheck --registrations`` twice, older file first: Monday was a morning of 3
    hours (3 + 5,5 + 6 = 14,5: no 16 hours) and is corrected to a whole day of 6 (17,5: V3 over
    three whole days). The replaced row is counted as waarvan_dubbel, with W-DUBBEL. Given in the
    other order, the morning is the newer word on Monday: no melding."""
    school_file = tmp_path / "school.toml"
    school_file.write_text(PO_SCHOOL, encoding="utf-8")
    earlier = row(MON, "O", "3") + row("2024-09-03", "D", "5,5") + row("2024-09-04", "D", "6")
    students, first, second = two_registers(tmp_path, earlier, row(MON, "D", "6"))

    def precheck_json(*registers: Path) -> dict[str, Any]:
        arguments = ["precheck", "--adapter", "dagverzuim", "--school", str(school_file),
                     "--students", str(students), "--format", "json"]  # fmt: skip
        for path in registers:
            arguments += ["--registrations", str(path)]
        result = RUNNER.invoke(app, arguments)
        assert result.exit_code == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    document = precheck_json(first, second)
    assert [
        (m["code"], m["begindatum"], m["einddatum"], m["uren"], [d["hele_dag"] for d in m["dagen"]])
        for m in document["meldingen"]
    ] == [("V3", "2024-09-02", "2024-09-04", 17.5, [True, True, True])]
    assert document["afwijzingen"] == []
    stats = {s["bestand"]: (s["gelezen"], s["geaccepteerd"], s["afgewezen"], s["waarvan_dubbel"])
             for s in document["bestanden"]}  # fmt: skip
    assert stats["dagverzuim-1.csv"] == (3, 3, 0, 1)
    assert stats["dagverzuim-2.csv"] == (1, 1, 0, 0)
    assert [(w["regel"], w["bestand"], w["regelnummer"], w["veld"])
            for w in document["waarschuwingen"]] == [
        ("W-DUBBEL", "dagverzuim-1.csv", 2, "datum")
    ]  # fmt: skip

    reversed_order = precheck_json(second, first)
    assert reversed_order["meldingen"] == []


def test_two_inputs_with_the_same_file_name_are_refused(tmp_path: Path) -> None:
    """Every rejection, warning and row count names a file by its name: two exports both called
    ``dagverzuim.csv`` (from two folders) could not be told apart, and a day one replaces in the
    other would go unreported. They are refused with a message naming both, and nothing is read."""
    school_file = tmp_path / "school.toml"
    school_file.write_text(PO_SCHOOL, encoding="utf-8")
    students, earlier = files(tmp_path / "maandag", row("2024-09-02", "D", "5"))
    _, later = files(tmp_path / "dinsdag", row("2024-09-02", "O", "2"))
    result = RUNNER.invoke(
        app,
        ["precheck", "--adapter", "dagverzuim", "--school", str(school_file), "--students",
         str(students), "--registrations", str(earlier), "--registrations", str(later)],
    )  # fmt: skip
    assert result.exit_code == 2
    message = result.stderr.replace("\n", "")
    assert str(earlier) in message and str(later) in message
    assert "dezelfde bestandsnaam" in message
