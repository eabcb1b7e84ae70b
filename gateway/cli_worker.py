"""``verzuim worker``: the sending loop as a long-running process (issue 6).

Thin: loads the settings, sets up logging (``gateway.logging``), turns SIGTERM and SIGINT into
the worker's stop event and calls ``gateway.service.worker.run_worker``. Several workers may run
against one store (PostgreSQL for several machines); see the README.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import start_http_server
from rich.console import Console

from gateway import aio, metrics
from gateway.errors import GatewayError
from gateway.logging import configure_logging
from gateway.service.jobs import Runtime, utc_now
from gateway.service.worker import WorkerReport, run_worker
from gateway.settings import check_settings, load_settings

USAGE_ERROR = 2


def register(app: typer.Typer) -> None:
    """Add ``verzuim worker`` to the ``verzuim`` app."""
    app.command(name="worker")(worker)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="verstuur wat klaarstaat, stem af en stop")
    ] = False,
    poll: Annotated[
        float, typer.Option(help="hoogstens zoveel seconden wachten tussen rondes", min=0.01)
    ] = 5.0,
    reconcile_every: Annotated[
        float, typer.Option(help="seconden tussen afstemrondes met DUO", min=1.0)
    ] = 300.0,
    metrics_port: Annotated[
        int,
        typer.Option(
            help="poort voor /metrics van dit proces (verzendingen, duur; 0 = uit), op 127.0.0.1",
            min=0,
            max=65535,
        ),
    ] = 0,
    config: Annotated[
        Path | None, typer.Option("--config", help="instellingen (TOML); standaard verzuim.toml")
    ] = None,
) -> None:
    """Verstuur de outbox doorlopend: wat klaarstaat gaat naar DUO, onbekende uitkomsten worden
    eerst afgestemd, en statuswijzigingen van DUO komen op schema binnen. Stopt netjes op
    SIGTERM of Ctrl-C (de lopende ronde wordt afgemaakt). Meerdere workers op een database mag.

    Voorbeeld: verzuim worker --config /etc/verzuim/verzuim.toml

    Voorbeeld: verzuim worker --metrics-port 9464   (Prometheus haalt /metrics van dit proces)
    """
    try:
        settings = load_settings(config)
        configure_logging(settings.logging.level, settings.logging.format)
        check = check_settings(settings, utc_now())
        for warning in check.warnings:
            Console(stderr=True).print(f"waarschuwing: {warning}", markup=False)
        check.raise_for_errors()
        runtime = Runtime.open(settings)
    except GatewayError as exc:
        Console(stderr=True).print(f"fout: {exc}", markup=False, highlight=False)
        raise typer.Exit(USAGE_ERROR) from None
    if metrics_port:
        # this process's sends by result and send latency; outbox depth and certificate days
        # come from the store, on the /metrics of any `verzuim serve`
        start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.REGISTRY)
    try:
        report = aio.run(_main(runtime, once, poll, reconcile_every))
    except GatewayError as exc:
        Console(stderr=True).print(f"fout: {exc}", markup=False, highlight=False)
        raise typer.Exit(USAGE_ERROR) from None
    finally:
        runtime.store.close()
    print(
        f"worker klaar na {report.rounds} rondes: {report.accepted} geaccepteerd, "
        f"{report.rejected} geweigerd, {report.retried} later opnieuw, {report.unknown} "
        f"onbekend, {report.security} beveiligingsfout; {report.reconciles} keer afgestemd "
        f"({report.resolved_accepted} gevonden, {report.resolved_requeued} opnieuw)"
    )


async def _main(runtime: Runtime, once: bool, poll: float, reconcile_every: float) -> WorkerReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        return await run_worker(
            runtime, stop=stop, once=once, poll_seconds=poll,
            reconcile_every_seconds=reconcile_every,
        )  # fmt: skip
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
