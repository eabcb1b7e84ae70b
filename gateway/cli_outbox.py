"""The ``verzuim`` verbs of the outbox and the transport (issue 4): pki, simulator, queue, send,
change, withdraw, reconcile, status and outbox list. Thin: they call ``gateway.service.jobs``."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gateway import aio
from gateway.errors import GatewayError
from gateway.logging import configure_logging
from gateway.messages import MeldingMutatie, RedenIntrekking
from gateway.service.jobs import (
    Runtime,
    queue_change,
    queue_precheck,
    queue_withdrawal,
    reconcile_now,
    row_summary,
    send,
    utc_now,
)
from gateway.settings import check_settings, load_settings
from gateway.store import State

USAGE_ERROR = 2
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="instellingen (TOML); standaard verzuim.toml")
]
FormatOption = Annotated[str, typer.Option("--format", help="table of json")]
pki_app = typer.Typer(help="Test-PKI voor de simulator en de demo.", no_args_is_help=True)
outbox_app = typer.Typer(help="De outbox bekijken.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the verbs of this module to the ``verzuim`` app."""
    app.add_typer(pki_app, name="pki")
    app.add_typer(outbox_app, name="outbox")
    for command in (simulator, queue, send_command, change, withdraw, reconcile, status):
        name = "send" if command is send_command else command.__name__
        app.command(name=name)(command)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"fout: {message}", markup=False, highlight=False)
    return typer.Exit(USAGE_ERROR)


def _runtime(config: Path | None, check_transport: bool = False) -> Runtime:
    try:
        settings = load_settings(config)
        configure_logging(settings.logging.level, settings.logging.format)
        if check_transport:
            result = check_settings(settings, utc_now())
            for warning in result.warnings:
                Console(stderr=True).print(f"waarschuwing: {warning}", markup=False)
            result.raise_for_errors()
        return Runtime.open(settings)
    except GatewayError as exc:
        raise _fail(str(exc)) from None


@pki_app.command("init")
def pki_init(
    directory: Annotated[Path, typer.Argument(help="map voor de sleutels en certificaten")],
    oin: Annotated[str | None, typer.Option(help="OIN van de school (20 cijfers)")] = None,
) -> None:
    """Maak een test-CA met server- en clientcertificaat (OIN in subject.serialNumber).

    Voorbeeld: verzuim pki init pki/
    """
    from gateway.pki import pki_init_command

    try:
        print(pki_init_command(directory, oin))
    except GatewayError as exc:
        raise _fail(str(exc)) from None


def simulator(
    pki: Annotated[Path, typer.Option(help="map van verzuim pki init")],
    host: str = "127.0.0.1",
    port: int = 8443,
    db: Annotated[Path, typer.Option(help="SQLite-bestand van de simulator")] = Path(
        "simulator.db"
    ),
    seed: Annotated[int | None, typer.Option(help="zaad voor fouten en gemeente")] = None,
    page_size: int = 100,
    fail_rate: float = 0.0,
    latency_ms: Annotated[
        int, typer.Option(help="antwoordtijd van DUO in ms (verwerking valt erbinnen)")
    ] = 0,
    timeout_rate: float = 0.0,
    timeout_seconds: float = 30.0,
    drop_after_commit_rate: float = 0.0,
    reset_rate: float = 0.0,
    malformed_rate: float = 0.0,
    dedupe: Annotated[
        bool, typer.Option("--dedupe/--no-dedupe", help="herhaald document-id niet opnieuw")
    ] = False,
    behandeling_after: Annotated[
        float, typer.Option(help="seconden tot status B; negatief = uit")
    ] = 60.0,
    afsluiting_after: Annotated[
        float, typer.Option(help="seconden tot status G/K; negatief = uit")
    ] = 300.0,
    profiel: Annotated[
        str, typer.Option(help="2W-be (alleen TLS) of 2W-be-S (ook WS-Security-handtekeningen)")
    ] = "2W-be",
) -> None:
    """Start de meegeleverde DUO-simulator (SOAP over wederzijds TLS).

    Met --profiel 2W-be-S controleert hij de handtekening van elk verzoek en ondertekent hij
    zijn antwoorden met pki/duo-sign.pem.
    Voorbeeld: verzuim simulator --pki pki/ --port 8443 --seed 1 --fail-rate 0.1
    Voorbeeld: verzuim simulator --pki pki/ --profiel 2W-be-S
    """
    from gateway.simulator.options import FaultRates, SimulatorOptions
    from gateway.simulator.server import run_simulator

    try:
        options = SimulatorOptions(
            pki=pki,
            host=host,
            port=port,
            db=db,
            seed=seed,
            page_size=page_size,
            dedupe=dedupe,
            faults=FaultRates(
                fail_rate=fail_rate,
                latency_ms=latency_ms,
                timeout_rate=timeout_rate,
                timeout_seconds=timeout_seconds,
                drop_after_commit_rate=drop_after_commit_rate,
                reset_rate=reset_rate,
                malformed_rate=malformed_rate,
            ),
            behandeling_after=behandeling_after if behandeling_after >= 0 else None,
            afsluiting_after=afsluiting_after if afsluiting_after >= 0 else None,
            profiel=profiel,
        ).checked()
        run_simulator(options)
    except GatewayError as exc:
        raise _fail(str(exc)) from None


