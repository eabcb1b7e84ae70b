"""The sender records outcomes several at a time (``gateway/store/outcomes.py``). If the process
dies between DUO's answer and that record, the rows stay ``sending``; after their lease they are
reconciled with DUO, never blindly resent (DESIGN.md 4). Real simulator, real mutual TLS."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
from duo_setup import clock, runtime_for, sample_school, write_config

from gateway.duo import sender as sender_module
from gateway.service.jobs import queue_precheck, send
from gateway.simulator.testing import running_simulator
from gateway.store import State, Store
from gateway.store.outcomes import SendOutcome


class CrashError(Exception):
    """Stands in for the process dying before its outcomes are written."""


def test_answers_not_yet_recorded_are_reconciled_not_sent_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample, concurrency=4))
        queued = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        total = len(queued.created)
        assert total > 20

        def crash(store: Store, worker: str, outcomes: Sequence[SendOutcome]) -> list[bool]:
            raise CrashError

        monkeypatch.setattr(sender_module, "record_outcomes", crash)
        with pytest.raises(CrashError):
            asyncio.run(send(runtime, clock))
        monkeypatch.undo()

        counts = runtime.store.counts()
        assert counts[State.SENDING] > 0 and counts[State.ACCEPTED] == 0
        registered = len(sim.admin.meldingen())
        assert registered > 0  # DUO has some of them, the outbox does not know it yet

        def after_the_lease() -> dt.datetime:
            return clock() + dt.timedelta(minutes=5)

        for _ in range(2):  # leases expire -> unknown -> reconciled; not found -> sent again
            asyncio.run(send(runtime, after_the_lease))

        at_duo = sim.admin.meldingen()
        assert len(at_duo) == total
        assert all(item["registraties"] == 1 for item in at_duo)
        rows = runtime.store.list(limit=1000)
        assert {row.state for row in rows} == {State.ACCEPTED}
        assert {row.duo_nummer for row in rows} == {item["nummer"] for item in at_duo}
        reconciled = [
            row
            for row in rows
            if [entry.event for entry in runtime.store.audit_trail(row.id)][-1] == "reconciled"
        ]
        assert len(reconciled) >= registered  # each answer that was lost came from DUO's list


def test_a_failed_background_record_stops_the_run_and_its_rows_are_reconciled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the first write of outcomes fails (the one the lanes start in the background once
    ``record_every`` answers are in): the run stops with that error, what was left is still
    recorded on the way out, the failed batch stays ``sending``; after the lease those rows are
    reconciled with DUO, and nothing reaches DUO twice."""
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample, concurrency=4))
        queued = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        total = len(queued.created)
        every = sender_module.SendPolicy().record_every
        assert total > every  # so that a background write happens before the end
        calls: list[int] = []
        real = sender_module.record_outcomes

        def first_fails(store: Store, worker: str, outcomes: Sequence[SendOutcome]) -> list[bool]:
            calls.append(len(outcomes))
            if len(calls) == 1:
                raise CrashError
            return real(store, worker, outcomes)

        monkeypatch.setattr(sender_module, "record_outcomes", first_fails)
        with pytest.raises(CrashError):
            asyncio.run(send(runtime, clock))
        monkeypatch.undo()

        assert calls[0] >= every  # the background write, not the one at the end
        counts = runtime.store.counts()
        assert counts[State.ACCEPTED] == sum(calls[1:])  # recorded on the way out
        assert counts[State.SENDING] >= calls[0]  # the failed batch (and unsent claims) wait
        assert counts[State.ACCEPTED] + counts[State.SENDING] + counts[State.QUEUED] == total

        def after_the_lease() -> dt.datetime:
            return clock() + dt.timedelta(minutes=5)

        for _ in range(2):
            asyncio.run(send(runtime, after_the_lease))
        at_duo = sim.admin.meldingen()
        assert len(at_duo) == total
        assert all(item["registraties"] == 1 for item in at_duo)
        assert {row.state for row in runtime.store.list(limit=1000)} == {State.ACCEPTED}
