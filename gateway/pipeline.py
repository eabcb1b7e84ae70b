"""The pre-check job: read an export, reduce it to day facts, apply the rule book.

This is the composition the CLI and (later) the service call; the rule book itself stays pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from adapters.canonical import CanonicalExport, ReadStats
from adapters.registry import CANONICAL, load_export
from gateway.history import load_history
from gateway.model import KnownMelding, PrecheckResult, SchoolConfig, Student, Warning
from gateway.rules.dayfacts import day_facts, last_date
from gateway.rules.parallel import precheck_parallel
from gateway.school import load_school


@dataclass(frozen=True, slots=True)
class PrecheckRun:
    """The outcome of one pre-check job: the rule book's result and the row accounting."""

    school: SchoolConfig
    result: PrecheckResult
    stats: tuple[ReadStats, ...]
    students: Mapping[str, Student]
    adapter: str = CANONICAL


def run_precheck(
    school_path: Path,
    students_path: Path | None,
    registration_paths: Sequence[Path],
    as_of: dt.date | None = None,
    history_path: Path | None = None,
    adapter: str = CANONICAL,
    not_after: dt.date | None = None,
) -> PrecheckRun:
    """Read the school file, the history file and the export, then assess (the rule book)."""
    return assess(
        read_inputs(
            school_path, students_path, registration_paths, as_of, history_path, adapter, not_after
        )
    )


def run_precheck_with_school(
    school: SchoolConfig,
    students_path: Path | None,
    registration_paths: Sequence[Path],
    as_of: dt.date | None,
    known: Sequence[KnownMelding],
    adapter: str = CANONICAL,
    not_after: dt.date | None = None,
) -> PrecheckRun:
    """Read, check and assess. Input rejections and warnings come first in the result.

    The peildatum is ``as_of`` or else the last date in the accepted registrations; registrations
    after it are ignored with W-PEILDATUM (DOMAIN.md 4.3).
    """
    return assess(
        read_inputs_with_school(
            school, students_path, registration_paths, as_of, known, adapter, not_after
        )
    )


@dataclass(frozen=True, slots=True)
class PrecheckInputs:
    """What the pre-check reads: the school, the export as the adapter delivered it (students,
    registration frame, input rejections, warnings, row accounting), the known meldingen and the
    peildatum (None when there are no registrations). ``verzuim uitleg`` and ``verzuim report``
    read the same inputs as ``verzuim precheck``."""

    school: SchoolConfig
    export: CanonicalExport
    known: tuple[KnownMelding, ...]
    peildatum: dt.date | None
    adapter: str = CANONICAL


def read_inputs(
    school_path: Path,
    students_path: Path | None,
    registration_paths: Sequence[Path],
    as_of: dt.date | None = None,
    history_path: Path | None = None,
    adapter: str = CANONICAL,
    not_after: dt.date | None = None,
) -> PrecheckInputs:
    """Read the school file, the history file and the export (``run_precheck`` without the rule
    book)."""
    school = load_school(school_path)
    known: list[KnownMelding] = load_history(history_path) if history_path else []
    return read_inputs_with_school(
        school, students_path, registration_paths, as_of, known, adapter, not_after
    )


def read_inputs_with_school(
    school: SchoolConfig,
    students_path: Path | None,
    registration_paths: Sequence[Path],
    as_of: dt.date | None,
    known: Sequence[KnownMelding],
    adapter: str = CANONICAL,
    not_after: dt.date | None = None,
) -> PrecheckInputs:
    """Read and check the export; the peildatum is ``as_of`` or the last registration date."""
    chosen, export = load_export(adapter, school, registration_paths, students_path, not_after)
    peildatum = as_of or last_date(export.registrations)
    return PrecheckInputs(school, export, tuple(known), peildatum, chosen)


def assess(inputs: PrecheckInputs, workers: int | None = None) -> PrecheckRun:
    """Day facts and the rule book over what ``read_inputs`` read (``workers`` processes at
    most, default the number of cores; 1 keeps it in this process, as the HTTP API does)."""
    school, export, known, peildatum = inputs.school, inputs.export, inputs.known, inputs.peildatum
    warnings: list[Warning] = list(export.warnings)
    if peildatum is None:
        result = PrecheckResult(peildatum=None, meldingen=())
    else:
        facts = day_facts(export.registrations, school.eenheid, peildatum)
        if facts.after_peildatum:
            warnings.append(
                Warning(
                    regel="W-PEILDATUM",
                    reden=f"{facts.after_peildatum} registraties na de peildatum {peildatum} "
                    "genegeerd",
                    datum=peildatum,
                )
            )
        result = precheck_parallel(
            school, export.students, facts.per_pupil, known, peildatum, workers=workers
        )
    result = replace(
        result,
        afwijzingen=(*export.rejections, *result.afwijzingen),
        waarschuwingen=(*warnings, *result.waarschuwingen),
    )
    return PrecheckRun(school, result, tuple(export.stats), export.students, inputs.adapter)
