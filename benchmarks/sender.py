"""Benchmark of the sender: meldingen per second through the simulator (issue 4).

For each ``[duo] concurrency`` (default 1, 4 and 16) a fresh SQLite outbox gets ``--count`` fresh
meldingen (a generated export, one R-16U melding per pupil, queued with ``queue_precheck``), and
one ``send`` job (``verzuim send --once``: claim, send, mark, as the CLI does) is timed until the
outbox is empty. The simulator runs in its own process (its own GIL, as in production where DUO is
another machine), without faults, with ``--latency-ms`` (default 20) added to every request.

Printed next to each other, from the same run:

- ideal: concurrency / latency, the rate if every request took exactly the added latency;
- raw client: the same number of fresh documents through ``DuoClient.send`` alone with the same
  concurrency (no store, no claims): the ceiling of the transport plus the simulator;
- sender: the measured rate of the whole job, and sender / ideal (target: >= 70% at 16).

    .venv/bin/python benchmarks/sender.py [--count 500] [--latency-ms 20] [--concurrency 1 4 16]

A script that prints a table; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from bulk_school import write_bulk_school  # noqa: E402

from gateway.duo.client import DuoClient  # noqa: E402
from gateway.logging import configure_logging  # noqa: E402
from gateway.pki import PkiFiles, init_pki  # noqa: E402
from gateway.service.jobs import Runtime, queue_precheck, send  # noqa: E402
from gateway.settings import load_settings  # noqa: E402
from gateway.simulator.testing import client_context  # noqa: E402
from gateway.store import State  # noqa: E402

TARGET_RATIO = 0.70
#: 20 digits without the 00000007 prefix: ``check_settings`` wants digits only.
OIN = "00000001800000099000"

_SERVE = """
import sys
from pathlib import Path
from gateway.simulator.options import FaultRates, SimulatorOptions
from gateway.simulator.server import run_simulator
run_simulator(SimulatorOptions(
    pki=Path(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), db=Path(sys.argv[3]),
    seed=1, faults=FaultRates(latency_ms=int(sys.argv[4])), behandeling_after=None,
    afsluiting_after=None, log_level="warning", access_log=False,
).checked())
"""


@dataclass(frozen=True, slots=True)
class Result:
    concurrency: int
    count: int
    ideal: float
    raw: float
    sender: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def simulator(directory: Path, latency_ms: int) -> Iterator[tuple[str, PkiFiles]]:
    """A simulator in its own process; yields its endpoint and the PKI."""
    pki = init_pki(directory / "pki", oin=OIN, overwrite=True)
    port = _free_port()
    base_url = f"https://127.0.0.1:{port}"
    args = [str(pki.directory), str(port), str(directory / "simulator.db"), str(latency_ms)]
    process = subprocess.Popen([sys.executable, "-c", _SERVE, *args], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=base_url, verify=client_context(pki), timeout=5) as admin:
            while True:
                if process.poll() is not None:
                    stderr = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"simulator stopped ({process.returncode}): {stderr}")
                try:
                    if admin.get("/_sim/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("simulator did not start within 30 s")
                time.sleep(0.1)
        yield f"{base_url}/verzuim/v1", pki
    finally:
        process.kill()
        process.wait()


def write_config(directory: Path, school: Path, pki: PkiFiles, endpoint: str, conc: int) -> Path:
    config = directory / "verzuim.toml"
    config.write_text(
        "\n".join(
            [
                f'school = "{school}"',
                f'store_url = "sqlite:///{directory / "verzuim.db"}"',
                "[duo]",
                f'endpoint = "{endpoint}"',
                f'client_cert = "{pki.client_cert}"',
                f'client_key = "{pki.client_key}"',
                f'trust_bundle = "{pki.ca_cert}"',
                f'oin = "{pki.oin}"',
                "timeout_seconds = 30",
                f"concurrency = {conc}",
                "lease_seconds = 600",
                "[logging]",
                'level = "WARNING"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fresh_runtime(directory: Path, endpoint: str, pki: PkiFiles, conc: int, count: int) -> Runtime:
    """A fresh outbox in ``directory`` with ``count`` queued meldingen (new pupils each time, so
    the simulator sees new natural keys)."""
    school = write_bulk_school(directory / "school", count, seed=conc * 1000 + count)
    config = write_config(directory, school.school, pki, endpoint, conc)
    runtime = Runtime.open(load_settings(config, env={}))
    report = queue_precheck(runtime, school.leerlingen, [school.lesregistraties], None, _now())
    assert len(report.created) == count, report
    return runtime


async def raw_rate(runtime: Runtime, conc: int) -> float:
    """The documents of the queued rows straight through ``DuoClient.send``, ``conc`` at a time."""
    rows = runtime.store.list(State.QUEUED, limit=100_000)
    semaphore = asyncio.Semaphore(conc)

    async def one(client: DuoClient, document: bytes) -> None:
        async with semaphore:
            await client.send("melden", document)

    async with runtime.client() as client:
        await client.send("melden", rows[0].xml)  # warm up: TLS handshake, imports
        start = time.perf_counter()
        await asyncio.gather(*(one(client, row.xml) for row in rows[1:]))
        return (len(rows) - 1) / (time.perf_counter() - start)


def sender_rate(runtime: Runtime, count: int) -> float:
    start = time.perf_counter()
    report = asyncio.run(send(runtime, _now))
    elapsed = time.perf_counter() - start
    if report.accepted != count:
        raise RuntimeError(f"only {report.accepted} of {count} accepted: {report}")
    return count / elapsed


def measure(
    base: Path, endpoint: str, pki: PkiFiles, conc: int, count: int, latency: int
) -> Result:
    raw_dir, send_dir = base / f"raw-{conc}", base / f"send-{conc}"
    raw_runtime = fresh_runtime(raw_dir, endpoint, pki, conc, count)
    raw = asyncio.run(raw_rate(raw_runtime, conc))
    raw_runtime.store.close()
    runtime = fresh_runtime(send_dir, endpoint, pki, conc, count)
    rate = sender_rate(runtime, count)
    runtime.store.close()
    return Result(conc, count, conc / (latency / 1000), raw, rate)


def table(results: Sequence[Result], latency: int) -> str:
    lines = [
        f"sender throughput through the simulator, latency {latency} ms per request",
        "",
        "concurrency  meldingen  ideal/s  raw client/s  sender/s  sender/ideal",
    ]
    for r in results:
        lines.append(
            f"{r.concurrency:>11}  {r.count:>9}  {r.ideal:>7.0f}  {r.raw:>12.0f}  "
            f"{r.sender:>8.0f}  {r.sender / r.ideal:>11.0%}"
        )
    top = max(results, key=lambda r: r.concurrency)
    met = "met" if top.sender / top.ideal >= TARGET_RATIO else "NOT met"
    lines += ["", f"target: >= {TARGET_RATIO:.0%} of ideal at concurrency {top.concurrency}: {met}"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="meldingen per run")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args(argv)
    configure_logging("WARNING", "json")  # as the CLI with [logging] level = "WARNING"
    with tempfile.TemporaryDirectory(prefix="bench-sender-") as tmp:
        base = Path(tmp)
        with simulator(base, args.latency_ms) as (endpoint, pki):
            results = [
                measure(base, endpoint, pki, conc, args.count, args.latency_ms)
                for conc in args.concurrency
            ]
    print(table(results, args.latency_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
