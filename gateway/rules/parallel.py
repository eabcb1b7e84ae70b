"""Running the pre-check for many pupils on several cores.

The rule book is per pupil, so pupils can be assessed apart and the results joined. The sorted
leerlingnummers are cut into contiguous chunks; each chunk's result is itself in pupil order, so
joining the chunks in order gives exactly the output of one ``precheck`` call (the tests compare
both). Workers are forked, so they read the inputs without copying them; only the results travel
back, one chunk at a time, while the work goes on.

The chunks are shared out as the work goes: the workers take the next chunk from the front, this
process takes the next from the back, until none is left. A worker also pays for sending its
results (pickling) and this process for receiving them, so fixed equal halves would leave one
side waiting; taking chunks as they come keeps both busy to the end. Where fork is not
available, or the run is small, it is one call.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import threading
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import SynchronizedArray
from typing import Any

from gateway.model import DayFact, KnownMelding, PrecheckResult, SchoolConfig, Student
from gateway.rules.precheck import precheck

MIN_PUPILS_PER_WORKER = 2000
CHUNKS_PER_WORKER = 8  # small enough to end together, large enough to cost little to send
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
    size = -(-len(pupils) // (count * CHUNKS_PER_WORKER))
    chunks = [pupils[start : start + size] for start in range(0, len(pupils), size)]
    _JOB = (school, students, facts, known, peildatum, chunks)
    gc.freeze()  # keep the collector from touching (and so copying) the shared objects
    try:
        results = _share_out(len(chunks), count - 1)
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


def _share_out(chunks: int, workers: int) -> list[PrecheckResult]:
    """The results of chunks ``0 .. chunks - 1`` of ``_JOB``, assessed here and in ``workers``
    forked processes (see the module docstring). A chunk a worker took but did not deliver (it
    died) is assessed here afterwards, so a lost worker costs time, never output."""
    context = multiprocessing.get_context("fork")
    # the next chunk from the front, and one past the next chunk from the back
    ends: SynchronizedArray[int] = context.Array("i", [0, chunks])
    results: dict[int, PrecheckResult] = {}
    processes = []
    receivers = []
    for _ in range(workers):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(ends, send), daemon=True)
        process.start()
        send.close()
        processes.append(process)
        receivers.append(threading.Thread(target=_receive, args=(receive, results), daemon=True))
    for thread in receivers:  # started after the forks: a child never inherits a thread
        thread.start()
    try:
        while (index := _take(ends, from_front=False)) is not None:
            results[index] = _assess(index)
    finally:
        for thread in receivers:
            thread.join()
        for process in processes:
            process.join()
    for index in range(chunks):
        if index not in results:
            results[index] = _assess(index)
    return [results[index] for index in range(chunks)]


def _take(ends: SynchronizedArray[int], from_front: bool) -> int | None:
    """Claim the next chunk from the front or the back; None when every chunk is claimed."""
    with ends.get_lock():
        front, back = ends[0], ends[1]
        if front >= back:
            return None
        if from_front:
            ends[0] = front + 1
            return front
        ends[1] = back - 1
        return back - 1


def _work(ends: SynchronizedArray[int], send: Connection) -> None:
    """A worker: assess chunks from the front and send each result, until none is left.

    A failure stops the worker quietly: this process assesses the chunk again and so raises the
    error itself, as one ``precheck`` call would.
    """
    try:
        while (index := _take(ends, from_front=True)) is not None:
            send.send((index, _assess(index)))
    except Exception:  # reported by this process when it redoes the chunk, see above
        pass
    finally:
        send.close()


def _receive(receive: Connection, results: dict[int, PrecheckResult]) -> None:
    """Collect a worker's results until it closes its end (or dies)."""
    try:
        while True:
            index, result = receive.recv()
            results[index] = result
    except (EOFError, OSError):  # closed: done, or the worker died (its chunks are redone)
        pass
    finally:
        receive.close()


def _assess(index: int) -> PrecheckResult:
    school, students, facts, known, peildatum, chunks = _JOB
    pupils = chunks[index]
    wanted = set(pupils)
    return precheck(
        school,
        students,
        {pupil: facts[pupil] for pupil in pupils if pupil in facts},
        [item for item in known if item.leerlingnummer in wanted],
        peildatum,
    )
