"""Exactly once under faults and crashes (issue 4, DESIGN.md 4): nothing lost, nothing twice.

500 meldingen go through the real ``verzuim`` commands, each in its own process:

1. ``verzuim pki init`` and ``verzuim simulator`` on a free loopback port with its own database and
   seeded transport faults: 503s, connection resets, answers too late for the client (processed!),
   connections dropped after the commit; the municipality is off, so every melding stays ``R``;
2. ``verzuim queue`` puts the meldingen of a generated export into a fresh SQLite outbox;
3. ``verzuim send --interval 0.2`` runs with a short client timeout and a short lease and is
   killed with SIGKILL at least three times while rows are being sent, and restarted each time;
4. with the faults switched off, ``verzuim send --once`` until nothing is queued, sending or
   unknown (leases of the killed senders run out; unknown outcomes are reconciled), then
   ``verzuim reconcile``.

Then the simulator holds every natural key exactly once, as many as were queued, and every outbox
row is ``accepted`` with the number, document id and status the simulator has.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import httpx
import pytest
from bulk_school import BulkSchool, write_bulk_school

from gateway.duo.client import DuoClient
from gateway.errors import UnknownOutcomeError
from gateway.pki import PkiFiles, pki_files
from gateway.simulator.testing import client_context, running_simulator

MELDINGEN = 500
#: Kill the sender once this share of the meldingen is accepted (and rows are in flight); it is
#: restarted after each kill but the last, which leaves the rest to ``send --once``.
KILL_AT = (0.15, 0.35, 0.55, 0.75)
LEASE_SECONDS = 3.0
CLIENT_TIMEOUT_SECONDS = 1.5
SCHOOL_OIN = "00000001800000099000"
VERZUIM = Path(sys.executable).parent / "verzuim"
PENDING = ("queued", "sending", "unknown")
FAULTS_OFF = {
    "fail_rate": 0.0,
    "timeout_rate": 0.0,
    "drop_after_commit_rate": 0.0,
    "reset_rate": 0.0,
    "malformed_rate": 0.0,
    "latency_ms": 0,
}


class Processes:
    """The subprocesses of one test, their output in files; everything is killed in ``close``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._running: list[tuple[subprocess.Popen[bytes], TextIO, TextIO]] = []
        self._stems: dict[int, Path] = {}

    def start(self, name: str, *args: str | Path) -> subprocess.Popen[bytes]:
        stem = self.directory / f"{len(self._stems) + 1:02d}-{name}"
        out = stem.with_suffix(".out").open("w")
        err = stem.with_suffix(".err").open("w")
        process = subprocess.Popen(
            [str(VERZUIM), *map(str, args)],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=_env(),
        )
        self._stems[process.pid] = stem
        self._running.append((process, out, err))
        return process

    def stdout(self, process: subprocess.Popen[bytes]) -> str:
        return self._stems[process.pid].with_suffix(".out").read_text(errors="replace")

    def output(self, process: subprocess.Popen[bytes], limit: int = 4000) -> str:
        """The tail of the process's stdout and stderr, for a failure message."""
        stem = self._stems[process.pid]
        parts = []
        for suffix in (".out", ".err"):
            text = stem.with_suffix(suffix).read_text(errors="replace")
            parts.append(f"--- {stem.name}{suffix} (last {limit} chars) ---\n{text[-limit:]}")
        return "\n".join(parts)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def close(self) -> None:
        for process, out, err in self._running:
            try:
                self.kill(process)
            finally:
                out.close()
                err.close()
        self._running.clear()


def run_verzuim(procs: Processes, name: str, *args: str | Path, timeout: float = 60) -> str:
    """Run one ``verzuim`` command to the end; its stdout, or a failure naming its output."""
    process = procs.start(name, *args)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        procs.kill(process)
        pytest.fail(f"verzuim {name} duurde langer dan {timeout} s\n{procs.output(process)}")
    if code != 0:
        pytest.fail(f"verzuim {name} eindigde met {code}\n{procs.output(process)}")
    return procs.stdout(process)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERZUIM_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    what: str,
    condition: Callable[[], bool],
    deadline: float,
    alive: tuple[Processes, subprocess.Popen[bytes]] | None = None,
    interval: float = 0.05,
) -> None:
    """Poll ``condition`` until it holds; fail at ``deadline`` (monotonic) or when the watched
    process exits, with its output."""
    while not condition():
        if alive is not None and alive[1].poll() is not None:
            procs, process = alive
            pytest.fail(f"{what}: proces stopte met {process.returncode}\n{procs.output(process)}")
        if time.monotonic() > deadline:
            extra = f"\n{alive[0].output(alive[1])}" if alive else ""
            pytest.fail(f"{what}: niet gelukt voor de deadline{extra}")
        time.sleep(interval)


