"""A business rejection is final (DESIGN.md 4): when the pre-check proposes exactly the request
DUO rejected before, it is not queued again on the next run; a different (corrected) request
with the same natural key is. Real simulator over mutual TLS, real SQLite."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

from duo_setup import clock, runtime_for, sample_school, write_config

from gateway.history import load_history
from gateway.messages.fingerprint import content_fingerprint
from gateway.service.jobs import queue_precheck, send
from gateway.service.outbox_items import melding_item
from gateway.simulator.testing import running_simulator
from gateway.store import Operation, State


def test_the_same_rejected_request_is_not_queued_again(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    # the history's numbers are unknown to this simulator: its R-EINDE change is rejected (VZ200)
    history = load_history(sample.meldingen)
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample))
        first = queue_precheck(
            runtime, sample.leerlingen, [sample.lesregistraties], None, clock(), history
        )
        asyncio.run(send(runtime, clock))
        rejected = runtime.store.list(State.REJECTED, limit=100)
        assert [row.operation for row in rejected] == [Operation.MUTATIE]
        assert "VZ200" in (rejected[0].last_error or "")

        again = queue_precheck(
            runtime, sample.leerlingen, [sample.lesregistraties], None, clock(), history
        )
        assert again.created == []  # nothing new: neither the meldingen nor the rejected change
        assert again.rejected_before == [rejected[0].id]
        assert len(first.created) > 20  # the meldingen are known now: not proposed again
        assert runtime.store.counts()[State.QUEUED] == 0
        runtime.store.close()


def test_the_fingerprint_ignores_id_and_moment_but_not_content(tmp_path: Path) -> None:
    from gateway.documents import default_inhoud
    from gateway.pipeline import run_precheck
    from gateway.school import load_school

    sample = sample_school(tmp_path)
    run = run_precheck(sample.school, sample.leerlingen, [sample.lesregistraties])
    school = load_school(sample.school)
    melding = next(m for m in run.result.meldingen if m.einddatum is not None)
    student = run.students[melding.leerlingnummer]
    inhoud = default_inhoud(school)
    now = dt.datetime(2024, 12, 20, 8, tzinfo=dt.UTC)
    one = melding_item(melding, student, school, inhoud, now)
    later = melding_item(melding, student, school, inhoud, now + dt.timedelta(days=3))
    assert one.document_id != later.document_id and one.xml != later.xml
    assert content_fingerprint(one.xml) == content_fingerprint(later.xml)
    shorter = dataclasses.replace(melding, einddatum=melding.begindatum)
    corrected = melding_item(shorter, student, school, inhoud, now)
    assert content_fingerprint(corrected.xml) != content_fingerprint(one.xml)