def queue(
    students: Annotated[Path, typer.Option(help="leerlingen.csv")],
    registrations: Annotated[list[Path], typer.Option(help="lesregistraties.csv (herhaalbaar)")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="peildatum JJJJ-MM-DD")] = None,
    config: ConfigOption = None,
) -> None:
    """Pre-check een export tegen de bekende meldingen en zet de voorstellen in de outbox.

    Idempotent: dezelfde melding (leerling, soort, begindatum) komt er maar een keer in.
    Voorbeeld: verzuim queue --students leerlingen.csv --registrations lesregistraties.csv
    """
    runtime = _runtime(config)
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
        report = queue_precheck(runtime, students, registrations, day, utc_now())
    except ValueError:
        raise _fail(f"--as-of {as_of!r}: verwacht JJJJ-MM-DD") from None
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    print(f"{len(report.created)} nieuw in de outbox, {len(report.existing)} stonden er al")
    if report.rejected_before:
        ids = ", ".join(str(outbox_id) for outbox_id in report.rejected_before)
        print(
            f"{len(report.rejected_before)} niet opnieuw: DUO wees precies dit verzoek eerder af "
            f"(outbox {ids}); verbeter de gegevens of de melding"
        )
    for reason in report.skipped:
        print(f"niet in de outbox: {reason}")


def send_command(
    once: Annotated[bool, typer.Option("--once", help="een ronde en stoppen")] = False,
    interval: Annotated[float, typer.Option(help="seconden tussen rondes")] = 30.0,
    config: ConfigOption = None,
) -> None:
    """Verstuur wat klaarstaat, met herhaalpogingen; stem onbekende uitkomsten af met DUO.

    Voorbeeld: verzuim send --once
    """
    runtime = _runtime(config, check_transport=True)
    while True:
        try:
            report = aio.run(send(runtime, utc_now))
        except GatewayError as exc:
            raise _fail(str(exc)) from None
        print(
            f"verstuurd: {report.accepted} geaccepteerd, {report.rejected} geweigerd, "
            f"{report.retried} later opnieuw, {report.unknown} onbekend, "
            f"{report.security} beveiligingsfout"
        )
        if report.reconcile is not None:
            r = report.reconcile
            print(f"afgestemd: {r.resolved_accepted} gevonden, {r.resolved_requeued} opnieuw")
        if once:
            return
        time.sleep(interval)


