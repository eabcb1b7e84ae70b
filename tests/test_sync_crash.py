"""``verzuim sync --once`` as a real process, killed with SIGKILL while it sends, then run again:
nothing lost, nothing queued or sent twice (issue 6). And ``verzuim sync`` on its schedule stops
cleanly on SIGTERM."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sync_setup import VENDOR_OIN, make_sync_fixture

from gateway.pki import init_pki
from gateway.service.jobs import utc_now
from gateway.service.sync import run_sync
from gateway.simulator.testing import running_simulator

VERZUIM = Path(sys.executable).parent / "verzuim"
DEADLINE_SECONDS = 120


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERZUIM_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _states(database: Path) -> Counter[str]:
    if not database.exists():
        return Counter()
    connection = sqlite3.connect(database, timeout=30)
    try:
        return Counter(
            dict(connection.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"))
        )
    except sqlite3.OperationalError:  # not migrated yet
        return Counter()
    finally:
        connection.close()


def _wait_until(what: str, condition: object, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    assert callable(condition)
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"{what}: sync stopte met {process.returncode}\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: niet gebeurd binnen {DEADLINE_SECONDS} s")
        time.sleep(0.05)


def test_a_sync_killed_while_sending_and_restarted_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path,
) -> None:
    pki = init_pki(tmp_path / "pki", VENDOR_OIN, overwrite=True)
    with running_simulator(tmp_path, pki=pki, latency_ms=150) as sim:
        fixture = make_sync_fixture(
            tmp_path / "w", pki, sim.endpoint, two_schools=False, concurrency=1, lease_seconds=5
        )
        fixture.drop_vo()
        database = fixture.root / "verzuim.db"
        log = tmp_path / "sync.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(VERZUIM), "sync", "--once", "--config", str(fixture.config)],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=_env(),
            )
            try:
                # imported, stored, queued, and in the middle of sending
                _wait_until("verzenden begonnen", lambda: _states(database)["accepted"] >= 3,
                            process, log)  # fmt: skip
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
        at_kill = _states(database)
        assert sum(at_kill.values()) == 40 and 3 <= at_kill["accepted"] < 40, at_kill
        # the files left the drop folder, after their registrations were stored
        assert [p.name for p in fixture.vo_drop.iterdir()] == ["verwerkt"]
        (processed,) = (fixture.vo_drop / "verwerkt").iterdir()
        assert (processed / "lesregistraties.csv").is_file()
        assert (fixture.root / "data" / "99XX-00" / "HUIDIG").is_file()

        # restart: later than the killed process's leases (the sync's and the rows' ones)
        sim.admin.set_faults(latency_ms=0)

        def later() -> dt.datetime:
            return utc_now() + dt.timedelta(minutes=5)

        summary = run_sync(fixture.settings(), later)

        (school,) = summary.scholen
        assert summary.ok and school.status == "ok", summary.to_json()
        assert school.voorgesteld == 0 and school.nieuw_in_outbox == 0  # nothing queued twice
        assert _states(database) == Counter({"accepted": 40})
        meldingen = sim.admin.meldingen()
        keys = Counter((m["leerling"], m["code"], m["begindatum"]) for m in meldingen)
        assert len(meldingen) == len(keys) == 40  # each melding exactly once at DUO
        assert max(m["registraties"] for m in meldingen) == 1


def test_the_scheduled_sync_stops_on_sigterm_after_its_run(tmp_path: Path) -> None:
    pki = init_pki(tmp_path / "pki", VENDOR_OIN, overwrite=True)
    with running_simulator(tmp_path, pki=pki) as sim:
        fixture = make_sync_fixture(tmp_path / "w", pki, sim.endpoint, two_schools=False)
        fixture.drop_vo()
        latest = fixture.root / "runs" / "laatste.json"
        log = tmp_path / "sync.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(VERZUIM), "sync", "--format", "json", "--config", str(fixture.config)],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=_env(),
            )
            try:
                _wait_until("eerste run klaar", latest.is_file, process, log)
                process.send_signal(signal.SIGTERM)
                code = process.wait(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
        assert code == 0, log.read_text()[-3000:]
        summary = json.loads(latest.read_text(encoding="utf-8"))
        assert summary["scholen"][0]["nieuw_in_outbox"] == 40
        assert summary["verzonden"]["accepted"] == 40
        assert "sync volgens schema: elke 600 s" in log.read_text()
