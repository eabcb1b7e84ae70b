"""The same absence pattern in every source format gives the same meldingen from
`verzuim precheck` (issue 5): pupil 231045 absent without excuse on Mon 2 - Wed 4 Sep 2024 (six
lessons of 50 minutes a day, or a day register of 6 + 5,5 + 6 hours), an excused pupil beside it.

Compared per melding: pupil, code, dates, herhaal, unit, uren and the verzuimspecificatie (every
day with whole day, lessons and hours). The lesson formats (canonical, Magister, Somtoday,
Eduarte with ``mbo_telt_lesuren``) count lesuren and must agree exactly; the PO day register
counts the clock hours of its rows (F3), so its uren differ by what the file says, not by format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
DAYS = ("2024-09-02", "2024-09-03", "2024-09-04")
LESSON_GRAIN = [
    ("231045", "V3", "2024-09-02", "2024-09-04", False, "lesuren", 18.0,
     [(day, True, [], 6.0) for day in DAYS]),
]  # fmt: skip
DAY_GRAIN = [
    ("231045", "V3", "2024-09-02", "2024-09-04", False, "klokuren", 17.5,
     [(DAYS[0], True, [], 6.0), (DAYS[1], True, [], 5.5), (DAYS[2], True, [], 6.0)]),
]  # fmt: skip
# case -> adapter, sector, mbo_telt_lesuren, extra school keys, --registrations, --students,
# the meldingen expected
CASES: dict[str, tuple[str, str, str, str, list[str], str | None, list[Any]]] = {
    "canonical": ("canonical", "vo", "false", "", ["lesregistraties.csv"], STUDENTS,
                  LESSON_GRAIN),
    "magister": ("magister", "vo", "false", "", ["leerling_231045.json", "klas_1a.json", STUDENTS],
                 None, LESSON_GRAIN),
    "somtoday": ("somtoday", "vo", "false", "", ["waarnemingen.json", "absentiemeldingen.json"],
                 STUDENTS, LESSON_GRAIN),
    "eduarte": ("eduarte", "mbo", "true", "", ["waarnemingen.csv", "absentiemeldingen.csv"],
                STUDENTS, LESSON_GRAIN),
    # the day register needs no hele_dag_minuten (a half day alone is never a whole day), and
    # setting it changes nothing here: every day is a whole day of at least 5 hours
    "dagverzuim": ("dagverzuim", "po", "false", "", ["dagverzuim.csv"], STUDENTS, DAY_GRAIN),
    "dagverzuim-hele-dag": ("dagverzuim", "po", "false", "hele_dag_minuten = 300",
                            ["dagverzuim.csv"], STUDENTS, DAY_GRAIN),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("chosen", ["named", "auto"])
def test_same_pattern_same_melding(tmp_path: Path, case: str, chosen: str) -> None:
    adapter, sector, lesuren, extra, files, students, expected = CASES[case]
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
        (m["leerlingnummer"], m["code"], m["begindatum"], m["einddatum"], m["herhaal"],
         m["eenheid"], m["uren"],
         [(d["datum"], d["hele_dag"], d["lesuren"], d["uren"]) for d in m["dagen"]])
        for m in document["meldingen"]
    ]  # fmt: skip
    assert meldingen == expected
    assert document["afwijzingen"] == []
    for stats in document["bestanden"]:
        assert stats["gelezen"] == (
            stats["geaccepteerd"] + stats["afgewezen"] + stats["van_afgewezen_leerlingen"]
        )
