"""The whole chain on the embedded defaults (``make demo``): sample school, pre-check, outbox,
the bundled DUO simulator over mutual TLS with a fresh test PKI, send, a round of municipality
status changes, reconcile, and a summary.

The simulator runs in a background thread of this process on a free loopback port and is stopped
in a ``finally``, so an interrupted demo leaves nothing running. Everything is written below the
output folder; running the demo again starts from scratch.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from gateway.duo.reconcile import ReconcileReport
from gateway.duo.sender import SendReport
from gateway.history import load_history
from gateway.pki import init_pki
from gateway.sample.generate import SampleFiles
from gateway.service.jobs import (
    QueueReport,
    Runtime,
    queue_precheck,
    reconcile_now,
    row_summary,
    send,
)
from gateway.settings import load_settings
from gateway.simulator.options import FaultRates, SimulatorOptions
from gateway.simulator.server import SimulatorServer

MUNICIPALITY_WAIT_SECONDS = 2.0


@dataclass(slots=True)
class DemoReport:
    """What the chain did, for the summary table."""

    queued: QueueReport | None = None
    sent: SendReport | None = None
    reconciled: ReconcileReport | None = None
    per_state: dict[str, int] = field(default_factory=dict)
    per_duo_status: dict[str, int] = field(default_factory=dict)
    at_simulator: int = 0
    files: list[Path] = field(default_factory=list)


def run_chain(sample: SampleFiles, out: Path, seed: int = 1) -> DemoReport:
    """Run queue -> send -> municipality -> reconcile against a fresh simulator."""
    for stale in ("pki", "verzuim.db", "simulator.db", "verzuim.toml"):
        target = out / stale
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    pki = init_pki(out / "pki", overwrite=True)
    options = SimulatorOptions(
        pki=pki.directory,
        port=0,
        db=out / "simulator.db",
        seed=seed,
        faults=FaultRates(),
        behandeling_after=0.2,
        afsluiting_after=0.6,
        tick_seconds=0.1,
        log_level="warning",
        access_log=False,
    )
    server = SimulatorServer(options).start()
    try:
        config = _write_config(out, sample, pki.oin, server.base_url + "/verzuim/v1")
        runtime = Runtime.open(load_settings(config, env={}))
        report = DemoReport()
        history = load_history(sample.meldingen)  # sent before the gateway, by number
        report.queued = queue_precheck(
            runtime, sample.leerlingen, [sample.lesregistraties], None, _now(), history
        )
        report.sent = asyncio.run(send(runtime, _now))
        time.sleep(MUNICIPALITY_WAIT_SECONDS)  # the simulated municipality handles meldingen
        report.reconciled = asyncio.run(reconcile_now(runtime, _now))
        rows = runtime.store.list(None, limit=100_000)
        report.per_state = dict(Counter(row.state.value for row in rows))
        report.per_duo_status = dict(
            Counter(row.duo_status.value for row in rows if row.duo_status is not None)
        )
        report.at_simulator = len(server.simulator.store.all())
        outbox = out / "outbox.json"
        outbox.write_text(
            json.dumps([row_summary(row) for row in rows], ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        report.files.append(outbox)
        return report
    finally:
        server.stop()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_config(out: Path, sample: SampleFiles, oin: str, endpoint: str) -> Path:
    config = out / "verzuim.toml"
    pki_dir = out / "pki"
    config.write_text(
        "\n".join(
            [
                "# Demo settings written by `verzuim demo` (test PKI, bundled simulator).",
                f'school = "{sample.school.resolve()}"',
                f'store_url = "sqlite:///{(out / "verzuim.db").resolve()}"',
                "[duo]",
                f'endpoint = "{endpoint}"',
                f'client_cert = "{(pki_dir / "client.pem").resolve()}"',
                f'client_key = "{(pki_dir / "client-key.pem").resolve()}"',
                f'trust_bundle = "{(pki_dir / "ca.pem").resolve()}"',
                f'oin = "{oin}"',
                "timeout_seconds = 10",
                "concurrency = 8",
                "[logging]",
                'level = "INFO"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config