class Outbox:
    """Read-only look at the outbox database while the sender works on it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            yield connection
        finally:
            connection.close()

    def counts(self) -> dict[str, int]:
        with self._connect() as connection:
            rows = connection.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            return {state: count for state, count in rows}

    def pending(self) -> int:
        counts = self.counts()
        return sum(counts.get(state, 0) for state in PENDING)

    def last_lease_until(self) -> dt.datetime | None:
        with self._connect() as connection:
            (value,) = connection.execute(
                "SELECT MAX(lease_until) FROM outbox WHERE state = 'sending'"
            ).fetchone()
        if value is None:
            return None
        moment = dt.datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    def events(self) -> dict[str, int]:
        with self._connect() as connection:
            rows = connection.execute("SELECT event, COUNT(*) FROM audit GROUP BY event")
            return {event: count for event, count in rows}


def write_config(tmp_path: Path, school: BulkSchool, pki: PkiFiles, endpoint: str) -> Path:
    config = tmp_path / "verzuim.toml"
    config.write_text(
        "\n".join(
            [
                f'school = "{school.school}"',
                f'store_url = "sqlite:///{tmp_path / "verzuim.db"}"',
                "[duo]",
                f'endpoint = "{endpoint}"',
                f'client_cert = "{pki.client_cert}"',
                f'client_key = "{pki.client_key}"',
                f'trust_bundle = "{pki.ca_cert}"',
                f'oin = "{pki.oin}"',
                f"timeout_seconds = {CLIENT_TIMEOUT_SECONDS}",
                "connect_timeout_seconds = 2",
                "concurrency = 4",
                "max_attempts = 2",
                "retry_backoff_seconds = 0.05",
                "retry_backoff_max_seconds = 0.2",
                f"lease_seconds = {LEASE_SECONDS}",
                "[logging]",
                'level = "WARNING"',
                'format = "json"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config


def test_every_melding_reaches_duo_exactly_once_despite_faults_and_killed_senders(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(logs)
    try:
        _exactly_once(tmp_path, procs, started)
    finally:
        procs.close()


def _exactly_once(tmp_path: Path, procs: Processes, started: float) -> None:
    school = write_bulk_school(tmp_path / "school", MELDINGEN, seed=7)
    # A 20-digit OIN: ``check_settings`` (verzuim send) refuses the default test OIN, whose BRIN
    # part has capitals (00000007 99XX 00000000); without the 00000007 prefix it carries no BRIN.
    run_verzuim(procs, "pki", "pki", "init", tmp_path / "pki", "--oin", SCHOOL_OIN)
    pki = pki_files(tmp_path / "pki")

    port = _free_port()
    base_url = f"https://127.0.0.1:{port}"
    simulator = procs.start(
        "simulator", "simulator", "--pki", pki.directory, "--port", str(port),
        "--db", tmp_path / "simulator.db", "--seed", "7",
        "--fail-rate", "0.1", "--timeout-rate", "0.05", "--timeout-seconds", "3",
        "--drop-after-commit-rate", "0.05", "--reset-rate", "0.02",
        "--behandeling-after", "-1", "--afsluiting-after", "-1",
    )  # fmt: skip
    with httpx.Client(base_url=base_url, verify=client_context(pki), timeout=10.0) as admin:

        def healthy() -> bool:
            try:
                return admin.get("/_sim/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_for("simulator starten", healthy, time.monotonic() + 30, (procs, simulator))

        config = write_config(tmp_path, school, pki, f"{base_url}/verzuim/v1")
        queued = run_verzuim(
            procs, "queue", "queue", "--students", school.leerlingen,
            "--registrations", school.lesregistraties, "--config", config,
        )  # fmt: skip
        assert queued.startswith(f"{MELDINGEN} nieuw in de outbox"), queued
        outbox = Outbox(tmp_path / "verzuim.db")
        assert outbox.counts() == {"queued": MELDINGEN}

        # Senders killed mid-run: each after some progress, while rows are being sent.
        send_args = ("send", "--interval", "0.2", "--config", config)
        killed_in_flight = 0
        for kill, share in enumerate(KILL_AT, start=1):
            sender = procs.start("send", *send_args)
            target = int(MELDINGEN * share)

            def progressed(target: int = target) -> bool:
                counts = outbox.counts()
                return counts.get("accepted", 0) >= target and counts.get("sending", 0) > 0

            wait_for(f"kill {kill}: {target} geaccepteerd", progressed, time.monotonic() + 60,
                     (procs, sender))  # fmt: skip
            procs.kill(sender)
            assert sender.returncode == -signal.SIGKILL, procs.output(sender)
            killed_in_flight += outbox.counts().get("sending", 0)
        assert killed_in_flight > 0

        # Faults off; then send --once until nothing is left (leases run out, unknowns resolved).
        response = admin.post("/_sim/faults", json=FAULTS_OFF)
        assert response.status_code == 200, response.text
        finish_by = time.monotonic() + 60
        rounds = 0
        while outbox.pending():
            assert time.monotonic() < finish_by, f"niet leeg: {outbox.counts()}"
            lease_until = outbox.last_lease_until()
            if lease_until is not None and outbox.pending() == outbox.counts().get("sending"):
                wait = (lease_until - dt.datetime.now(dt.UTC)).total_seconds()
                time.sleep(min(max(wait, 0) + 0.05, LEASE_SECONDS + 0.1))
            run_verzuim(procs, "send-once", "send", "--once", "--config", config)
            rounds += 1
        assert rounds > 0
        run_verzuim(procs, "reconcile", "reconcile", "--config", config)

        at_duo: list[dict[str, Any]] = admin.get("/_sim/meldingen").json()
        health: dict[str, Any] = admin.get("/_sim/health").json()

    listed = run_verzuim(
        procs, "outbox", "outbox", "list", "--limit", str(2 * MELDINGEN),
        "--format", "json", "--config", config,
    )  # fmt: skip
    rows = json.loads(listed)
    status = json.loads(
        run_verzuim(procs, "status", "status", "--format", "json", "--config", config)
    )
    events = outbox.events()
    elapsed = time.monotonic() - started
    summary = (
        f"{elapsed:.1f} s, {rounds} send --once rounds, faults {health['fault_counts']}, "
        f"audit {events}"
    )

    # Nothing twice: every natural key registered once, as many meldingen as were queued.
    twice = [item for item in at_duo if item["registraties"] != 1]
    assert not twice, f"dubbel bij DUO: {twice[:5]} ({summary})"
    assert len(at_duo) == MELDINGEN, summary

    # Nothing lost: every outbox row accepted with DUO's number, document id and status.
    assert status["per_toestand"]["accepted"] == MELDINGEN, status
    assert sum(status["per_toestand"].values()) == MELDINGEN, status
    assert len(rows) == MELDINGEN
    by_nummer = {item["nummer"]: item for item in at_duo}
    assert len({row["duo_nummer"] for row in rows}) == MELDINGEN
    for row in rows:
        assert row["actie"] == "melden" and row["toestand"] == "accepted", row
        melding = by_nummer.get(row["duo_nummer"])
        assert melding is not None, f"rij {row['id']}: {row['duo_nummer']} niet bij DUO"
        assert melding["document_id"] == row["document_id"], (row, melding)
        assert melding["status"] == row["duo_status"] == "R", (row, melding)
        assert melding["begindatum"] == row["begindatum"], (row, melding)

    # The run exercised what it claims to: faults of every kind, crashed leases, reconciliation.
    counts = health["fault_counts"]
    assert all(counts[fault] > 0 for fault in ("reset", "fail", "timeout", "drop")), summary
    assert events.get("lease_expired", 0) > 0, summary
    assert events.get("unknown", 0) > 0, summary
    assert events.get("reconciled", 0) > 0, summary
    assert simulator.poll() is None, procs.output(simulator)
    print(summary)


def test_a_read_timeout_is_an_unknown_outcome_not_a_security_error(tmp_path: Path) -> None:
    """Regression: the TLS stream's ``SSLWantReadError`` in a ReadTimeout's context made the
    client classify a timeout after sending as a TLS refusal (``security``, parked for an
    operator) instead of an unknown outcome to reconcile."""
    with running_simulator(tmp_path, timeout_rate=1.0, timeout_seconds=2.0) as sim:
        context = client_context(sim.pki)

        async def send() -> None:
            async with DuoClient(sim.endpoint, sim.pki.oin, context, timeout_seconds=0.3) as client:
                await client.send("melden", b"<unused/>")

        with pytest.raises(UnknownOutcomeError):
            asyncio.run(send())