def change(
    outbox_id: Annotated[int, typer.Argument(help="outbox-id van de melding")],
    einddatum: Annotated[str | None, typer.Option(help="JJJJ-MM-DD")] = None,
    vermoedelijke_reden: Annotated[str, typer.Option()] = "",
    acties: Annotated[str, typer.Option(help="ondernomen acties")] = "",
    toelichting: Annotated[str, typer.Option()] = "",
    config: ConfigOption = None,
) -> None:
    """Zet een wijziging van een geregistreerde melding in de outbox.

    Voorbeeld: verzuim change 12 --einddatum 2024-11-08
    """
    runtime = _runtime(config)
    try:
        end = dt.date.fromisoformat(einddatum) if einddatum else None
    except ValueError:
        raise _fail(f"--einddatum {einddatum!r}: verwacht JJJJ-MM-DD") from None
    if end is None and not (vermoedelijke_reden or acties or toelichting):
        raise _fail("geef minstens een van --einddatum, --vermoedelijke-reden, --acties, "
                    "--toelichting")  # fmt: skip
    mutation = MeldingMutatie("", end, vermoedelijke_reden, acties, toelichting)
    try:
        new_id = queue_change(runtime, outbox_id, mutation, utc_now())
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    print(f"wijziging in de outbox als rij {new_id}")


def withdraw(
    outbox_id: Annotated[int, typer.Argument(help="outbox-id van de melding")],
    reden: Annotated[RedenIntrekking, typer.Option(help="reden van intrekking (V12)")],
    toelichting: Annotated[str, typer.Option()] = "",
    config: ConfigOption = None,
) -> None:
    """Trek een geregistreerde melding in (niet als ze afgesloten of al ingetrokken is, V12).

    Voorbeeld: verzuim withdraw 12 --reden DUBBEL --toelichting "twee keer gemeld"
    """
    runtime = _runtime(config)
    try:
        new_id = queue_withdrawal(runtime, outbox_id, reden, toelichting, utc_now())
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    print(f"intrekking in de outbox als rij {new_id}")


def reconcile(config: ConfigOption = None) -> None:
    """Haal statuswijzigingen bij DUO op en los onbekende uitkomsten op.

    Voorbeeld: verzuim reconcile
    """
    runtime = _runtime(config, check_transport=True)
    try:
        report = aio.run(reconcile_now(runtime, utc_now))
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    print(
        f"{report.pages} pagina's, {report.changes} wijzigingen, {report.statuses_applied} "
        f"statussen bijgewerkt, {report.resolved_accepted} onbekend -> geaccepteerd, "
        f"{report.resolved_requeued} onbekend -> opnieuw in de wachtrij"
    )


def status(output_format: FormatOption = "table", config: ConfigOption = None) -> None:
    """Aantallen per toestand, oudste wachtende melding en de laatste fouten.

    Voorbeeld: verzuim status --format json
    """
    runtime = _runtime(config)
    store = runtime.store
    now = utc_now()
    oldest = store.oldest_pending(now)
    document: dict[str, Any] = {
        "per_toestand": {state.value: count for state, count in store.counts().items()},
        "oudste_wachtende": oldest.isoformat() if oldest else None,
        "laatste_fouten": [row_summary(row) for row in store.last_errors(10)],
    }
    if output_format == "json":
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    console = Console()
    for state, count in document["per_toestand"].items():
        console.print(f"{state:10} {count}")
    console.print(f"oudste wachtende: {document['oudste_wachtende'] or '-'}")
    for row in document["laatste_fouten"]:
        console.print(f"  rij {row['id']} ({row['toestand']}): {row['fout']}", markup=False)


@outbox_app.command("list")
def outbox_list(
    state: Annotated[str | None, typer.Option(help="alleen deze toestand")] = None,
    limit: int = 100,
    output_format: FormatOption = "table",
    config: ConfigOption = None,
) -> None:
    """Toon de rijen van de outbox (zonder BSN).

    Voorbeeld: verzuim outbox list --state rejected --format json
    """
    runtime = _runtime(config)
    try:
        wanted = State(state) if state else None
    except ValueError:
        raise _fail(f"--state: kies uit {', '.join(s.value for s in State)}") from None
    rows = runtime.store.list(wanted, limit=limit)
    if output_format == "json":
        json.dump([row_summary(row) for row in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    table = Table("id", "actie", "leerling", "code", "begin", "eind", "toestand", "DUO-nr",
                  "DUO-status", "pogingen")  # fmt: skip
    for row in rows:
        item = row_summary(row)
        table.add_row(
            *(str(item[key] or "") for key in ("id", "actie", "leerlingnummer", "code",
                                               "begindatum", "einddatum", "toestand",
                                               "duo_nummer", "duo_status", "pogingen"))
        )  # fmt: skip
    Console().print(table)
