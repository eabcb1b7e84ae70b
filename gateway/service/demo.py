"""``make demo`` / ``verzuim demo`` (issue 8): the whole chain on the embedded defaults.

1. the two demo schools (``gateway.sample.vendor``: a VO school as a Magister export and a
   primary school as a ``dagverzuim`` day register, with every rule of the rule book, bad rows and
   pupils reaching LRV) are written to ``scholen/`` and copied into one drop folder per school;
2. a fresh test PKI (``pki/``; one vendor OIN that may send for both schools) and the bundled
   DUO simulator on a free loopback port, in a background thread of this process;
3. ``verzuim sync --once`` (``gateway.service.sync.run_sync``): import through the adapters,
   pre-check, outbox, send over mutual TLS, reconcile;
4. a round of municipality status changes at the simulator, then a second sync run: it queues
   nothing new and reconciles the new statuses;
5. ``demo-output/``: ``rapport-<brin>.html`` and ``.md`` per school, ``xml/`` (every document
   sent), ``outbox.json``, ``samenvatting.json`` (the numbers of the printed table), the sync run
   summaries, ``verzuim.log`` and the settings used.

The simulator is stopped in a ``finally``: an interrupted demo (Ctrl-C) leaves nothing running.
Each run starts from scratch in the output folder, so the demo can be run again.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adapters.registry import load_export
from gateway.history import load_history
from gateway.pipeline import assess, read_inputs
from gateway.pki import init_pki
from gateway.report import outbox_entries, write_report
from gateway.sample.vendor import DemoSchool, DemoSchools, write_demo_schools
from gateway.school import load_school
from gateway.service.jobs import row_summary
from gateway.service.sync import SyncSummary, run_sync
from gateway.service.sync_data import SchoolData
from gateway.settings import Settings, load_settings
from gateway.simulator.options import FaultRates, SimulatorOptions
from gateway.simulator.server import SimulatorServer
from gateway.simulator.store import NewMelding
from gateway.store import open_store
from gateway.store.records import OutboxRow

VENDOR_OIN = "00000001800000099000"
"""An OIN without a BRIN in it (prefix 00000001, like an SIS vendor's): one certificate may
send for both demo schools. A school's own OIN (00000007 + BRIN) only for its own BRIN."""
MUNICIPALITY_WAIT_SECONDS = 2.0
"""How long the simulated municipality gets to move registered meldingen to B, G or K."""
GENERATED = (
    "scholen", "drop", "pki", "sync-data", "sync-runs", "xml", "verzuim.db", "verzuim.db-wal",
    "verzuim.db-shm", "simulator.db", "simulator.db-wal", "simulator.db-shm", "verzuim.toml",
    "outbox.json", "samenvatting.json", "precheck.json", "voorbeeldschool",
)  # fmt: skip


@dataclass(slots=True)
class SchoolResult:
    """The numbers of one school in the summary table (all read back from the written files)."""

    naam: str
    brin: str
    adapter: str
    rijen_gelezen: int = 0
    rijen_geaccepteerd: int = 0
    rijen_afgewezen: int = 0
    meldingen_voorgesteld: int = 0
    per_regel: dict[str, int] = field(default_factory=dict)
    in_outbox: int = 0
    per_toestand: dict[str, int] = field(default_factory=dict)
    per_duo_status: dict[str, int] = field(default_factory=dict)
    termijn_verlopen: int = 0
    termijn_binnenkort: int = 0
    rapport: str = ""


@dataclass(slots=True)
class DemoReport:
    """What the demo did: per school, the two sync runs, the simulator's count, the files."""

    profiel: str
    scholen: list[SchoolResult] = field(default_factory=list)
    eerste_run_nieuw: int = 0
    tweede_run_nieuw: int = 0
    verzonden: dict[str, int] = field(default_factory=dict)
    statuswijzigingen: int = 0
    bij_simulator: int = 0
    xml_documenten: int = 0
    bestanden: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_demo(out: Path, *, seed: int = 1, profiel: str = "2W-be") -> DemoReport:
    """Run the whole chain into ``out`` (see the module docstring); the summary's numbers."""
    out = out.resolve()
    _clean(out)
    today = dt.datetime.now(dt.UTC).date()
    schools = write_demo_schools(out / "scholen", today=today)  # the sample's own seed
    drops = {
        school.brin: _fill_drop(school, out / "drop" / school.brin) for school in schools.schools
    }
    pki = init_pki(out / "pki", oin=VENDOR_OIN, overwrite=True)
    options = SimulatorOptions(
        pki=pki.directory,
        port=0,
        db=out / "simulator.db",
        seed=seed,
        faults=FaultRates(),
        behandeling_after=0.2,
        afsluiting_after=0.6,
        tick_seconds=0.1,
        log_level="warning",
        access_log=False,
        profiel=profiel,
    )
    server = SimulatorServer(options).start()
    try:
        _seed_history(server, schools)
        config = _write_config(out, schools, drops, server.base_url + "/verzuim/v1", profiel)
        settings = load_settings(config, env={})
        report = DemoReport(profiel=profiel)
        first = run_sync(settings, _now, once=True)
        time.sleep(MUNICIPALITY_WAIT_SECONDS)  # the simulated municipality handles meldingen
        second = run_sync(settings, _now, once=True)
        report.bij_simulator = len(server.simulator.store.all())
    finally:
        server.stop()
    _collect(report, settings, schools, first, second, out)
    return report


def _seed_history(server: SimulatorServer, schools: DemoSchools) -> None:
    """DUO already holds the meldingen a school made before it used the gateway (its history
    file): put them in the simulator's register under their own numbers, so that an R-EINDE
    change of one of them finds it, as it would at DUO."""
    for school in schools.schools:
        if school.history is None:
            continue
        config = load_school(school.school)
        _, export = load_export(school.adapter, config, list(school.inputs), None, None)
        for known in load_history(school.history):
            student = export.students.get(known.leerlingnummer)
            if not known.nummer or student is None:
                continue
            melding = NewMelding(
                document_id=f"historie-{known.nummer}",
                brin=config.brin,
                vestiging=config.vestiging,
                bsn=student.bsn,
                onderwijsnummer=student.onderwijsnummer,
                code=known.code,
                herhaal=known.herhaal,
                begindatum=known.begindatum,
                einddatum=known.einddatum,
                leerlingnummer=known.leerlingnummer,
            )
            server.simulator.store.register_existing(melding, known.nummer, known.status)


def _clean(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in GENERATED:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    for stale in [*out.glob("rapport-*.html"), *out.glob("rapport-*.md")]:
        stale.unlink()


def _fill_drop(school: DemoSchool, drop: Path) -> Path:
    """Copy the school's export into its drop folder, as the SIS would deliver it."""
    drop.mkdir(parents=True, exist_ok=True)
    for source in school.inputs:
        shutil.copy2(source, drop / source.name)
    return drop


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_config(
    out: Path, schools: DemoSchools, drops: dict[str, Path], endpoint: str, profiel: str
) -> Path:
    pki = out / "pki"
    lines = [
        "# Demo settings written by `verzuim demo` (test PKI, bundled simulator).",
        f'store_url = "sqlite:///{out / "verzuim.db"}"',
        "[duo]",
        f'endpoint = "{endpoint}"',
        f'client_cert = "{pki / "client.pem"}"',
        f'client_key = "{pki / "client-key.pem"}"',
        f'trust_bundle = "{pki / "ca.pem"}"',
        f'oin = "{VENDOR_OIN}"',
        "timeout_seconds = 10",
        "concurrency = 8",
        f'profiel = "{profiel}"',
        f'duo_cert = "{pki / "duo-sign.pem"}"',
        "[logging]",
        'level = "INFO"',
        "[sync]",
        f'summary_dir = "{out / "sync-runs"}"',
        f'data_dir = "{out / "sync-data"}"',
        "settle_seconds = 0  # the demo writes its files just before the run",
    ]
    for school in schools.schools:
        lines += ["[[sync.schools]]", f'school = "{school.school}"']
        if school.history is not None:
            lines.append(f'history = "{school.history}"')
        lines.append(
            f'sources = [{{ adapter = "{school.adapter}", drop = "{drops[school.brin]}" }}]'
        )
    config = out / "verzuim.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _collect(
    report: DemoReport,
    settings: Settings,
    schools: DemoSchools,
    first: SyncSummary,
    second: SyncSummary,
    out: Path,
) -> None:
    """Write the outputs and fill the summary from them (so the table agrees with the files)."""
    store = open_store(settings.store_url)
    try:
        rows = store.list(None, limit=1_000_000)
    finally:
        store.close()
    outbox_file = out / "outbox.json"
    outbox_file.write_text(
        json.dumps([row_summary(row) for row in rows], ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    report.xml_documenten = _write_documents(rows, out / "xml")
    report.eerste_run_nieuw = sum(s.nieuw_in_outbox for s in first.scholen)
    report.tweede_run_nieuw = sum(s.nieuw_in_outbox for s in second.scholen)
    report.verzonden = dict(Counter(first.verzonden) + Counter(second.verzonden))
    report.statuswijzigingen = first.afgestemd.get("statuses_applied", 0) + second.afgestemd.get(
        "statuses_applied", 0
    )
    by_brin = {s.brin: s for s in first.scholen}
    later = {s.brin: s for s in second.scholen}
    for school in schools.schools:
        imported = by_brin[school.brin]
        mine = [row for row in rows if row.brin == school.brin]
        result = SchoolResult(school.naam, school.brin, school.adapter)
        result.rijen_gelezen = sum(f.gelezen for f in imported.bestanden)
        result.rijen_geaccepteerd = sum(f.geaccepteerd for f in imported.bestanden)
        result.rijen_afgewezen = sum(
            f.afgewezen + f.van_afgewezen_leerlingen for f in imported.bestanden
        )
        result.meldingen_voorgesteld = imported.voorgesteld
        result.per_regel = {rule: c["voorgesteld"] for rule, c in imported.regels.items()}
        result.in_outbox = len(mine)
        result.per_toestand = dict(Counter(row.state.value for row in mine))
        result.per_duo_status = dict(
            Counter(row.duo_status.value for row in mine if row.duo_status is not None)
        )
        result.termijn_verlopen = len(later[school.brin].termijn_verlopen)
        result.termijn_binnenkort = len(later[school.brin].termijn_binnenkort)
        result.rapport = _write_reports(settings, school, mine, out).name
        report.scholen.append(result)
    report.bestanden = sorted(
        {p.name for p in out.iterdir() if p.name not in {"scholen", "drop", "pki", "sync-data"}}
        | {"samenvatting.json"}
    )
    (out / "samenvatting.json").write_text(
        json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _write_documents(rows: list[OutboxRow], folder: Path) -> int:
    """Every document that went to DUO (accepted, rejected or of unknown outcome), as sent."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for row in rows:
        if row.attempts == 0:
            continue
        name = f"{row.id:05d}-{row.operation.value}-{row.brin}-{row.leerlingnummer}.xml"
        (folder / name).write_bytes(row.xml)
        written += 1
    return written


def _write_reports(
    settings: Settings, school: DemoSchool, rows: list[OutboxRow], out: Path
) -> Path:
    """``rapport-<brin>.html`` and ``.md`` over the school's stored data and its outbox rows."""
    vestiging = load_school(school.school).vestiging
    data = SchoolData(settings.sync.data_dir / f"{school.brin}-{vestiging}")
    students, registrations = data.students_path(), data.registrations_path()
    assert students is not None and registrations is not None  # the first run stored them
    inputs = read_inputs(school.school, students, [registrations], None, school.history)
    run = assess(inputs)
    entries = outbox_entries(rows)
    html = write_report(inputs, run, out / f"rapport-{school.brin}.html", "html", entries)
    write_report(inputs, run, out / f"rapport-{school.brin}.md", "md", entries)
    return html
