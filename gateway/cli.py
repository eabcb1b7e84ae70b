"""The ``verzuim`` command: one verb per job, thin, calling the layers of the gateway.

Exit codes: 0 when the job completed (also with rejected rows or meldingen, which are reported),
2 for unusable arguments, configuration or input files, with a message that says what to fix.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import TaskID

from gateway.cli_outbox import register as register_outbox_verbs
from gateway.errors import GatewayError
from gateway.logging import configure_logging
from gateway.messages.commands import Operation
from gateway.pipeline import PrecheckRun, run_precheck
from gateway.render import precheck_json_bytes, print_precheck_table

app = typer.Typer(
    help="verzuim-gateway: meld ongeoorloofd verzuim bij DUO (machinekoppeling).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _start() -> None:
    """Logging first: every line goes through the redacting processors (no BSN, no names)."""
    configure_logging(
        os.environ.get("VERZUIM_LOGGING__LEVEL", "INFO"),
        os.environ.get("VERZUIM_LOGGING__FORMAT", "auto"),
    )


USAGE_ERROR = 2


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _fail(message: str) -> NoReturn:
    Console(stderr=True).print(f"fout: {message}", markup=False, highlight=False)
    raise typer.Exit(USAGE_ERROR)


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"--as-of {value!r}: verwacht een datum JJJJ-MM-DD")


ExistingFile = Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True)]


@app.command()
def precheck(
    school: Annotated[Path, typer.Option(help="schoolbestand (TOML)")],
    registrations: Annotated[
        list[Path], typer.Option(help="lesregistraties.csv of bestanden van het SIS (herhaalbaar)")
    ],
    students: Annotated[
        Path | None, typer.Option(help="leerlingen.csv (canoniek verplicht)")
    ] = None,
    adapter: Annotated[
        str, typer.Option(help="canonical, magister, somtoday, eduarte, dagverzuim of auto")
    ] = "canonical",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="peildatum JJJJ-MM-DD (standaard: laatste datum)")
    ] = None,
    history: Annotated[Path | None, typer.Option(help="eerder verstuurde meldingen (JSON)")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table of json")
    ] = OutputFormat.TABLE,
    xml: Annotated[
        Path | None,
        typer.Option("--xml", help="map: schrijf per melding een gevalideerd DUO-document"),
    ] = None,
) -> None:
    """Pas het regelboek toe op een export en toon de voorgestelde meldingen.

    Voorbeeld:

      verzuim precheck --school school.toml --students leerlingen.csv
      --registrations lesregistraties.csv --as-of 2024-10-20 --format json --xml uit/
    """
    for path in (school, *registrations, *(p for p in (students, history) if p is not None)):
        if not path.is_file():
            _fail(f"{path}: bestand niet gevonden")
    with _progress_bar():
        outcome = _run(
            lambda: run_precheck(
                school, students, registrations, _as_of(as_of), history, adapter, dt.date.today()
            )
        )
    if adapter == "auto":
        Console(stderr=True).print(f"adapter: {outcome.adapter} (herkend)", markup=False)
    if xml is not None:
        _write_documents(outcome, xml)
    if output_format is OutputFormat.JSON:
        sys.stdout.buffer.write(precheck_json_bytes(outcome.result, outcome.stats) + b"\n")
        sys.stdout.flush()
    else:
        print_precheck_table(Console(), outcome.result, outcome.stats)


@app.command()
def sample(out: Annotated[Path, typer.Option(help="map voor de voorbeeldschool")]) -> None:
    """Schrijf de voorbeeldschool (school.toml, leerlingen.csv, lesregistraties.csv,
    meldingen.json) in een map.

    Voorbeeld: verzuim sample --out voorbeeld
    """
    from gateway.sample.generate import write_sample_school

    files = write_sample_school(out)
    Console().print(f"voorbeeldschool geschreven in {files.school.parent}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="map voor de uitvoer")] = Path("demo-output"),
) -> None:
    """Draai de hele keten op de ingebouwde standaardinstellingen: voorbeeldschool, pre-check,
    outbox, de meegeleverde DUO-simulator over wederzijds TLS, versturen, een ronde
    statuswijzigingen van de gemeente, afstemmen, en een samenvatting.

    Schrijft in de uitvoermap: precheck.json, xml/ (de verstuurde documenten), outbox.json,
    verzuim.log (JSON-logregels), pki/, verzuim.toml en de invoer in voorbeeldschool/.
    Voorbeeld: verzuim demo --out demo-output
    """
    from gateway.sample.generate import write_sample_school
    from gateway.service.demo import run_chain

    out.mkdir(parents=True, exist_ok=True)
    log_file = out / "verzuim.log"
    log_stream = log_file.open("w", encoding="utf-8")
    try:
        configure_logging("INFO", "json", stream=log_stream)
        files = write_sample_school(out / "voorbeeldschool")
        outcome = _run(
            lambda: run_precheck(
                files.school, files.leerlingen, [files.lesregistraties], None, files.meldingen
            )
        )
        console = Console()
        print_precheck_table(console, outcome.result, outcome.stats)
        _write_documents(outcome, out / "xml")
        target = out / "precheck.json"
        target.write_bytes(precheck_json_bytes(outcome.result, outcome.stats, indent=True))
        console.rule("Versturen naar de DUO-simulator")
        try:
            report = run_chain(files, out)
        except GatewayError as exc:
            _fail(str(exc))
        _print_chain(console, report)
        console.print(
            f"Uitvoer in {out}: precheck.json, xml/, outbox.json, verzuim.log",
            soft_wrap=True,
            markup=False,
        )
    finally:
        log_stream.close()


def _print_chain(console: Console, report: object) -> None:
    from rich.table import Table

    from gateway.service.demo import DemoReport

    assert isinstance(report, DemoReport)
    table = Table(title="Keten: outbox en DUO", title_justify="left")
    table.add_column("stap")
    table.add_column("aantal", justify="right")
    queued, sent, rec = report.queued, report.sent, report.reconciled
    rows = [
        ("in de outbox gezet", len(queued.created) if queued else 0),
        ("stond er al", len(queued.existing) if queued else 0),
        ("geaccepteerd door DUO", sent.accepted if sent else 0),
        ("geweigerd door DUO (DC0002)", sent.rejected if sent else 0),
        ("later opnieuw", sent.retried if sent else 0),
        ("uitkomst onbekend", sent.unknown if sent else 0),
        ("meldingen bij de simulator", report.at_simulator),
        ("statuswijzigingen opgehaald", rec.statuses_applied if rec else 0),
    ]
    rows += [
        (f"outbox toestand {state}", count) for state, count in sorted(report.per_state.items())
    ]
    rows += [
        (f"DUO-status {status}", count) for status, count in sorted(report.per_duo_status.items())
    ]
    for label, count in rows:
        table.add_row(label, str(count))
    console.print(table)


@app.command(name="import")
def import_export(
    files: Annotated[list[Path], typer.Argument(help="de bestanden van het SIS")],
    school: Annotated[Path, typer.Option(help="schoolbestand (TOML)")],
    out: Annotated[Path, typer.Option(help="map voor de canonieke bestanden")],
    adapter: Annotated[
        str, typer.Option(help="canonical, magister, somtoday, eduarte, dagverzuim of auto")
    ] = "auto",
    students: Annotated[Path | None, typer.Option(help="leerlingen.csv, waar nodig")] = None,
) -> None:
    """Lees een export van een SIS en schrijf de canonieke leerlingen.csv, lesregistraties.csv
    en afwijzingen.csv (elke afgewezen regel met reden).

    Voorbeeld: verzuim import --adapter magister --school school.toml absenties/*.json
    --students leerlingen.csv --out canoniek/
    """
    from adapters.export import write_canonical
    from adapters.registry import load_export
    from gateway.school import load_school

    for path in (school, *files, *([students] if students else [])):
        if not path.is_file():
            _fail(f"{path}: bestand niet gevonden")
    try:
        config = load_school(school)
        chosen, export = load_export(adapter, config, files, students, dt.date.today())
        write_canonical(export, config.brin, config.vestiging, out)
    except GatewayError as exc:
        _fail(str(exc))
    console = Console()
    console.print(f"adapter: {chosen}", markup=False)
    for item in export.stats:
        console.print(
            f"{item.bestand} ({item.encoding}): {item.read} gelezen = {item.accepted} "
            f"geaccepteerd + {item.rejected} afgewezen + {item.of_rejected_pupils} van "
            "afgewezen leerlingen",
            markup=False,
            soft_wrap=True,
        )
    console.print(
        f"{len(export.students)} leerlingen, {export.registrations.height} registraties, "
        f"{len(export.rejections)} afwijzingen -> {out}",
        markup=False,
        soft_wrap=True,
    )


@app.command()
def build(
    school: Annotated[Path, typer.Option(help="schoolbestand (TOML)")],
    melding: Annotated[Path, typer.Option(help="melding als JSON (zie xsd/examples/)")],
    operation: Annotated[
        Operation, typer.Option(help="melden, mutatie of intrekken")
    ] = Operation.MELDEN,
) -> None:
    """Maak het gevalideerde DUO-verzoek voor een melding, wijziging of intrekking.

    Voorbeeld: verzuim build --school school.toml --melding melding.json --operation melden
    """
    from gateway.messages.commands import run_build

    result = run_build(
        school, melding, operation, document_id=uuid.uuid4(), now=dt.datetime.now(dt.UTC)
    )
    _finish(result.exit_code, result.stdout, result.stderr)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="XML-documenten")],
) -> None:
    """Valideer XML-documenten tegen de schema's in xsd/; elke fout met pad en regel.

    Exitcode 0 als alles geldig is, 1 anders. Voorbeeld: verzuim validate uit/*.xml
    """
    from gateway.messages.commands import run_validate

    result = run_validate(files)
    _finish(result.exit_code, result.stdout, result.stderr)


def _finish(exit_code: int, stdout: str, stderr: str) -> None:
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    raise typer.Exit(exit_code)


def _write_documents(outcome: PrecheckRun, out_dir: Path) -> None:
    from gateway.documents import write_melding_documents

    try:
        written = write_melding_documents(
            outcome.result, outcome.students, outcome.school, out_dir, dt.datetime.now(dt.UTC)
        )
    except GatewayError as exc:
        _fail(str(exc))
    Console(stderr=True).print(
        f"{len(written)} DUO-documenten geschreven naar {out_dir}", soft_wrap=True, markup=False
    )


@contextmanager
def _progress_bar() -> Iterator[None]:
    """A rich progress bar per input file on a terminal; nothing in logs and pipes."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.progress import Progress

    from adapters.progress import listening

    with Progress(console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def show(source: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(f"lezen {source}", total=total)
            bar.update(tasks[source], completed=done)

        with listening(show):
            yield


def _run(job: Callable[[], PrecheckRun]) -> PrecheckRun:
    try:
        return job()
    except GatewayError as exc:
        _fail(str(exc))


register_outbox_verbs(app)
