"""Several workers, one PostgreSQL (issue 6, DESIGN.md 4): nothing lost, nothing twice.

2,000 meldingen are queued in a fresh PostgreSQL database; four ``verzuim worker --once``
processes start together and drain them through the bundled simulator over real mutual TLS, with
seeded transport faults switched on (503s, answers after the client's timeout, connections
dropped after the commit, connection resets). Each worker claims its rows under its own lease
(``FOR UPDATE SKIP LOCKED``) and reconciles unknown outcomes while the others keep sending. Then,
faults off, ``worker --once`` runs until nothing is pending, and ``verzuim reconcile`` once more.

Afterwards the simulator holds every natural key exactly once, as many as were queued, and every
outbox row is ``accepted`` with the number, document id and status the simulator has; every
worker sent a share, and the faults really happened.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bulk_school import write_bulk_school
from duo_setup import clock, runtime_for
from sqlalchemy import select

from gateway.pki import PkiFiles, init_pki
from gateway.service.jobs import queue_precheck
from gateway.simulator.testing import running_simulator
from gateway.store import State
from gateway.store.schema import audit

MELDINGEN = 2000
WORKERS = 4
CLIENT_TIMEOUT_SECONDS = 1.5
SCHOOL_OIN = "00000001800000099000"
VERZUIM = Path(sys.executable).parent / "verzuim"
FAULTS = {
    "fail_rate": 0.05,
    "timeout_rate": 0.02,
    "drop_after_commit_rate": 0.02,
    "reset_rate": 0.01,
}
FAULTS_OFF = dict.fromkeys(FAULTS, 0.0)
FINISHED = re.compile(r"worker klaar na \d+ rondes: (\d+) geaccepteerd")


def _write_config(
    tmp_path: Path, school: Path, pki: PkiFiles, store_url: str, endpoint: str
) -> Path:
    config = tmp_path / "verzuim.toml"
    config.write_text(
        "\n".join(
            [
                f'school = "{school}"',
                f'store_url = "{store_url}"',
                "[duo]",
                f'endpoint = "{endpoint}"',
                f'client_cert = "{pki.client_cert}"',
                f'client_key = "{pki.client_key}"',
                f'trust_bundle = "{pki.ca_cert}"',
                f'oin = "{SCHOOL_OIN}"',
                f"timeout_seconds = {CLIENT_TIMEOUT_SECONDS}",
                "connect_timeout_seconds = 2",
                "concurrency = 4",
                "max_attempts = 2",
                "retry_backoff_seconds = 0.05",
                "retry_backoff_max_seconds = 0.2",
                # Longer than any row can wait in a claimed batch plus its send: nothing is
                # killed here, so an expired lease would only hide a bug.
                "lease_seconds = 120",
                "[logging]",
                'level = "WARNING"',
                'format = "json"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config


def _run(args: list[str], logs: Path, name: str) -> subprocess.Popen[bytes]:
    """Start ``verzuim ARGS`` with its output in ``logs/NAME.out`` and ``.err``."""
    out = (logs / f"{name}.out").open("wb")
    err = (logs / f"{name}.err").open("wb")
    return subprocess.Popen([str(VERZUIM), *args], stdout=out, stderr=err, stdin=subprocess.DEVNULL)


def _finish(process: subprocess.Popen[bytes], logs: Path, name: str, timeout: float) -> str:
    """Wait for ``process``; its stdout, or a failure with its output."""
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = None
    out = (logs / f"{name}.out").read_text(errors="replace")
    if code != 0:
        err = (logs / f"{name}.err").read_text(errors="replace")
        pytest.fail(f"verzuim {name} eindigde met {code}\n{out[-2000:]}\n{err[-4000:]}")
    return out


def test_four_workers_on_postgresql_send_every_melding_exactly_once(
    tmp_path: Path, pg_url: str
) -> None:
    started = time.monotonic()
    logs = tmp_path / "logs"
    logs.mkdir()
    bulk = write_bulk_school(tmp_path / "school", MELDINGEN, seed=11)
    pki = init_pki(tmp_path / "pki", oin=SCHOOL_OIN)
    with running_simulator(
        tmp_path, pki=pki, seed=11, timeout_seconds=3.0, page_size=200, **FAULTS
    ) as sim:
        config = _write_config(tmp_path, bulk.school, pki, pg_url, sim.endpoint)
        runtime = runtime_for(config)
        report = queue_precheck(runtime, bulk.leerlingen, [bulk.lesregistraties], None, clock())
        assert len(report.created) == MELDINGEN
        queued_at = time.monotonic()
        store = runtime.store

        # Four worker processes at once, faults on.
        args = ["worker", "--once", "--config", str(config)]
        workers = [_run(args, logs, f"worker-{n}") for n in range(WORKERS)]
        outputs = [_finish(process, logs, f"worker-{n}", 180) for n, process in enumerate(workers)]
        shares = [int(match.group(1)) for out in outputs if (match := FINISHED.search(out))]
        assert len(shares) == WORKERS, outputs
        assert all(share > 0 for share in shares), shares  # every worker really sent
        with store.engine.connect() as connection:
            actors = Counter(
                connection.execute(select(audit.c.actor).where(audit.c.event == "claimed"))
                .scalars()
                .all()
            )
        assert len(actors) >= WORKERS, actors

        # Faults off: drain what the faults left over (retries not yet due at the end).
        sim.admin.set_faults(**FAULTS_OFF)
        rounds = 0
        while _pending(store.counts()):
            assert rounds < 10, f"niet leeg: {store.counts()}"
            _finish(_run(args, logs, f"after-{rounds}"), logs, f"after-{rounds}", 120)
            rounds += 1
        _finish(_run(["reconcile", "--config", str(config)], logs, "reconcile"),
                logs, "reconcile", 120)  # fmt: skip

        at_duo: list[dict[str, Any]] = sim.admin.meldingen()
        health: dict[str, Any] = sim.admin.health()
    rows = store.list(limit=2 * MELDINGEN)
    with store.engine.connect() as connection:
        events = Counter(connection.execute(select(audit.c.event)).scalars().all())
    store.close()
    summary = (
        f"{time.monotonic() - started:.1f} s ({queued_at - started:.1f} s to queue), "
        f"shares {shares}, {rounds} extra rounds, faults {health['fault_counts']}, "
        f"audit {dict(events)}"
    )

    # Nothing twice: every natural key registered once, as many meldingen as were queued.
    twice = [item for item in at_duo if item["registraties"] != 1]
    assert not twice, f"dubbel bij DUO: {twice[:5]} ({summary})"
    assert len(at_duo) == MELDINGEN, summary

    # Nothing lost: every outbox row accepted with DUO's number, document id and status.
    assert len(rows) == MELDINGEN
    by_nummer = {item["nummer"]: item for item in at_duo}
    assert len({row.duo_nummer for row in rows}) == MELDINGEN
    for row in rows:
        assert row.state is State.ACCEPTED, (row.id, row.state, row.last_error)
        melding = by_nummer.get(row.duo_nummer or "")
        assert melding is not None, f"rij {row.id}: {row.duo_nummer} niet bij DUO"
        assert melding["document_id"] == row.document_id, (row.id, melding)
        assert melding["status"] == "R" and row.duo_status is not None, (row.id, melding)
        assert row.duo_status.value == melding["status"], (row.id, melding)
        assert melding["begindatum"] == row.begindatum.isoformat(), (row.id, melding)

    # The run exercised what it claims to: faults of every kind, unknown outcomes reconciled.
    counts = health["fault_counts"]
    assert all(counts[fault] > 0 for fault in ("reset", "fail", "timeout", "drop")), summary
    assert events["unknown"] > 0 and events["reconciled"] > 0, summary
    print(summary)


def _pending(counts: dict[State, int]) -> int:
    return sum(counts[state] for state in (State.QUEUED, State.SENDING, State.UNKNOWN))
