"""The worker loop (``run_worker``, ``verzuim worker``) against the bundled simulator over real
mutual TLS: ``once`` drains and returns, the loop sends what is queued while it runs, brings DUO's
status changes in on its reconcile schedule, and stops cleanly on its stop event or SIGTERM with
nothing left ``sending``."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from duo_setup import clock, runtime_for, sample_school, write_config

from gateway.service.jobs import Runtime, queue_precheck
from gateway.service.worker import run_worker
from gateway.simulator.testing import running_simulator
from gateway.store import State

VERZUIM = Path(sys.executable).parent / "verzuim"


def _queue(runtime: Runtime, tmp_path: Path) -> int:
    sample = sample_school(tmp_path)
    report = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
    assert len(report.created) > 20
    return len(report.created)


def test_once_drains_what_is_due_and_returns(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample))
        queued = _queue(runtime, tmp_path)
        report = asyncio.run(run_worker(runtime, stop=asyncio.Event(), once=True))
        assert report.accepted == queued
        assert report.rejected == report.unknown == report.retried == 0
        assert report.reconciles == 1  # the first round reconciles (nothing to resolve)
        assert runtime.store.counts()[State.ACCEPTED] == queued
        assert len(sim.admin.meldingen()) == queued
        runtime.store.close()


def test_a_stop_set_before_the_start_sends_nothing(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample))
        queued = _queue(runtime, tmp_path)
        stop = asyncio.Event()
        stop.set()
        report = asyncio.run(run_worker(runtime, stop=stop))
        assert (report.rounds, report.sent) == (0, 0)
        assert runtime.store.counts()[State.QUEUED] == queued
        assert sim.admin.meldingen() == []
        runtime.store.close()


def test_the_loop_sends_new_rows_reconciles_on_schedule_and_stops(tmp_path: Path) -> None:
    """The worker runs; rows queued after it started are sent, a status DUO sets later comes in
    with a scheduled reconcile (a clock moved forward, no sleeping for it), and ``stop`` ends
    the loop with nothing left ``sending``."""
    sample = sample_school(tmp_path)
    ahead = [dt.timedelta(0)]  # the worker's clock: the wall clock, moved forward at will
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample))

        async def scenario() -> int:
            stop = asyncio.Event()
            worker = asyncio.create_task(
                run_worker(
                    runtime,
                    stop=stop,
                    poll_seconds=0.05,
                    reconcile_every_seconds=3600,
                    clock=lambda: clock() + ahead[0],
                )
            )
            queued = _queue(runtime, tmp_path)  # after the worker started
            brin = runtime.school.brin
            await _until(
                lambda: (
                    runtime.store.counts()[State.ACCEPTED] == queued
                    and runtime.store.get_cursor(brin) is not None
                )  # the first reconcile is done
            )
            row = runtime.store.list(State.ACCEPTED, limit=1)[0]
            sim.admin.set_status(row.duo_nummer or "", "G", "TERUG_OP_SCHOOL")
            ahead[0] = dt.timedelta(hours=2)  # the next scheduled reconcile is due

            def closed() -> bool:
                current = runtime.store.get(row.id)
                return (
                    current is not None
                    and current.duo_status is not None
                    and (current.duo_status.value == "G")
                )

            await _until(closed)
            stop.set()
            report = await asyncio.wait_for(worker, timeout=30)
            assert report.accepted == queued
            assert report.reconciles >= 2 and report.statuses_applied >= 1
            return queued

        queued = asyncio.run(scenario())
        counts = runtime.store.counts()
        assert counts[State.SENDING] == 0 and counts[State.ACCEPTED] == queued
        runtime.store.close()


def test_verzuim_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        config = write_config(tmp_path, sim, sample)
        runtime = runtime_for(config)
        queued = _queue(runtime, tmp_path)
        port = _free_port()
        process = subprocess.Popen(
            [
                str(VERZUIM),
                "worker",
                "--poll",
                "0.1",
                "--metrics-port",
                str(port),
                "--config",
                str(config),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        try:
            asyncio.run(_until(lambda: runtime.store.counts()[State.ACCEPTED] == queued, 60))
            # the worker's own /metrics counts its sends (a separate process from any API)
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
            assert f'verzuim_sends_total{{result="accepted"}} {float(queued)}' in metrics
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, err.decode(errors="replace")
        assert f"{queued} geaccepteerd" in out.decode(), out
        assert runtime.store.counts()[State.SENDING] == 0
        runtime.store.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _until(condition: object, timeout: float = 30.0) -> None:
    """Wait (polling the store) until ``condition()`` holds; fail after ``timeout`` seconds."""
    assert callable(condition)
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)
