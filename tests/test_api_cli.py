"""``verzuim apikey create|list|revoke`` and ``verzuim serve --worker`` as a real process: a
melding posted to the API is sent by the worker loop in the same process (issue 6)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from api_harness import melding, school_toml
from typer.testing import CliRunner

from gateway.cli import app
from gateway.pki import PkiFiles
from gateway.simulator.testing import running_simulator
from gateway.store import open_store
from gateway.store.api_keys import ApiKeyStore

VERZUIM = str(Path(sys.executable).parent / "verzuim")


def write_config(
    tmp_path: Path,
    endpoint: str = "https://127.0.0.1:9/verzuim/v1",
    pki: PkiFiles | None = None,
    port: int = 8080,
) -> Path:
    (tmp_path / "school.toml").write_text(school_toml("99XX"), encoding="utf-8")
    lines = [
        'school = "school.toml"',
        'store_url = "sqlite:///verzuim.db"',
        "[api]",
        'host = "127.0.0.1"',
        f"port = {port}",
        "[duo]",
        f'endpoint = "{endpoint}"',
    ]
    if pki is not None:
        lines += [
            f'client_cert = "{pki.client_cert}"',
            f'client_key = "{pki.client_key}"',
            f'trust_bundle = "{pki.ca_cert}"',
            f'oin = "{pki.oin}"',
            "retry_backoff_seconds = 0.01",
            "retry_backoff_max_seconds = 0.05",
        ]
    config = tmp_path / "verzuim.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


def test_apikey_create_list_revoke(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, out, err = invoke(
        "apikey",
        "create",
        "--brin",
        "99XX",
        "--brin",
        "98YY",
        "--naam",
        "SIS",
        "--config",
        str(config),
    )
    assert code == 0, err
    key = out.strip()
    assert key.startswith("vzk_") and "niet opnieuw getoond" in err
    prefix = key.split("_")[1]
    store = open_store(f"sqlite:///{tmp_path / 'verzuim.db'}")
    found = ApiKeyStore(store.engine).authenticate(key)
    assert found is not None and found.brins == ("98YY", "99XX")
    code, out, _ = invoke("apikey", "list", "--format", "json", "--config", str(config))
    listed = json.loads(out)
    assert [(item["prefix"], item["brins"], item["ingetrokken"]) for item in listed] == [
        (prefix, ["98YY", "99XX"], None)
    ]
    assert key.split("_", 2)[2] not in out
    assert invoke("apikey", "revoke", prefix, "--config", str(config))[0] == 0
    assert ApiKeyStore(store.engine).authenticate(key) is None
    code, _, err = invoke("apikey", "revoke", prefix, "--config", str(config))
    assert code == 2 and "geen actieve sleutel" in err
    code, _, err = invoke("apikey", "create", "--brin", "9x", "--config", str(config))
    assert code == 2 and "ongeldige BRIN" in err
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_with_worker_sends_what_the_api_queued(tmp_path: Path) -> None:
    with running_simulator(tmp_path / "sim") as sim:
        port = free_port()
        config = write_config(tmp_path, sim.endpoint, sim.pki, port)
        code, out, err = invoke("apikey", "create", "--brin", "99XX", "--config", str(config))
        assert code == 0, err
        key = out.strip()
        env = {**os.environ, "VERZUIM_LOGGING__FORMAT": "json"}
        process = subprocess.Popen(
            [VERZUIM, "serve", "--worker", "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=5.0) as client:
                deadline = time.monotonic() + 30
                while True:  # wait for the port; the process is real, there is no clock to inject
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert process.poll() is None, process.stderr.read() if process.stderr else ""
                    assert time.monotonic() < deadline, "server kwam niet op"
                    time.sleep(0.1)
                today = time.strftime("%Y-%m-%d")
                body = melding(begindatum=today, einddatum=today, dagen=[])
                posted = client.post("/v1/meldingen", json=body, headers={"X-API-Key": key})
                assert posted.status_code == 202, posted.text
                location = posted.headers["location"]
                while True:
                    shown = client.get(location, headers={"X-API-Key": key}).json()
                    if shown["toestand"] == "accepted":
                        break
                    assert time.monotonic() < deadline + 30, shown
                    time.sleep(0.1)
                assert shown["duo_nummer"] == sim.admin.meldingen()[0]["nummer"]
                assert client.get("/readyz").status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                _, stderr = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert b"worker gestopt" in stderr  # the worker loop finished before the process ended
