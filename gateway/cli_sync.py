"""``verzuim sync``: the whole job for every school, once or on the schedule of ``[sync]``.

Thin: loads and checks the settings, turns SIGTERM and SIGINT into the sync's stop flag (the
current step is finished, nothing after it starts), calls ``gateway.service.sync.run_sync`` and
prints each run as a short table; the full summary is the JSON file in ``[sync] summary_dir``
(or on stdout with ``--format json``).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from gateway.errors import GatewayError
from gateway.logging import configure_logging
from gateway.service.jobs import utc_now
from gateway.service.sync import StopFlag, SyncSummary, run_sync
from gateway.service.sync_schedule import Schedule
from gateway.settings import Settings, check_settings, load_settings

USAGE_ERROR = 2
RUN_FAILED = 1


def register(app: typer.Typer) -> None:
    """Add ``verzuim sync`` to the ``verzuim`` app."""
    app.command(name="sync")(sync)


def sync(
    once: Annotated[
        bool, typer.Option("--once", help="één keer alles doen en stoppen (voor een timer/cron)")
    ] = False,
    output: Annotated[
        str, typer.Option("--format", help="table of json (de samenvatting op stdout)")
    ] = "table",
    config: Annotated[
        Path | None, typer.Option("--config", help="instellingen (TOML); standaard verzuim.toml")
    ] = None,
) -> None:
    """Importeer de exports van elke school (bestanden of dropmap), controleer ze tegen de
    meldingen die al bekend zijn, zet nieuwe meldingen en R-EINDE-wijzigingen in de outbox,
    verstuur, stem af met DUO en schrijf een samenvatting (JSON in sync.summary_dir). Zonder
    --once herhaalt het zich volgens sync.interval_seconds of sync.cron. Eén sync per school
    tegelijk (lease in de database). Stopt netjes na de lopende stap op SIGTERM of Ctrl-C.

    Exit 0 als alles lukte (ook met afgewezen regels), 1 als een school of het verzenden mislukte,
    2 bij onbruikbare instellingen.

    Voorbeeld: verzuim sync --once --config /etc/verzuim/verzuim.toml
    """
    if output not in ("table", "json"):
        _fail("--format: kies table of json")
    settings = _settings(config)
    stop = StopFlag()
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        Console(stderr=True).print("stoppen na de lopende stap ...", markup=False)
        stop.set()

    for signum in previous:
        signal.signal(signum, on_signal)
    if not once:
        schedule = Schedule.from_settings(settings.sync)
        Console(stderr=True).print(f"sync volgens schema: {schedule.describe()}", markup=False)
    failed = False

    def show(summary: SyncSummary) -> None:
        nonlocal failed
        failed = failed or not summary.ok
        if output == "json":
            sys.stdout.write(summary.to_json())
            sys.stdout.flush()
        else:
            print_summary(summary, Console(soft_wrap=True))

    try:
        if once:  # a spinner on a terminal (nothing in a log); the steps are logged as they go
            with Console(stderr=True).status("sync: inlezen, controleren, versturen, afstemmen"):
                summary = run_sync(settings, utc_now, once=True, stop=stop)
            show(summary)  # after the spinner, so the table is not drawn through it
        else:
            run_sync(settings, utc_now, once=False, stop=stop, on_run=show)
    except GatewayError as exc:
        _fail(str(exc))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if once and failed:
        raise typer.Exit(RUN_FAILED)


def _settings(config: Path | None) -> Settings:
    try:
        settings = load_settings(config)
        configure_logging(settings.logging.level, settings.logging.format)
        check = check_settings(settings, utc_now())
    except GatewayError as exc:
        _fail(str(exc))
    for warning in check.warnings:
        Console(stderr=True).print(f"waarschuwing: {warning}", markup=False)
    errors = check.errors
    if settings.sync.schools:  # the top-level school is not used; each school is checked later
        errors = tuple(error for error in errors if not error.startswith("school:"))
    if errors:
        _fail("instellingen niet bruikbaar:\n" + "\n".join(f"- {e}" for e in errors))
    return settings


def _fail(message: str) -> NoReturn:
    Console(stderr=True).print(f"fout: {message}", markup=False, highlight=False)
    raise typer.Exit(USAGE_ERROR)


def print_summary(summary: SyncSummary, console: Console) -> None:
    """The short console table of one run: one line per school, then what was sent."""
    table = Table(title=f"sync {summary.run}", title_justify="left")
    for column in ("school", "status", "bestanden", "registraties", "nieuw", "al bekend",
                   "afgewezen", "termijn verlopen", "binnenkort"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("school", "status") else "right")
    for item in summary.scholen:
        table.add_row(
            f"{item.brin}-{item.vestiging} {item.naam}".strip("- ") or item.school,
            item.status,
            str(len(item.bestanden)),
            str(item.registraties),
            str(item.nieuw_in_outbox),
            str(item.al_in_outbox),
            str(len(item.afwijzingen)),
            str(len(item.termijn_verlopen)),
            str(len(item.termijn_binnenkort)),
        )
    console.print(table)
    for item in summary.scholen:
        for error in item.fouten:
            console.print(f"{item.brin or item.school}: {error}", markup=False)
        if item.regels:
            rules = ", ".join(
                f"{rule} {counts['nieuw']}/{counts['voorgesteld']}"
                for rule, counts in item.regels.items()
            )
            console.print(f"{item.brin}: per regel (nieuw/voorgesteld): {rules}", markup=False)
    sent = summary.verzonden
    if sent:
        console.print(
            f"verzonden: {sent.get('accepted', 0)} geaccepteerd, {sent.get('rejected', 0)} "
            f"geweigerd, {sent.get('retried', 0)} later opnieuw, {sent.get('unknown', 0)} "
            f"onbekend, {sent.get('security', 0)} beveiligingsfout",
            markup=False,
        )
    for error in summary.fouten:
        console.print(f"fout: {error}", markup=False)
    if summary.gestopt:
        console.print("gestopt op verzoek (SIGTERM/SIGINT)", markup=False)
    console.print(f"samenvatting: {summary.samenvatting_bestand}", markup=False)
