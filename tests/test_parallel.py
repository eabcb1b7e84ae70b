"""The pre-check over several processes gives exactly the output of one call."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import gateway.rules.parallel as parallel
from adapters.canonical import read_export
from gateway.history import load_history
from gateway.rules.dayfacts import day_facts, last_date
from gateway.rules.precheck import precheck
from gateway.sample.generate import write_sample_school
from gateway.school import load_school


def _sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Any, Any, Any]:
    """The sample school's inputs of the rule book, with chunks small enough to split."""
    files = write_sample_school(tmp_path)
    school = load_school(files.school)
    export = read_export(school, files.leerlingen, [files.lesregistraties])
    known = load_history(files.meldingen)
    peildatum = last_date(export.registrations)
    assert peildatum is not None
    facts = day_facts(export.registrations, school.eenheid, peildatum).per_pupil
    monkeypatch.setattr(parallel, "MIN_PUPILS_PER_WORKER", 10)
    return school, export, facts, known, peildatum


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_output_equals_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    school, export, facts, known, peildatum = _sample(tmp_path, monkeypatch)
    serial = precheck(school, export.students, facts, known, peildatum)
    together = parallel.precheck_parallel(
        school, export.students, facts, known, peildatum, workers=workers
    )
    assert together == serial
    assert serial.meldingen and serial.wijzigingen and serial.waarschuwingen


def test_a_worker_that_dies_costs_time_not_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    school, export, facts, known, peildatum = _sample(tmp_path, monkeypatch)
    serial = precheck(school, export.students, facts, known, peildatum)

    def dying(ends: Any, send: Any) -> None:  # takes a chunk, then dies without a word
        parallel._take(ends, from_front=True)
        os._exit(1)

    monkeypatch.setattr(parallel, "_work", dying)
    together = parallel.precheck_parallel(
        school, export.students, facts, known, peildatum, workers=2
    )
    assert together == serial
