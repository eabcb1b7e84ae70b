"""Registrations dated after today are refused with I-TOEKOMST (issue 5, bad input "future
dates"): a mistyped year must not move the default peildatum. The CLI passes today; the readers
read no clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gateway.pipeline import run_precheck
from gateway.sample.generate import write_sample_school


def test_a_row_in_2099_is_refused_and_does_not_move_the_peildatum(tmp_path: Path) -> None:
    files = write_sample_school(tmp_path)
    lines = files.lesregistraties.read_text(encoding="utf-8").splitlines()
    future = lines[1].split(";")
    future[5] = "2099-09-02"
    files.lesregistraties.write_text("\n".join([*lines, ";".join(future)]) + "\n", "utf-8")
    without = run_precheck(files.school, files.leerlingen, [files.lesregistraties])
    assert without.result.peildatum == dt.date(2099, 9, 2)  # what the check prevents
    run = run_precheck(
        files.school, files.leerlingen, [files.lesregistraties], not_after=dt.date(2026, 11, 29)
    )
    assert run.result.peildatum == dt.date(2024, 12, 20)
    (refused,) = [r for r in run.result.afwijzingen if r.regel == "I-TOEKOMST"]
    assert (refused.bestand, refused.regelnummer, refused.veld) == (
        "lesregistraties.csv",
        len(lines) + 1,
        "datum",
    )
    stats = run.stats[1]
    assert stats.read == stats.accepted + stats.rejected + stats.of_rejected_pupils
