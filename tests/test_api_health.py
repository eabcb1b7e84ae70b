"""/healthz, /readyz (each check by name, against the real simulator over mutual TLS) and
/metrics (the named metrics; sends counted by the sender; store state read at scrape time)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import socket
from pathlib import Path

from api_harness import NOW, make_harness, melding

from gateway.pki import init_pki
from gateway.service.jobs import Runtime, send
from gateway.simulator.testing import running_simulator


def metric(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert match is not None, f"{name}{labels} ontbreekt"
    return float(match[1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_healthz_and_readyz_against_the_simulator(tmp_path: Path) -> None:
    with running_simulator(tmp_path) as sim:
        h = make_harness(tmp_path, pki=sim.pki, endpoint=sim.endpoint)
        assert h.client.get("/healthz").json() == {"status": "ok"}
        ready = h.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["controles"]
        assert set(checks) == {"store", "certificaat", "duo"}
        assert all(check["ok"] for check in checks.values())
        assert checks["certificaat"]["dagen_over"] > 300


def test_readyz_names_each_failing_check(tmp_path: Path) -> None:
    h = make_harness(tmp_path, endpoint=f"https://127.0.0.1:{free_port()}/verzuim/v1")
    ready = h.client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["controles"]
    assert checks["store"]["ok"] and checks["certificaat"]["ok"]
    assert not checks["duo"]["ok"] and "niet bereikbaar" in checks["duo"]["detail"]


def test_readyz_fails_on_an_expired_certificate_and_an_untrusted_server(tmp_path: Path) -> None:
    with running_simulator(tmp_path) as sim:
        expired = init_pki(tmp_path / "oud", now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30)
        h = make_harness(tmp_path / "h", pki=expired, endpoint=sim.endpoint)
        checks = h.client.get("/readyz").json()["controles"]
        assert not checks["certificaat"]["ok"] and checks["certificaat"]["dagen_over"] < 0
        assert not checks["duo"]["ok"]  # our CA does not know the simulator's certificate


def test_metrics_name_every_metric_and_follow_the_store(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    text = h.client.get("/metrics").text
    for name in ("verzuim_sends_total", "verzuim_send_seconds_bucket", "verzuim_outbox_rows",
                 "verzuim_outbox_oldest_pending_seconds",
                 "verzuim_client_certificate_days_left"):  # fmt: skip
        assert f"\n{name}" in text or text.startswith(name), name
    assert metric(text, "verzuim_outbox_rows", '{state="queued"}') == 0
    assert metric(text, "verzuim_outbox_oldest_pending_seconds") == 0
    assert h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).status_code == 202
    # another process wrote it; the scrape of a second app over the same database sees it
    later = h.new_app()
    later.app.state.context.clock = lambda: NOW + dt.timedelta(minutes=10)  # type: ignore[attr-defined]
    text = later.get("/metrics").text
    assert metric(text, "verzuim_outbox_rows", '{state="queued"}') == 1
    assert metric(text, "verzuim_outbox_oldest_pending_seconds") == 600


def test_a_melding_from_the_api_is_sent_by_the_worker_and_counted(tmp_path: Path) -> None:
    with running_simulator(tmp_path) as sim:
        h = make_harness(tmp_path, pki=sim.pki, endpoint=sim.endpoint)
        before = h.client.get("/metrics").text
        accepted_before = metric(before, "verzuim_sends_total", '{result="accepted"}')
        count_before = metric(before, "verzuim_send_seconds_count")
        outbox_id = h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).json()["id"]
        runtime = Runtime(h.settings, h.schools["99XX"], h.store)
        report = asyncio.run(send(runtime, lambda: dt.datetime.now(dt.UTC)))
        assert report.accepted == 1
        detail = h.client.get(f"/v1/meldingen/{outbox_id}", headers=h.headers()).json()
        assert detail["toestand"] == "accepted" and detail["duo_status"] == "R"
        assert detail["duo_nummer"] == sim.admin.meldingen()[0]["nummer"]
        after = h.client.get("/metrics").text
        assert metric(after, "verzuim_sends_total", '{result="accepted"}') == accepted_before + 1
        assert metric(after, "verzuim_send_seconds_count") == count_before + 1
        assert metric(after, "verzuim_outbox_rows", '{state="accepted"}') == 1
