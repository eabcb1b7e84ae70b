"""The ``verzuim`` verbs of issue 8: ``uitleg`` (explain one pupil's outcome) and ``report``
(the HTML or Markdown report). Both read the same inputs as ``verzuim precheck``, through
``gateway.cli.read_precheck_inputs``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from gateway.errors import GatewayError

if TYPE_CHECKING:
    from gateway.report.build import OutboxEntry

USAGE_ERROR = 2
SchoolOption = Annotated[Path, typer.Option(help="schoolbestand (TOML)")]
RegistrationsOption = Annotated[
    list[Path], typer.Option(help="lesregistraties.csv of bestanden van het SIS (herhaalbaar)")
]
StudentsOption = Annotated[Path | None, typer.Option(help="leerlingen.csv (canoniek verplicht)")]
AdapterOption = Annotated[
    str, typer.Option(help="canonical, magister, somtoday, eduarte, dagverzuim of auto")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="peildatum JJJJ-MM-DD (standaard: laatste datum)")
]
HistoryOption = Annotated[Path | None, typer.Option(help="eerder verstuurde meldingen (JSON)")]


def register(app: typer.Typer) -> None:
    """Add ``uitleg`` and ``report`` to the ``verzuim`` app."""
    app.command(name="uitleg")(uitleg)
    app.command(name="report")(report)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"fout: {message}", markup=False, highlight=False)
    return typer.Exit(USAGE_ERROR)


def uitleg(
    leerlingnummer: Annotated[str, typer.Argument(help="het leerlingnummer")],
    school: SchoolOption,
    registrations: RegistrationsOption,
    students: StudentsOption = None,
    adapter: AdapterOption = "canonical",
    as_of: AsOfOption = None,
    history: HistoryOption = None,
) -> None:
    """Leg voor één leerling uit hoe het regelboek tot zijn meldingen komt: de plicht, het
    gewicht van elke getelde registratie, elk venster met zijn som, de reeksen en per melding de
    regels en de feiten die beslisten. Dezelfde invoer als verzuim precheck.

    Voorbeeld:

      verzuim uitleg 100001 --school school.toml --students leerlingen.csv
      --registrations lesregistraties.csv --history meldingen.json
    """
    from gateway.cli import read_precheck_inputs
    from gateway.rules.explain import explain, render_text

    inputs = read_precheck_inputs(school, registrations, students, adapter, as_of, history)
    export = inputs.export
    known_pupils = (
        set(export.students)
        | {k.leerlingnummer for k in inputs.known}
        | {r.leerlingnummer for r in export.rejections if r.leerlingnummer}
    )
    if leerlingnummer not in known_pupils:
        raise _fail(
            f"leerlingnummer {leerlingnummer!r} komt niet voor in {students or 'de invoer'}, "
            "de registraties of de eerdere meldingen; controleer het nummer"
        )
    if inputs.peildatum is None:
        raise _fail("geen registraties gelezen: er is niets uit te leggen (geef --as-of?)")
    explanation = explain(
        inputs.school,
        leerlingnummer,
        export.students.get(leerlingnummer),
        export.registrations,
        inputs.known,
        inputs.peildatum,
        export.rejections,
    )
    sys.stdout.write(render_text(explanation))


def report(
    out: Annotated[Path, typer.Option(help="uitvoerbestand (.html of .md)")],
    school: SchoolOption,
    registrations: RegistrationsOption,
    students: StudentsOption = None,
    adapter: AdapterOption = "canonical",
    as_of: AsOfOption = None,
    history: HistoryOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="html (één zelfstandig bestand) of md (voor e-mail)")
    ] = "html",
    config: Annotated[
        Path | None,
        typer.Option("--config", help="instellingen (TOML): neem de toestand van de outbox op"),
    ] = None,
) -> None:
    """Schrijf het rapport: meldingen per soort en status, termijnen, per leerling met een
    melding een tijdlijn en de uitleg, de afgewezen regels en de regels van het regelboek.

    Voorbeeld:

      verzuim report --out rapport.html --school school.toml --students leerlingen.csv
      --registrations lesregistraties.csv --history meldingen.json
    """
    from gateway.cli import read_precheck_inputs
    from gateway.pipeline import assess
    from gateway.report import write_report
    from gateway.report.build import FORMATS

    if output_format not in FORMATS:
        raise _fail(f"--format {output_format!r}: kies html of md")
    entries: list[OutboxEntry] | None = None
    if config is not None:
        entries = _outbox(config)
    inputs = read_precheck_inputs(school, registrations, students, adapter, as_of, history)
    try:
        written = write_report(inputs, assess(inputs), out, output_format, entries)
    except (GatewayError, OSError) as exc:
        raise _fail(f"{out}: rapport niet geschreven: {exc}") from None
    Console(stderr=True).print(f"rapport geschreven: {written}", markup=False, soft_wrap=True)


def _outbox(config: Path) -> list[OutboxEntry]:
    """Every outbox row of the store named in the settings (read a page at a time)."""
    from gateway.report import outbox_entries
    from gateway.settings import load_settings
    from gateway.store import open_store

    try:
        settings = load_settings(config)
        store = open_store(settings.store_url)
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    try:
        rows: list[object] = []
        while page := store.list(limit=1000, offset=len(rows)):
            rows.extend(page)
        return outbox_entries(rows)
    finally:
        store.close()
