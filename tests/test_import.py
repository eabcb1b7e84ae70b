"""`verzuim import`: any supported export to the canonical files, with the rejections kept."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.pipeline import run_precheck
from gateway.sample.generate import write_sample_school
from gateway.sample.vendor import write_demo_schools

RUNNER = CliRunner()


def _summary(run: object) -> list[tuple[str, str, str, str | None, bool]]:
    return [
        (m.leerlingnummer, m.code.value, m.begindatum.isoformat(),
         m.einddatum.isoformat() if m.einddatum else None, m.herhaal)
        for m in run.result.meldingen  # type: ignore[attr-defined]
    ]  # fmt: skip


def test_canonical_round_trip_gives_the_same_meldingen(tmp_path: Path) -> None:
    sample = write_sample_school(tmp_path / "in")
    out = tmp_path / "out"
    result = RUNNER.invoke(
        app,
        ["import", "--school", str(sample.school), "--students", str(sample.leerlingen),
         "--out", str(out), str(sample.lesregistraties)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "adapter: canonical" in result.stdout
    before = run_precheck(sample.school, sample.leerlingen, [sample.lesregistraties])
    after = run_precheck(sample.school, out / "leerlingen.csv", [out / "lesregistraties.csv"])
    assert _summary(after) == _summary(before)
    with (out / "afwijzingen.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {row["regel"] for row in rows} >= {"V01", "F1"}
    assert len(rows) == len(before.result.afwijzingen) - sum(
        1 for r in before.result.afwijzingen if r.bestand is None
    )


def test_formula_like_text_is_written_inert(tmp_path: Path) -> None:
    from adapters.export import inert

    assert inert("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert inert("+1") == "'+1" and inert("gewoon") == "gewoon"


def test_unknown_adapter_exits_2(tmp_path: Path) -> None:
    sample = write_sample_school(tmp_path / "in")
    result = RUNNER.invoke(
        app,
        ["import", "--school", str(sample.school), "--adapter", "onbekend", "--out",
         str(tmp_path / "out"), str(sample.lesregistraties)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--adapter" in result.stderr


# -- round trip: vendor files -> canonical files -> the same pre-check (issue 5) ------------------

FIXTURES = Path(__file__).parent / "fixtures"
SCHOOL = """
[school]
brin = "99XX"
vestiging = "00"
naam = "Proefschool"
sector = "{sector}"
mbo_telt_lesuren = {lesuren}
[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"
[redencodes]
Z = "ZIEK"
"""
# adapter -> sector, mbo_telt_lesuren, the files (the last is the student file where one is used)
VENDORS = {
    "magister": ("vo", "false", ["leerling_231045.json", "klas_1a.json", "leerlingen.csv"]),
    "somtoday": ("vo", "false", ["waarnemingen.json", "absentiemeldingen.json", "leerlingen.csv"]),
    "eduarte": ("mbo", "true", ["waarnemingen.csv", "absentiemeldingen.csv", "leerlingen.csv"]),
    "dagverzuim": ("po", "false", ["dagverzuim.csv", "leerlingen.csv"]),
}


def _precheck_json(args: list[str]) -> dict[str, Any]:
    result = RUNNER.invoke(app, ["precheck", "--format", "json", *args])
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _import(adapter: str, school: Path, files: list[Path], out: Path) -> str:
    result = RUNNER.invoke(
        app, ["import", "--adapter", adapter, "--school", str(school), "--out", str(out),
              *map(str, files)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _same_precheck(vendor: dict[str, Any], canonical: dict[str, Any]) -> None:
    """Everything the rule book derives is equal: meldingen (uren, dagen, rules), changes, the
    peildatum and the warnings by rule (W-REDENCODE again for an unknown code, by redencode)."""
    assert canonical["peildatum"] == vendor["peildatum"]
    assert canonical["meldingen"] == vendor["meldingen"]
    assert canonical["wijzigingen"] == vendor["wijzigingen"]
    assert sorted(w["regel"] for w in canonical["waarschuwingen"]) == sorted(
        w["regel"] for w in vendor["waarschuwingen"]
    )


@pytest.mark.parametrize("adapter", sorted(VENDORS))
def test_an_import_read_back_gives_the_same_precheck(tmp_path: Path, adapter: str) -> None:
    sector, lesuren, names = VENDORS[adapter]
    school = tmp_path / "school.toml"
    school.write_text(SCHOOL.format(sector=sector, lesuren=lesuren), encoding="utf-8")
    files = [FIXTURES / adapter / name for name in names]
    args = ["--school", str(school), "--adapter", adapter]
    if adapter == "magister":
        vendor = _precheck_json([*args, *(f"--registrations={path}" for path in files)])
    else:
        vendor = _precheck_json(
            [*args, "--students", str(files[-1]),
             *(f"--registrations={path}" for path in files[:-1])]
        )  # fmt: skip
    out = tmp_path / "canoniek"
    _import(adapter, school, files, out)
    canonical = _precheck_json(
        ["--school", str(school), "--students", str(out / "leerlingen.csv"),
         "--registrations", str(out / "lesregistraties.csv")]
    )  # fmt: skip
    assert vendor["meldingen"], "the fixture must give a melding"
    _same_precheck(vendor, canonical)
    with (out / "lesregistraties.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert all(row["bron_id"].startswith(f"{adapter}:") for row in rows)
    if adapter != "dagverzuim":  # its fixture's reason is on the excused pupil only: checked below
        assert any(row["redencode"] == "Z" for row in rows)


def test_the_demo_schools_round_trip(tmp_path: Path) -> None:
    """The two demo schools (Magister VO with bad items, dagverzuim PO with half days): the
    import read back gives the pre-check of the vendor files, bron_id, redencode and reden kept."""
    demo = write_demo_schools(tmp_path / "demo", today=dt.date(2025, 6, 30))
    for school in demo.schools:
        base = ["--school", str(school.school)]
        if school.history is not None:
            base += ["--history", str(school.history)]
        vendor = _precheck_json(
            [*base, "--adapter", school.adapter, "--students", str(school.students),
             *(f"--registrations={path}" for path in school.registrations)]
        )  # fmt: skip
        out = tmp_path / school.adapter
        _import(school.adapter, school.school, list(school.inputs), out)
        canonical = _precheck_json(
            [*base, "--students", str(out / "leerlingen.csv"),
             "--registrations", str(out / "lesregistraties.csv")]
        )  # fmt: skip
        assert vendor["meldingen"]
        _same_precheck(vendor, canonical)
        with (out / "lesregistraties.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter=";"))
        assert all(row["bron_id"] for row in rows)
        assert any(row["redencode"] and row["reden"] for row in rows)


# -- row accounting through the CLI (issue 5: read = accepted + rejected + rows of rejected pupils)


def _counts(stdout: str) -> dict[str, tuple[int, ...]]:
    """Per file: read, accepted, rejected, of rejected pupils, duplicates, ignored."""
    found = {}
    for match in re.finditer(
        r"^(\S+) \([^)]*\): (\d+) gelezen = (\d+) geaccepteerd \+ (\d+) afgewezen \+ (\d+) van "
        r"afgewezen leerlingen(?:; waarvan (.*))?$",
        stdout,
        re.MULTILINE,
    ):
        name, *numbers, detail = match.groups()
        read, accepted, rejected, lost = map(int, numbers)
        assert read == accepted + rejected + lost, match.group(0)
        duplicates = re.search(r"(\d+) dubbel", detail or "")
        ignored = re.search(r"(\d+) genegeerd", detail or "")
        found[name] = (read, accepted, rejected, lost,
                       int(duplicates[1]) if duplicates else 0,
                       int(ignored[1]) if ignored else 0)  # fmt: skip
    return found


def _item(ident: int, day: str, kind: int = 1, **extra: object) -> dict[str, object]:
    value: dict[str, object] = {
        "Id": ident, "Start": f"{day}T06:30:00.0000000Z", "Eind": f"{day}T07:20:00.0000000Z",
        "Lesuur": 1, "Geoorloofd": False, "Afgehandeld": True, "Verantwoordingtype": kind,
        "Code": "", "Omschrijving": "",
    }  # fmt: skip
    value.update(extra)
    return value


def test_import_prints_counts_that_add_up_for_every_kind_of_row(tmp_path: Path) -> None:
    """One Magister file with a good item, an item imported twice (the earlier copy counted as
    dubbel, W-DUBBEL), homework (genegeerd), a future date (I-TOEKOMST: afgewezen), an unknown
    type (afgewezen), and an envelope of a pupil without identity (rows of rejected pupils)."""
    school = tmp_path / "school.toml"
    school.write_text(SCHOOL.format(sector="vo", lesuren="false"), encoding="utf-8")
    envelope = {
        "stamnr": "231045", "bsn": "111222333", "geboortedatum": "2010-03-15", "brin": "99XX",
        "absenties": {"Items": [
            _item(1, "2024-09-02"), _item(2, "2024-09-03"), _item(3, "2024-09-04", kind=8),
            _item(4, "2099-09-02"), _item(5, "2024-09-05", kind=5), _item(2, "2024-09-03"),
        ]},
    }  # fmt: skip
    other = {"stamnr": "231046", "geboortedatum": "2010-06-01", "brin": "99XX",
             "absenties": {"Items": [_item(6, "2024-09-02"), _item(7, "2024-09-03")]}}  # fmt: skip
    export = tmp_path / "absenties.json"
    export.write_text(json.dumps([envelope, other]), encoding="utf-8")
    stdout = _import("magister", school, [export], tmp_path / "out")
    assert _counts(stdout) == {"absenties.json": (8, 4, 2, 2, 1, 1)}
    assert "[W-DUBBEL] absenties.json: $[0].absenties.Items[1]: " in stdout
    assert "(absenties.json $[0].absenties.Items[5])" in stdout
    assert "2 registraties, 3 afwijzingen, 1 waarschuwingen" in stdout
    with (tmp_path / "out" / "afwijzingen.csv").open(encoding="utf-8") as handle:
        rules = sorted(row["regel"] for row in csv.DictReader(handle, delimiter=";"))
    assert rules == ["I-FORMAAT", "I-TOEKOMST", "V01"]


# -- empty files: I-LEEG, exit 0 (issue 5: only unusable arguments exit 2) ------------------------


@pytest.mark.parametrize("command", ["import", "precheck"])
def test_an_empty_canonical_registrations_file_is_i_leeg_and_exits_0(
    tmp_path: Path, command: str
) -> None:
    sample = write_sample_school(tmp_path / "in")
    empty = tmp_path / "in" / "leeg.csv"
    empty.write_bytes(b"")
    if command == "import":
        result = RUNNER.invoke(
            app, ["import", "--adapter", "canonical", "--school", str(sample.school),
                  "--students", str(sample.leerlingen), "--out", str(tmp_path / "out"),
                  str(sample.lesregistraties), str(empty)],
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert _counts(result.stdout)["leeg.csv"] == (0, 0, 0, 0, 0, 0)
        with (tmp_path / "out" / "afwijzingen.csv").open(encoding="utf-8") as handle:
            rows = [
                row for row in csv.DictReader(handle, delimiter=";") if row["regel"] == "I-LEEG"
            ]
        assert [(row["bestand"], row["regelnummer"]) for row in rows] == [("leeg.csv", "")]
    else:
        document = _precheck_json(
            ["--school", str(sample.school), "--students", str(sample.leerlingen),
             "--registrations", str(sample.lesregistraties), "--registrations", str(empty)]
        )  # fmt: skip
        assert document["meldingen"]
        assert [(a["regel"], a["bestand"]) for a in document["afwijzingen"]
                if a["regel"] == "I-LEEG"] == [("I-LEEG", "leeg.csv")]  # fmt: skip


# -- the same bron_id imported twice counts once, also in lesregistraties.csv (issue 5) ----------

LESSONS = [("08:30", "09:20"), ("09:20", "10:10"), ("10:30", "11:20"), ("11:20", "12:10"),
           ("12:40", "13:30"), ("13:30", "14:20")]  # fmt: skip
HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;lesuur;begintijd;eindtijd;status;"
    "redencode;reden;geoorloofd;bron_id"
)


def _lesson(day: str, number: int, bron: str) -> str:
    begin, end = LESSONS[number - 1]
    return f"99XX;00;231045;;;{day};{number};{begin};{end};AFWEZIG;;;N;{bron}"


def test_a_bron_id_read_twice_counts_once_through_the_precheck(tmp_path: Path) -> None:
    """16 lessons (Mon, Tue: 6; Wed: 1-4) reach 16 lesuren on Wednesday. The SIS then sends two
    of them again under the same bron_id, moved to lessons 5 and 6 (a timetable change): they
    replace the earlier rows (the later wins) instead of adding 2 lesuren (18 would be wrong)."""
    school = tmp_path / "school.toml"
    school.write_text(SCHOOL.format(sector="vo", lesuren="false"), encoding="utf-8")
    students = tmp_path / "leerlingen.csv"
    students.write_text(
        "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
        "231045;111222333;;2010-03-15;N\n",
        encoding="utf-8",
    )
    days = [("2024-09-02", 6), ("2024-09-03", 6), ("2024-09-04", 4)]
    rows = [_lesson(day, n, f"les-{day}-{n}") for day, count in days for n in range(1, count + 1)]
    week = tmp_path / "week.csv"
    week.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    moved = [_lesson("2024-09-04", 5, "les-2024-09-04-3"), _lesson("2024-09-04", 6,
                                                                   "les-2024-09-04-4")]  # fmt: skip
    correction = tmp_path / "correctie.csv"
    correction.write_text("\n".join([HEADER, *moved]) + "\n", encoding="utf-8")
    document = _precheck_json(
        ["--school", str(school), "--students", str(students),
         "--registrations", str(week), "--registrations", str(correction)]
    )  # fmt: skip
    ((code, einddatum, uren, wednesday),) = [
        (m["code"], m["einddatum"], m["uren"], m["dagen"][-1]["uren"])
        for m in document["meldingen"]
    ]
    assert (code, einddatum, uren, wednesday) == ("V3", "2024-09-04", 16.0, 4.0)
    stats = {s["bestand"]: (s["gelezen"], s["geaccepteerd"]) for s in document["bestanden"]}
    assert stats == {"leerlingen.csv": (1, 1), "week.csv": (16, 16), "correctie.csv": (2, 2)}
    (warning,) = [w for w in document["waarschuwingen"] if w["regel"] == "W-DUBBEL"]
    assert (warning["bestand"], warning["regelnummer"]) == ("week.csv", 16)
    assert "(correctie.csv regel 2)" in warning["reden"]
    assert "2 regels van dit bestand" in warning["reden"]


# -- a progress bar on a terminal, nothing in a pipe (issue 5) ------------------------------------


def _run_verzuim(args: list[str], terminal: bool) -> tuple[int, str, str]:
    """Run the real ``verzuim`` with stderr on a pseudo-terminal (or a pipe): exit code, stdout
    and what the terminal (or pipe) got."""
    command = [str(Path(sys.executable).with_name("verzuim")), *args]
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=secondary, env=env, text=True
    ) as process:
        os.close(secondary)
        received = bytearray()
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed: the process is done with it
                break
            if not chunk:
                break
            received += chunk
        stdout = process.stdout.read() if process.stdout else ""
        code = process.wait(timeout=120)
    os.close(primary)
    return code, stdout, received.decode("utf-8", "replace")


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_import_shows_a_progress_bar_on_a_terminal_only(tmp_path: Path, terminal: bool) -> None:
    sample = write_sample_school(tmp_path / "in")
    code, stdout, stderr = _run_verzuim(
        ["import", "--adapter", "canonical", "--school", str(sample.school), "--students",
         str(sample.leerlingen), "--out", str(tmp_path / "out"), str(sample.lesregistraties)],
        terminal,
    )  # fmt: skip
    assert code == 0, stderr
    assert "lesregistraties.csv (utf-8):" in stdout
    assert ("lezen lesregistraties.csv" in stderr) is terminal


def test_a_bsn_typed_into_a_reason_text_is_masked_in_the_import(tmp_path: Path) -> None:
    """The registrations file keeps its identity columns empty: a BSN in the SIS's free reason
    text is masked on the way out (``reason_cell``), while the text itself is kept and made
    inert."""
    school = tmp_path / "school.toml"
    school.write_text(SCHOOL.format(sector="po", lesuren="false"), encoding="utf-8")
    source = FIXTURES / "dagverzuim"
    register = tmp_path / "dagverzuim.csv"
    lines = (source / "dagverzuim.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[9] = "=moeder belde, bsn 111222333"  # the reden column
    register.write_text("\n".join([lines[0], ";".join(fields), *lines[2:]]) + "\n", "utf-8")
    out = tmp_path / "canoniek"
    _import("dagverzuim", school, [register, source / "leerlingen.csv"], out)
    text = (out / "lesregistraties.csv").read_text(encoding="utf-8")
    assert "111222333" not in text
    assert "'=moeder belde, bsn *********" in text
    assert "111222333" in register.read_text(encoding="utf-8")  # the check can fail


def test_a_reason_code_written_inert_reads_back_without_a_warning(tmp_path: Path) -> None:
    """A code like ``-1`` is written as ``'-1`` (formula-safe) with its categorie beside it; read
    back, the categorie column counts, so no W-REDENCODE appears that the vendor file did not
    give."""
    school = tmp_path / "school.toml"
    school.write_text(
        SCHOOL.format(sector="po", lesuren="false") + '"-1" = "ZIEK"\n', encoding="utf-8"
    )
    source = FIXTURES / "dagverzuim"
    register = tmp_path / "dagverzuim.csv"
    lines = (source / "dagverzuim.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[8], fields[10] = "-1", "J"  # redencode, geoorloofd
    register.write_text("\n".join([lines[0], ";".join(fields), *lines[2:]]) + "\n", "utf-8")
    students = source / "leerlingen.csv"
    vendor = _precheck_json(
        ["--school", str(school), "--adapter", "dagverzuim", "--students", str(students),
         "--registrations", str(register)]
    )  # fmt: skip
    out = tmp_path / "canoniek"
    _import("dagverzuim", school, [register, students], out)
    assert "'-1" in (out / "lesregistraties.csv").read_text(encoding="utf-8")
    canonical = _precheck_json(
        ["--school", str(school), "--students", str(out / "leerlingen.csv"),
         "--registrations", str(out / "lesregistraties.csv")]
    )  # fmt: skip
    assert "W-REDENCODE" not in {w["regel"] for w in vendor["waarschuwingen"]}
    _same_precheck(vendor, canonical)
