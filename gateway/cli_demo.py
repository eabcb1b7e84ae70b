"""``verzuim demo`` (issue 8): the whole chain on the embedded defaults, with a summary table.

Thin: ``gateway.service.demo.run_demo`` does the work; this module sets up logging into the
output folder and prints what the demo did. Every number printed is also in
``samenvatting.json`` and agrees with the other files of the output folder.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway.errors import GatewayError
from gateway.logging import configure_logging

INTERRUPTED = 130


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``verzuim`` command."""
    app.command()(demo)


def demo(
    out: Annotated[Path, typer.Option(help="map voor de uitvoer")] = Path("demo-output"),
    profiel: Annotated[
        str, typer.Option(help="2W-be (alleen TLS) of 2W-be-S (ook WS-Security)")
    ] = "2W-be",
    seed: Annotated[int, typer.Option(help="zaad van de simulator (gemeente, nummers)")] = 1,
) -> None:
    """Draai de hele keten op de ingebouwde standaardinstellingen: twee voorbeeldscholen (VO uit
    Magister, basisschool uit een dagregister), de meegeleverde DUO-simulator over wederzijds TLS,
    verzuim sync --once (inlezen, pre-check, outbox, versturen, afstemmen), een ronde
    statuswijzigingen van de gemeente, nog een sync, en een samenvatting.

    Schrijft in de uitvoermap: rapport-<brin>.html en .md, xml/ (de verstuurde documenten),
    outbox.json, samenvatting.json, sync-runs/ (de samenvattingen van de runs), verzuim.log,
    verzuim.toml, pki/ en de invoer (scholen/, drop/). Kan opnieuw gedraaid worden.

    Voorbeeld: verzuim demo --out demo-output

    Voorbeeld: verzuim demo --profiel 2W-be-S   (ondertekend, antwoorden geverifieerd)
    """
    from gateway.service.demo import run_demo

    if profiel not in ("2W-be", "2W-be-S"):
        raise typer.BadParameter("kies 2W-be of 2W-be-S", param_hint="--profiel")
    out.mkdir(parents=True, exist_ok=True)
    console = Console()
    started = time.perf_counter()
    with (out / "verzuim.log").open("w", encoding="utf-8") as log_stream:
        configure_logging("INFO", "json", stream=log_stream)
        console.print(f"Demo ({profiel}): scholen, PKI en simulator klaarzetten; sync draait ...")
        try:
            with console.status("twee scholen door verzuim sync, gemeente, nog een sync"):
                report = run_demo(out, seed=seed, profiel=profiel)
        except KeyboardInterrupt:
            console.print("Onderbroken; de simulator is gestopt.")
            sys.exit(INTERRUPTED)
        except GatewayError as exc:
            console.print(f"fout: {exc}", markup=False)
            console.print("Zie verzuim.log in de uitvoermap voor de details.")
            sys.exit(1)
    _print_summary(console, report, out, time.perf_counter() - started)


def _print_summary(console: Console, report: object, out: Path, seconds: float) -> None:
    from gateway.service.demo import DemoReport

    assert isinstance(report, DemoReport)
    table = Table(title="Demo: per school", title_justify="left")
    table.add_column("")
    for school in report.scholen:
        table.add_column(f"{school.naam}\n{school.brin} ({school.adapter})", justify="right")

    def row(label: str, values: list[object]) -> None:
        table.add_row(label, *(str(v) for v in values))

    schools = report.scholen
    row("rijen gelezen", [s.rijen_gelezen for s in schools])
    row("  geaccepteerd", [s.rijen_geaccepteerd for s in schools])
    row("  afgewezen (met reden)", [s.rijen_afgewezen for s in schools])
    row("meldingen en wijzigingen voorgesteld", [s.meldingen_voorgesteld for s in schools])
    rules = sorted({rule for s in schools for rule in s.per_regel})
    for rule in rules:
        row(f"  {rule}", [s.per_regel.get(rule, 0) for s in schools])
    row("in de outbox", [s.in_outbox for s in schools])
    states = sorted({state for s in schools for state in s.per_toestand})
    for state in states:
        row(f"  toestand {state}", [s.per_toestand.get(state, 0) for s in schools])
    statuses = sorted({status for s in schools for status in s.per_duo_status})
    for status in statuses:
        row(f"  DUO-status {status}", [s.per_duo_status.get(status, 0) for s in schools])
    row("termijn verstreken (niet geaccepteerd)", [s.termijn_verlopen for s in schools])
    row("rapport", [s.rapport for s in schools])
    console.print(table)

    chain = Table(title="Demo: keten", title_justify="left")
    chain.add_column("")
    chain.add_column("aantal", justify="right")
    chain.add_row("nieuw in de outbox, eerste sync", str(report.eerste_run_nieuw))
    chain.add_row("nieuw in de outbox, tweede sync", str(report.tweede_run_nieuw))
    for outcome, count in sorted(report.verzonden.items()):
        chain.add_row(f"verzonden: {outcome}", str(count))
    chain.add_row("statuswijzigingen van de gemeente opgehaald", str(report.statuswijzigingen))
    chain.add_row("meldingen bij de DUO-simulator", str(report.bij_simulator))
    chain.add_row("verstuurde XML-documenten (xml/)", str(report.xml_documenten))
    console.print(chain)
    console.print(
        f"Klaar in {seconds:.1f} s. Uitvoer in {out}: {', '.join(report.bestanden)}",
        soft_wrap=True,
        markup=False,
    )
