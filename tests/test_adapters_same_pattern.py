"""The same absence pattern in every source format gives the same meldingen from
`verzuim precheck` (issue 5): pupil 231045 absent without excuse on Mon 2 - Wed 4 Sep 2024, an
excused pupil beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
RUNNER = CliRunner()
SCHOOL = """
[school]
brin = "99XX"
vestiging = "00"
naam = "Proefschool"
sector = "{sector}"
mbo_telt_lesuren = {lesuren}
{extra}
[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"
[redencodes]
Z = "ZIEK"
S = "OVERIG"
"""
STUDENTS = "leerlingen.csv"
CASES = {
    "magister": ("vo", "false", "", ["leerling_231045.json", "klas_1a.json", STUDENTS], None),
    "somtoday": ("vo", "false", "", ["waarnemingen.json", "absentiemeldingen.json"], STUDENTS),
    "eduarte": ("mbo", "true", "", ["waarnemingen.csv", "absentiemeldingen.csv"], STUDENTS),
    "dagverzuim": ("po", "false", "hele_dag_minuten = 300", ["dagverzuim.csv"], STUDENTS),
}  # fmt: skip


@pytest.mark.parametrize("adapter", sorted(CASES))
@pytest.mark.parametrize("chosen", ["named", "auto"])
def test_same_pattern_same_melding(tmp_path: Path, adapter: str, chosen: str) -> None:
    sector, lesuren, extra, files, students = CASES[adapter]
    school = tmp_path / "school.toml"
    school.write_text(SCHOOL.format(sector=sector, lesuren=lesuren, extra=extra), encoding="utf-8")
    folder = FIXTURES / adapter
    args = ["precheck", "--school", str(school), "--format", "json",
            "--adapter", adapter if chosen == "named" else "auto"]  # fmt: skip
    for name in files:
        args += ["--registrations", str(folder / name)]
    if students:
        args += ["--students", str(folder / students)]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    if chosen == "auto":
        assert f"adapter: {adapter} (herkend)" in result.stderr
    document = json.loads(result.stdout)
    meldingen = [
        (m["leerlingnummer"], m["code"], m["begindatum"], m["einddatum"], m["herhaal"])
        for m in document["meldingen"]
    ]
    assert meldingen == [("231045", "V3", "2024-09-02", "2024-09-04", False)]
    for stats in document["bestanden"]:
        assert stats["gelezen"] == (
            stats["geaccepteerd"] + stats["afgewezen"] + stats["van_afgewezen_leerlingen"]
        )
