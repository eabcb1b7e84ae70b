"""`verzuim import`: any supported export to the canonical files, with the rejections kept."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import app
from gateway.pipeline import run_precheck
from gateway.sample.generate import write_sample_school

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
