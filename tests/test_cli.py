"""The ``verzuim`` command: exit codes, JSON and table output, messages that say what to fix.

Exit 0 when the job completed (also with rejected rows, which are listed); exit 2 for unusable
arguments, configuration or input files, with a message on stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from gateway.cli import app

VERZUIM = Path(sys.executable).with_name("verzuim")

SCHOOL = """\
[school]
brin = "99XX"
vestiging = "00"
naam = "Proefschool"
sector = "vo"

[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"

[redencodes]
Z = "ZIEK"
"""
BSN = "111222333"
STUDENTS_HEADER = "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie"
STUDENTS = f"{STUDENTS_HEADER}\n1001;{BSN};;2010-03-15;N\n"
HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;lesuur;begintijd;eindtijd;"
    "status;redencode;reden;geoorloofd;bron_id"
)
LESSONS = (
    ("08:30", "09:20"),
    ("09:20", "10:10"),
    ("10:30", "11:20"),
    ("11:20", "12:10"),
    ("12:40", "13:30"),
    ("13:30", "14:20"),
)
DAYS = ("2024-09-02", "2024-09-03", "2024-09-04")  # Monday to Wednesday
MELDING_KEYS = {
    "leerlingnummer",
    "soort",
    "code",
    "herhaal",
    "begindatum",
    "einddatum",
    "eenheid",
    "uren",
    "uiterste_meldingsdatum",
    "regels",
}


def absent_all_day(days: tuple[str, ...] = DAYS) -> list[str]:
    """Pupil 1001 absent without excuse for all six 50-minute lessons of each day."""
    return [
        f"99XX;00;1001;;;{day};{number};{begin};{end};AFWEZIG;;;N;{day}-{number}"
        for day in days
        for number, (begin, end) in enumerate(LESSONS, start=1)
    ]


def export(tmp_path: Path, extra: tuple[str, ...] = (), school: str = SCHOOL) -> list[str]:
    """Write school, students and registrations; return the precheck arguments for them."""
    (tmp_path / "school.toml").write_text(school, encoding="utf-8")
    (tmp_path / "leerlingen.csv").write_text(STUDENTS, encoding="utf-8")
    lines = [HEADER, *absent_all_day(), *extra]
    (tmp_path / "lesregistraties.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [
        "precheck",
        "--school",
        str(tmp_path / "school.toml"),
        "--students",
        str(tmp_path / "leerlingen.csv"),
        "--registrations",
        str(tmp_path / "lesregistraties.csv"),
    ]


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(app, args, env={"COLUMNS": "80"})


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def fails_with(result: Result, *fragments: str) -> str:
    """Assert exit 2, nothing on stdout, and a message on stderr holding every fragment."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("fout: ")
    message = " ".join(result.stderr.split())  # rich wraps long lines
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "Traceback" not in result.stderr
    return message


# -- precheck, JSON -----------------------------------------------------------------------------


def test_json_output_is_one_object_with_the_documented_keys(tmp_path: Path) -> None:
    document = as_json(invoke([*export(tmp_path), "--format", "json"]))

    assert list(document) == [
        "peildatum",
        "meldingen",
        "wijzigingen",
        "afwijzingen",
        "waarschuwingen",
        "bestanden",
    ]
    assert document["peildatum"] == "2024-09-04"
    (melding,) = document["meldingen"]
    assert set(melding) >= MELDING_KEYS
    assert {key: melding[key] for key in MELDING_KEYS} == {
        "leerlingnummer": "1001",
        "soort": "16U",
        "code": "V3",
        "herhaal": False,
        "begindatum": "2024-09-02",
        "einddatum": "2024-09-04",
        "eenheid": "lesuren",
        "uren": 18.0,
        "uiterste_meldingsdatum": "2024-09-11",
        "regels": ["R-16U"],
    }
    assert document["wijzigingen"] == [] and document["afwijzingen"] == []
    assert [w["regel"] for w in document["waarschuwingen"]] == []
    assert document["bestanden"] == [
        {"bestand": "leerlingen.csv", "tekenset": "utf-8", "gelezen": 1, "geaccepteerd": 1,
         "afgewezen": 0, "van_afgewezen_leerlingen": 0, "waarvan_dubbel": 0,
         "waarvan_genegeerd": 0},
        {"bestand": "lesregistraties.csv", "tekenset": "utf-8", "gelezen": 18,
         "geaccepteerd": 18, "afgewezen": 0, "van_afgewezen_leerlingen": 0,
         "waarvan_dubbel": 0, "waarvan_genegeerd": 0},
    ]  # fmt: skip


def test_json_output_never_contains_the_bsn(tmp_path: Path) -> None:
    bad = (f"99XX;00;1001;{BSN};;2024-09-05;1;08:30;09:20;WEG;;;N;x",)
    result = invoke([*export(tmp_path, bad), "--format", "json"])

    assert result.exit_code == 0
    assert BSN not in result.stdout


def test_as_of_earlier_than_the_data_warns_w_peildatum(tmp_path: Path) -> None:
    document = as_json(invoke([*export(tmp_path), "--as-of", "2024-09-03", "--format", "json"]))

    assert document["peildatum"] == "2024-09-03"
    warnings = [w for w in document["waarschuwingen"] if w["regel"] == "W-PEILDATUM"]
    assert len(warnings) == 1
    assert warnings[0]["datum"] == "2024-09-03"
    assert "6 registraties" in warnings[0]["reden"]
    assert document["meldingen"] == []  # 12 lessons by 3 September: below 16


def test_as_of_on_the_last_date_gives_no_w_peildatum(tmp_path: Path) -> None:
    document = as_json(invoke([*export(tmp_path), "--as-of", "2024-09-04", "--format", "json"]))

    assert "W-PEILDATUM" not in [w["regel"] for w in document["waarschuwingen"]]


def test_bad_rows_exit_0_and_are_listed(tmp_path: Path) -> None:
    bad = (
        "99XX;00;1001;;;2024-02-30;1;08:30;09:20;AFWEZIG;;;N;a",
        "99XX;00;1001;;;2024-09-05;1;09:20;08:30;AFWEZIG;;;N;b",
        "99XX;00;1001;;;2024-09-05;2;09:20;10:10;WEG;;;N;c",
        "99XX;00;2002;;;2024-09-05;2;09:20;10:10;AFWEZIG;;;N;d",
    )
    document = as_json(invoke([*export(tmp_path, bad), "--format", "json"]))

    found = [
        (r["regel"], r["bestand"], r["regelnummer"], r["veld"]) for r in document["afwijzingen"]
    ]
    assert found == [
        ("I-FORMAAT", "lesregistraties.csv", 20, "datum"),
        ("F1", "lesregistraties.csv", 21, "eindtijd"),
        ("I-FORMAAT", "lesregistraties.csv", 22, "status"),
        ("I-LEERLING", "lesregistraties.csv", 23, "leerlingnummer"),
    ]  # fmt: skip
    assert all(r["reden"] for r in document["afwijzingen"])
    registrations = document["bestanden"][1]
    assert (registrations["gelezen"], registrations["geaccepteerd"]) == (22, 18)
    assert (registrations["afgewezen"], registrations["van_afgewezen_leerlingen"]) == (3, 1)
    assert [m["code"] for m in document["meldingen"]] == ["V3"]


def test_several_registration_files(tmp_path: Path) -> None:
    args = export(tmp_path)
    second = tmp_path / "week2.csv"
    second.write_text("\n".join([HEADER, *absent_all_day(("2024-09-05",))]) + "\n")
    document = as_json(invoke([*args, "--registrations", str(second), "--format", "json"]))

    assert [b["bestand"] for b in document["bestanden"]] == [
        "leerlingen.csv",
        "lesregistraties.csv",
        "week2.csv",
    ]
    assert document["peildatum"] == "2024-09-05"


def test_history_is_read_and_its_melding_not_proposed_again(tmp_path: Path) -> None:
    args = export(tmp_path)
    first = as_json(invoke([*args, "--format", "json"]))
    history = tmp_path / "eerder.json"
    history.write_text(json.dumps(first), encoding="utf-8")  # the JSON output fed back

    again = as_json(invoke([*args, "--history", str(history), "--format", "json"]))

    assert first["meldingen"] != []
    assert again["meldingen"] == []


def test_the_same_input_gives_the_same_output(tmp_path: Path) -> None:
    args = [*export(tmp_path), "--format", "json"]

    assert invoke(args).stdout == invoke(args).stdout


# -- precheck, table ----------------------------------------------------------------------------


def test_table_output_shows_meldingen_and_totals(tmp_path: Path) -> None:
    bad = ("99XX;00;1001;;;2024-9-5;1;08:30;09:20;AFWEZIG;;;N;a",)
    result = invoke(export(tmp_path, bad))

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "peildatum 2024-09-04" in out
    assert "1001" in out and "V3" in out
    assert "2024-09-02" in out and "2024-09-04" in out and "2024-09-11" in out  # not cut short
    assert "Totaal: 1 meldingen voor 1 leerlingen (V3 1)" in out
    text = " ".join(out.split())
    assert (
        "lesregistraties.csv (utf-8): 19 rijen gelezen = 18 geaccepteerd + 1 afgewezen + 0 van "
        "afgewezen leerlingen" in text
    )
    assert "Afwijzingen: 1 (I-FORMAAT 1)" in text
    assert "[I-FORMAAT] lesregistraties.csv, regel 20, veld datum" in text


def test_table_output_without_meldingen_says_so(tmp_path: Path) -> None:
    result = invoke([*export(tmp_path), "--as-of", "2024-09-02"])

    assert result.exit_code == 0, result.stderr
    assert "Totaal: 0 meldingen voor 0 leerlingen (geen)" in result.stdout
    assert "Waarschuwingen:" in result.stdout and "W-PEILDATUM" in result.stdout


# -- precheck, unusable input: exit 2 -----------------------------------------------------------


@pytest.mark.parametrize("value", ["20-10-2024", "2024-02-30", "morgen", ""])
def test_a_bad_as_of_exits_2_and_says_what_to_fix(tmp_path: Path, value: str) -> None:
    result = invoke([*export(tmp_path), "--as-of", value])

    fails_with(result, "--as-of", "JJJJ-MM-DD")


@pytest.mark.parametrize("option", ["--school", "--students", "--registrations"])
def test_a_missing_file_exits_2_naming_it(tmp_path: Path, option: str) -> None:
    args = export(tmp_path)
    args[args.index(option) + 1] = str(tmp_path / "ontbreekt.csv")

    fails_with(invoke(args), "ontbreekt.csv", "niet gevonden")


def test_a_missing_history_file_exits_2(tmp_path: Path) -> None:
    result = invoke([*export(tmp_path), "--history", str(tmp_path / "geen.json")])

    fails_with(result, "geen.json", "niet gevonden")


def test_a_broken_school_file_exits_2_naming_every_key(tmp_path: Path) -> None:
    broken = SCHOOL.replace('brin = "99XX"', 'brin = "99xx"').replace(
        'email = "verzuim@proefschool.example"', 'email = "verzuim"'
    )

    fails_with(
        invoke(export(tmp_path, school=broken)), "school.toml", "school.brin", "melder.email"
    )


def test_a_school_file_that_is_not_toml_exits_2(tmp_path: Path) -> None:
    fails_with(invoke(export(tmp_path, school="[school\n")), "school.toml", "geen geldige TOML")


def test_a_registrations_file_without_a_required_column_exits_2(tmp_path: Path) -> None:
    args = export(tmp_path)
    (tmp_path / "lesregistraties.csv").write_text(HEADER.replace(";status;", ";staat;") + "\n")

    fails_with(invoke(args), "lesregistraties.csv", "status", "I-KOP")


def test_an_empty_students_file_is_i_leeg_and_exits_0(tmp_path: Path) -> None:
    """Issue 5: a batch with bad input finishes and exits 0; only unusable arguments exit 2."""
    args = export(tmp_path)
    (tmp_path / "leerlingen.csv").write_text("")

    document = as_json(invoke([*args, "--format", "json"]))
    assert [(a["regel"], a["bestand"]) for a in document["afwijzingen"]][:2] == [
        ("I-LEEG", "leerlingen.csv"),
        ("I-LEERLING", "lesregistraties.csv"),
    ]
    assert document["meldingen"] == []


def test_a_bad_history_exits_2_naming_item_and_field(tmp_path: Path) -> None:
    history = tmp_path / "eerder.json"
    history.write_text(json.dumps([{"leerlingnummer": "1001", "code": "X", "begindatum": "x"}]))

    result = invoke([*export(tmp_path), "--history", str(history)])

    fails_with(result, "eerder.json: melding 1, veld code")


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke([*export(tmp_path), "--format", "xml"])

    assert result.exit_code == 2
    assert "xml" in result.stderr


# -- help, sample, demo -------------------------------------------------------------------------


def test_help_lists_the_verbs() -> None:
    result = invoke(["--help"])

    assert result.exit_code == 0
    for verb in ("precheck", "sample", "demo"):
        assert verb in result.stdout


def test_the_installed_command_lists_the_verbs() -> None:
    completed = subprocess.run(
        [str(VERZUIM), "--help"], capture_output=True, text=True, timeout=60, check=False
    )

    assert completed.returncode == 0, completed.stderr
    for verb in ("precheck", "sample", "demo"):
        assert verb in completed.stdout


def test_precheck_help_shows_an_example() -> None:
    result = invoke(["precheck", "--help"])

    assert result.exit_code == 0
    assert "--as-of" in result.stdout and "--format" in result.stdout


def test_sample_writes_the_four_files(tmp_path: Path) -> None:
    result = invoke(["sample", "--out", str(tmp_path / "school")])

    assert result.exit_code == 0, result.stderr
    names = sorted(path.name for path in (tmp_path / "school").iterdir())
    assert names == ["leerlingen.csv", "lesregistraties.csv", "meldingen.json", "school.toml"]
