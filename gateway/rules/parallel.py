"""Running the pre-check for many pupils on several cores.

The rule book is per pupil, so pupils can be assessed apart and the results joined. Pupils are
split into contiguous slices of the sorted leerlingnummers; each slice's result is itself in
pupil order, so joining the slices in order gives exactly the output of one ``precheck`` call
(the tests compare both). Workers are forked, so they read the inputs without copying them; only
the results travel back. Where fork is not available, or the run is small, it is one call.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.model import DayFact, KnownMelding, PrecheckResult, SchoolConfig, Student
from gateway.rules.precheck import precheck

MIN_PUPILS_PER_WORKER = 2000
_JOB: tuple[Any, ...] = ()


def precheck_parallel(
    school: SchoolConfig,
    students: Mapping[str, Student],
    facts: Mapping[str, Sequence[DayFact]],
    known: Sequence[KnownMelding],
    peildatum: dt.date,
    workers: int | None = None,
) -> PrecheckResult:
    """``precheck`` over ``workers`` processes (default: the number of cores); same output."""
    global _JOB
    pupils = sorted(set(facts) | {item.leerlingnummer for item in known})
    count = workers or os.cpu_count() or 1
    count = min(count, max(1, len(pupils) // MIN_PUPILS_PER_WORKER))
    if count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return precheck(school, students, facts, known, peildatum)
    size = -(-len(pupils) // count)
    slices = [pupils[start : start + size] for start in range(0, len(pupils), size)]
    _JOB = (school, students, facts, known, peildatum)
    gc.freeze()  # keep the collector from touching (and so copying) the shared objects
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(len(slices) - 1) as pool:
            pending = [pool.apply_async(_assess, (part,)) for part in slices[:-1]]
            last = _assess(slices[-1])
            results = [item.get() for item in pending] + [last]
    finally:
        gc.unfreeze()
        _JOB = ()
    return PrecheckResult(
        peildatum=peildatum,
        meldingen=tuple(m for r in results for m in r.meldingen),
        wijzigingen=tuple(c for r in results for c in r.wijzigingen),
        afwijzingen=tuple(a for r in results for a in r.afwijzingen),
        waarschuwingen=tuple(w for r in results for w in r.waarschuwingen),
    )


def _assess(pupils: Sequence[str]) -> PrecheckResult:
    school, students, facts, known, peildatum = _JOB
    wanted = set(pupils)
    return precheck(
        school,
        students,
        {pupil: facts[pupil] for pupil in pupils if pupil in facts},
        [item for item in known if item.leerlingnummer in wanted],
        peildatum,
    )
