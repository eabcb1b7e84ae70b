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
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import TaskID

from gateway.cli_cert import register as register_cert_verbs
from gateway.cli_demo import register as register_demo_verbs
from gateway.cli_outbox import register as register_outbox_verbs
from gateway.cli_report import register as register_report_verbs
from gateway.cli_serve import register as register_serve_verbs
from gateway.cli_sync import register as register_sync_verbs
from gateway.cli_worker import register as register_worker_verbs
from gateway.errors import GatewayError
from gateway.logging import configure_logging
from gateway.messages.commands import Operation
from gateway.pipeline import PrecheckInputs, PrecheckRun, assess, read_inputs
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
_T = TypeVar("_T")


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
    # No name keeps the inputs (the registration frame) alive while the output is written.
    outcome = _run(
        lambda: assess(
            read_precheck_inputs(school, registrations, students, adapter, as_of, history)
        )
    )
    if xml is not None:
        _write_documents(outcome, xml)
    if output_format is OutputFormat.JSON:
        sys.stdout.buffer.write(precheck_json_bytes(outcome.result, outcome.stats) + b"\n")
        sys.stdout.flush()
    else:
        print_precheck_table(Console(), outcome.result, outcome.stats)


def read_precheck_inputs(
    school: Path,
    registrations: list[Path],
    students: Path | None,
    adapter: str,
    as_of: str | None,
    history: Path | None,
) -> PrecheckInputs:
    """The inputs of ``verzuim precheck`` (also read by ``uitleg`` and ``report``): the files
    checked, read with a progress bar on a terminal; ``auto`` says which adapter it chose. Exit 2
    with a message that says what to fix."""
    for path in (school, *registrations, *(p for p in (students, history) if p is not None)):
        if not path.is_file():
            _fail(f"{path}: bestand niet gevonden")
    with _progress_bar():
        inputs = _run(
            lambda: read_inputs(
                school, students, registrations, _as_of(as_of), history, adapter, dt.date.today()
            )
        )
    if adapter == "auto":
        Console(stderr=True).print(f"adapter: {inputs.adapter} (herkend)", markup=False)
    return inputs


class SampleFormat(StrEnum):
    CANONIEK = "canoniek"
    VENDOR = "vendor"


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="map voor de voorbeeldschool")],
    formaat: Annotated[
        SampleFormat,
        typer.Option(
            "--formaat",
            help="canoniek: de VO-voorbeeldschool in de canonieke bestanden; vendor: de twee "
            "demoscholen in SIS-formaten (VO als Magister-export, PO als dagverzuim.csv)",
        ),
    ] = SampleFormat.CANONIEK,
) -> None:
    """Schrijf de voorbeeldschool (school.toml, leerlingen.csv, lesregistraties.csv,
    meldingen.json) in een map, of met --formaat vendor de twee demoscholen in SIS-formaten.

    Voorbeeld: verzuim sample --out voorbeeld --formaat vendor
    """
    if formaat is SampleFormat.VENDOR:
        from gateway.sample.vendor import write_demo_schools

        schools = write_demo_schools(out)
        console = Console()
        for school in schools.schools:
            inputs = " ".join(f"--registrations {p}" for p in school.registrations)
            console.print(
                f"{school.naam} ({school.sector}) geschreven in {school.directory}; lees met:\n"
                f"  verzuim precheck --adapter {school.adapter} --school {school.school} "
                f"--students {school.students} {inputs}",
                markup=False,
                soft_wrap=True,
            )
        return
    from gateway.sample.generate import write_sample_school

    files = write_sample_school(out)
    Console().print(f"voorbeeldschool geschreven in {files.school.parent}")


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


def _run(job: Callable[[], _T]) -> _T:
    try:
        return job()
    except GatewayError as exc:
        _fail(str(exc))


register_demo_verbs(app)
register_outbox_verbs(app)
register_report_verbs(app)
register_cert_verbs(app)
register_serve_verbs(app)
register_sync_verbs(app)
register_worker_verbs(app)
