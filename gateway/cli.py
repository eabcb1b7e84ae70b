"""The ``verzuim`` command: one verb per job, thin, calling the layers of the gateway.

Exit codes: 0 when the job completed (also with rejected rows or meldingen, which are reported),
2 for unusable arguments, configuration or input files, with a message that says what to fix.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
import typer.main
from rich.console import Console
from typer.core import TyperGroup

from gateway.errors import GatewayError
from gateway.logging import configure_logging
from gateway.pipeline import PrecheckInputs, PrecheckRun, assess, read_inputs
from gateway.render import precheck_json_bytes, print_precheck_table

if TYPE_CHECKING:
    from rich.progress import TaskID
    from typer import _click as click  # the click typer's commands are made of (types only)

# The verbs defined in other modules, in the order ``verzuim --help`` lists them. Each module has a
# ``register(app)``; they are imported only when one of their verbs (or the list) is needed.
LATER_VERBS = (
    "gateway.cli_documents",
    "gateway.cli_demo",
    "gateway.cli_outbox",
    "gateway.cli_report",
    "gateway.cli_cert",
    "gateway.cli_serve",
    "gateway.cli_sync",
    "gateway.cli_worker",
)


class Verbs(TyperGroup):
    """The verbs of ``verzuim``, the other modules' verbs registered on first use.

    The verbs of this module are there from the start. The others import the store, the sender,
    the service and the message layer (about a second of start-up on a small machine); they are
    registered when a name is not found here or when the list of all verbs is asked for (help, the
    suggestion for a typo, ``commands``), so ``verzuim precheck`` starts without them.
    """

    def __init__(self, **attrs: Any) -> None:
        self._complete = False
        super().__init__(**attrs)

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        """Every verb (the later ones registered first)."""
        if not self._complete:
            self._complete = True
            later = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            for module in LATER_VERBS:
                importlib.import_module(module).register(later)
            for name, command in typer.main.get_group(later).commands.items():
                self._verbs.setdefault(name, command)
        return self._verbs

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._verbs = value

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A verb of this module without registering the others; else any verb."""
        command = self._verbs.get(cmd_name)
        return command if command is not None else self.commands.get(cmd_name)


app = typer.Typer(
    cls=Verbs,
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
    with _collector_paused():
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch job.

    A large pre-check makes millions of objects (day facts, meldingen, their JSON) that live to
    the end and form no cycles; the collector would walk them again and again (about a tenth of
    the run) and free nothing. Reference counting still frees everything else as usual; the
    collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        with _progress_bar():
            chosen, export = load_export(adapter, config, files, students, dt.date.today())
        write_canonical(export, config.brin, config.vestiging, out)
    except GatewayError as exc:
        _fail(str(exc))
    console = Console()
    console.print(f"adapter: {chosen}", markup=False)
    for item in export.stats:
        # duplicates and ignored rows are part of accepted (issue 5: nothing silently dropped)
        parts = [f"{item.duplicates} dubbel (een latere regel telt)"] if item.duplicates else []
        parts += [f"{item.ignored} genegeerd (geen verzuim)"] if item.ignored else []
        console.print(
            f"{item.bestand} ({item.encoding}): {item.read} gelezen = {item.accepted} "
            f"geaccepteerd + {item.rejected} afgewezen + {item.of_rejected_pupils} van "
            "afgewezen leerlingen" + (f"; waarvan {' en '.join(parts)}" if parts else ""),
            markup=False,
            soft_wrap=True,
        )
    for warning in export.warnings:
        place = f"{warning.bestand} regel {warning.regelnummer}" if warning.regelnummer else ""
        console.print(
            f"[{warning.regel}] {place or warning.bestand or ''}: {warning.reden}",
            markup=False,
            soft_wrap=True,
        )
    console.print(
        f"{len(export.students)} leerlingen, {export.registrations.height} registraties, "
        f"{len(export.rejections)} afwijzingen, {len(export.warnings)} waarschuwingen -> {out}",
        markup=False,
        soft_wrap=True,
    )


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
