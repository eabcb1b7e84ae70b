"""The scheduled sync (``verzuim sync``, issue 6): the whole job for every school of the settings.

Per school, under that school's lease (``sync_lease.py``; a school another sync holds is skipped
and reported as ``bezet``):

1. **import**: read each source with its adapter, a drop folder's ready files as one batch
   (``sync_data.py``); rows that are refused become afwijzingen and the rest goes on;
2. **store**: merge what was read into the school's canonical data (atomically), and only then
   move the drop files to ``verwerkt/<run>/`` beside ``afwijzingen.csv`` of the run;
3. **pre-check and queue**: the rule book over the *whole* stored period against the meldingen
   the store already knows (``jobs.queue_precheck``: never proposes what is queued or sent; V09,
   R-EINDE), and queue the new meldingen and R-EINDE changes; idempotent on the natural key.

Then, for all schools at once: **send** what is due and **reconcile** (``worker.run_worker``
with ``once=True`` for the first school, ``jobs.reconcile_now`` for the others), and write the
**run summary** (JSON in ``[sync] summary_dir``): counts per rule, afwijzingen with their reason,
warnings per rule, and the meldingen not (yet) accepted by DUO whose deadline (F8: 5 werkdagen
after the duty arose) has passed or is close.

Crash safety: a run killed anywhere loses nothing and queues nothing twice. Files leave the
drop folder only after their registrations are stored; a batch stored but not yet moved is read
again and merges to the same data; the pre-check always covers the whole stored period, so
meldingen of a run killed before queueing are proposed by the next run; the outbox is idempotent
on the natural key, and a row whose sender died is reconciled before it is sent again.

Stopping: ``stop`` (SIGTERM/SIGINT in the CLI) is checked between steps; the current step ends,
nothing after it starts. ``run_sync`` is what ``verzuim sync`` and the demo call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from adapters.canonical import CanonicalExport
from adapters.export import write_rejections
from gateway import aio
from gateway.errors import GatewayError, TransportError
from gateway.history import load_history
from gateway.logging import get_logger
from gateway.model import KnownMelding, Rejection, SchoolConfig
from gateway.pipeline import assess, read_inputs_with_school
from gateway.report import outbox_entries, write_report
from gateway.school import load_school
from gateway.service import sync_data
from gateway.service.jobs import Clock, Runtime, queue_precheck, reconcile_now, worker_name
from gateway.service.sync_lease import Heartbeat, SyncLeases
from gateway.service.sync_schedule import Schedule
from gateway.service.worker import run_worker
from gateway.settings import Settings, SyncSchool, SyncSource
from gateway.store import Operation, State, Store, open_store
from gateway.store.schema import outbox
from gateway.store.store import melden_key

log = get_logger(__name__)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_DELIVERY_PASSES = 3
"""Send-and-reconcile passes per run: a reconcile of another school may put rows back."""


class StopFlag:
    """A stop request that threads, signal handlers and the asyncio send step all see."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def set(self) -> None:
        self._event.set()
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when stop was set."""
        return self._event.wait(max(seconds, 0.0))

    @contextmanager
    def on_set(self, callback: Callable[[], None]) -> Iterator[None]:
        with self._lock:
            self._callbacks.append(callback)
        if self._event.is_set():
            callback()
        try:
            yield
        finally:
            with self._lock:
                self._callbacks.remove(callback)


# ----- the summary ------------------------------------------------------------------------------


@dataclass(slots=True)
class FileSummary:
    """One file read: the row accounting (gelezen = geaccepteerd + afgewezen + van afgewezen
    leerlingen) and where it went."""

    bestand: str
    adapter: str
    gelezen: int = 0
    geaccepteerd: int = 0
    afgewezen: int = 0
    van_afgewezen_leerlingen: int = 0
    waarvan_dubbel: int = 0
    """Of the accepted rows: replaced by a later version (same bron_id, or a day a later
    day-register file gives again: W-DUBBEL)."""
    waarvan_genegeerd: int = 0
    """Of the accepted rows: not attendance (Magister 7/8)."""
    verplaatst_naar: str | None = None


@dataclass(slots=True)
class SchoolSummary:
    """What the run did for one school."""

    school: str
    brin: str = ""
    vestiging: str = ""
    naam: str = ""
    status: str = "ok"
    """``ok``; ``bezet`` (another sync holds the lease); ``fout`` (see ``fouten``); ``gestopt``
    (stop requested); ``lease-kwijt`` (the lease expired while running)."""
    fouten: list[str] = field(default_factory=list)
    bestanden: list[FileSummary] = field(default_factory=list)
    leerlingen: int = 0
    registraties: int = 0
    registraties_nieuw_gelezen: int = 0
    peildatum: str | None = None
    voorgesteld: int = 0
    nieuw_in_outbox: int = 0
    al_in_outbox: int = 0
    eerder_afgewezen: int = 0
    """Proposed again exactly as DUO rejected it before: not queued again (a rejection is final;
    correct the data or the melding, then it is queued as a new request)."""
    regels: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per rule (R-16U, R-HERHAAL, R-LRV, R-RMC, R-LUXE, R-SIGNAAL, R-EINDE): voorgesteld, nieuw."""
    wijzigingen_wachten: list[str] = field(default_factory=list)
    afwijzingen_per_regel: dict[str, int] = field(default_factory=dict)
    afwijzingen: list[dict[str, Any]] = field(default_factory=list)
    waarschuwingen_per_regel: dict[str, int] = field(default_factory=dict)
    termijn_verlopen: list[dict[str, Any]] = field(default_factory=list)
    termijn_binnenkort: list[dict[str, Any]] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    rapport: str | None = None
    """The school's HTML report of this run (``verzuim report``), or None."""


@dataclass(slots=True)
class SyncSummary:
    """One sync run; ``to_dict``/``to_json`` give the run summary file."""

    run: str
    eigenaar: str
    begonnen: str
    klaar: str | None = None
    gestopt: bool = False
    scholen: list[SchoolSummary] = field(default_factory=list)
    verzonden: dict[str, int] = field(default_factory=dict)
    afgestemd: dict[str, int] = field(default_factory=dict)
    fouten: list[str] = field(default_factory=list)
    samenvatting_bestand: str | None = None

    @property
    def ok(self) -> bool:
        """No school failed and the send step had no error (``bezet`` is not a failure)."""
        return not self.fouten and all(s.status in ("ok", "bezet") for s in self.scholen)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# ----- running ----------------------------------------------------------------------------------


def school_entries(settings: Settings) -> list[SyncSchool]:
    """``[[sync.schools]]``, or the single top-level ``school`` with ``sync.sources``."""
    if settings.sync.schools:
        return list(settings.sync.schools)
    return [SyncSchool(school=settings.school, sources=list(settings.sync.sources))]


def run_sync(
    settings: Settings,
    clock: Clock,
    *,
    once: bool = True,
    stop: StopFlag | None = None,
    wait: Callable[[float], bool] | None = None,
    on_run: Callable[[SyncSummary], None] | None = None,
    owner: str | None = None,
) -> SyncSummary:
    """Run the sync once, or (``once=False``) on the schedule of ``[sync]`` until ``stop``.

    ``wait(seconds)`` waits between runs and returns True when the loop should stop (default:
    ``stop.wait``); ``on_run`` sees every summary (the CLI prints it). Returns the last summary.
    """
    stop = stop or StopFlag()
    owner = owner or worker_name()
    wait = wait or stop.wait
    schedule = Schedule.from_settings(settings.sync)
    while True:
        started = clock()
        summary = sync_once(settings, clock, stop=stop, owner=owner)
        if on_run is not None:
            on_run(summary)
        if once or stop.is_set():
            return summary
        next_start = schedule.next_run(started)
        seconds = (next_start - clock()).total_seconds()
        log.info("volgende sync", om=next_start.isoformat(), schema=schedule.describe())
        if wait(max(seconds, 0.0)) or stop.is_set():
            return summary


def sync_once(
    settings: Settings, clock: Clock, *, stop: StopFlag | None = None, owner: str | None = None
) -> SyncSummary:
    """One run over every school (see the module docstring); writes the summary file."""
    stop = stop or StopFlag()
    owner = owner or worker_name()
    began = clock()
    run_id = f"{began.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    summary = SyncSummary(run=run_id, eigenaar=owner, begonnen=began.isoformat())
    log.info("sync gestart", run=run_id)
    store = open_store(settings.store_url)
    leases = SyncLeases(store.engine, owner, settings.sync.lease_seconds)
    held: list[str] = []
    try:
        with Heartbeat(leases, clock) as heartbeat:
            runtimes: list[Runtime] = []
            for entry in school_entries(settings):
                school_summary = SchoolSummary(school=str(entry.school))
                summary.scholen.append(school_summary)
                if stop.is_set():
                    school_summary.status = "gestopt"
                    continue
                runtime = _school_run(
                    settings, entry, store, leases, heartbeat, held, clock, stop, run_id,
                    school_summary,
                )  # fmt: skip
                if runtime is not None:
                    runtimes.append(runtime)
            if runtimes and not stop.is_set():
                _deliver(runtimes, clock, stop, summary)
            histories = {str(entry.school): entry.history for entry in school_entries(settings)}
            for runtime, school_summary in _pairs(runtimes, summary):
                _deadlines(runtime, settings, clock(), school_summary)
                school_summary.outbox = _outbox_counts(store, runtime.school.brin)
                _report(runtime, settings, histories.get(school_summary.school), school_summary)
    finally:
        for name in held:
            try:
                leases.release(name)
            except Exception as exc:  # the lease expires by itself
                log.warning("lease niet teruggegeven", lease=name, error=str(exc))
        store.close()
    summary.gestopt = stop.is_set()
    summary.klaar = clock().isoformat()
    summary.samenvatting_bestand = str(_write_summary(settings.sync.summary_dir, summary))
    log.info("sync klaar", run=run_id, ok=summary.ok, gestopt=summary.gestopt)
    return summary


def _pairs(
    runtimes: list[Runtime], summary: SyncSummary
) -> Iterator[tuple[Runtime, SchoolSummary]]:
    by_key = {(s.brin, s.vestiging): s for s in summary.scholen if s.brin}
    for runtime in runtimes:
        found = by_key.get((runtime.school.brin, runtime.school.vestiging))
        if found is not None:
            yield runtime, found


def _school_run(
    settings: Settings,
    entry: SyncSchool,
    store: Store,
    leases: SyncLeases,
    heartbeat: Heartbeat,
    held: list[str],
    clock: Clock,
    stop: StopFlag,
    run_id: str,
    result: SchoolSummary,
) -> Runtime | None:
    """Steps 1-3 for one school under its lease; the runtime for the send step, or None."""
    try:
        school = load_school(entry.school)
    except GatewayError as exc:
        result.status = "fout"
        result.fouten.append(str(exc))
        return None
    result.brin, result.vestiging, result.naam = school.brin, school.vestiging, school.naam
    lease = f"sync:{school.brin}-{school.vestiging}"
    if not leases.acquire(lease, clock()):
        holder = leases.holder(lease)
        result.status = "bezet"
        result.fouten.append(
            f"een andere sync ({holder.owner if holder else '?'}) werkt aan deze school; "
            "overgeslagen"
        )
        log.warning("school bezet door een andere sync", brin=school.brin)
        return None
    held.append(lease)
    heartbeat.hold(lease)
    runtime = Runtime(settings, school, store)
    data = sync_data.SchoolData(settings.sync.data_dir / f"{school.brin}-{school.vestiging}")

    def interrupted() -> bool:
        if lease in heartbeat.lost:
            result.status = "lease-kwijt"
            return True
        if stop.is_set():
            result.status = "gestopt"
            return True
        return False

    try:
        _import(school, entry.sources, data, clock, settings, run_id, result)
        if interrupted():
            return None
        history = load_history(entry.history) if entry.history is not None else []
        _queue(runtime, data, clock, result, history)
    except (GatewayError, OSError) as exc:
        result.status = "fout"
        result.fouten.append(_describe(exc))
        log.error("sync van school mislukt", brin=school.brin, error=_describe(exc))
        return runtime  # what was queued earlier is still sent
    if interrupted():
        return None
    return runtime


def _import(
    school: SchoolConfig,
    sources: list[SyncSource],
    data: sync_data.SchoolData,
    clock: Clock,
    settings: Settings,
    run_id: str,
    result: SchoolSummary,
) -> None:
    """Steps 1 and 2: read every source, store the result, then move the drop files aside."""
    now = clock()
    today = now.astimezone(AMSTERDAM).date()
    exports: list[CanonicalExport] = []
    adapters: list[str] = []
    to_move: list[tuple[Path, list[Path]]] = []
    rejections: list[Rejection] = []
    for source in sources:
        if source.drop is not None:
            files = sync_data.batch_files(source.drop, now, settings.sync.settle_seconds)
        else:
            files = list(source.files)
            missing = [str(path) for path in files if not path.is_file()]
            if missing:
                result.fouten.append(f"bestand niet gevonden: {', '.join(missing)}")
                result.status = "fout"
                continue
        if not files:
            continue
        try:
            chosen, export = sync_data.read_batch(
                school, source.adapter, files, data.students_path(), today
            )
        except GatewayError as exc:
            result.status = "fout"
            message = f"{', '.join(path.name for path in files)}: {exc}"
            if source.drop is not None:
                target = source.drop / sync_data.REFUSED / run_id
                sync_data.refuse_batch(files, target, str(exc))
                message += f" (verplaatst naar {target})"
            result.fouten.append(message)
            log.error("batch niet leesbaar", brin=school.brin, error=str(exc))
            continue
        exports.append(export)
        adapters.append(chosen)
        rejections.extend(export.rejections)
        for stats in export.stats:
            result.bestanden.append(
                FileSummary(
                    stats.bestand,
                    chosen,
                    stats.read,
                    stats.accepted,
                    stats.rejected,
                    stats.of_rejected_pupils,
                    stats.duplicates,
                    stats.ignored,
                )
            )
        result.waarschuwingen_per_regel = _add(
            result.waarschuwingen_per_regel, Counter(w.regel for w in export.warnings)
        )
        if source.drop is not None:
            to_move.append((source.drop, files))
    _add_rejections(result, rejections)
    if exports:
        merged = data.merge(school, exports, run_id, today, adapters)
        result.registraties_nieuw_gelezen = merged.registrations_in
        log.info(
            "gegevens opgeslagen", brin=school.brin, registraties=merged.registrations_after,
            nieuw_gelezen=merged.registrations_in,
        )  # fmt: skip
    for drop, files in to_move:  # only now: their registrations are stored
        target = drop / sync_data.PROCESSED / run_id
        sync_data.move_aside(files, target)
        write_rejections(rejections, target / "afwijzingen.csv")
        moved = {path.name for path in files}
        for item in result.bestanden:
            if item.bestand in moved:
                item.verplaatst_naar = str(target)


def _queue(
    runtime: Runtime,
    data: sync_data.SchoolData,
    clock: Clock,
    result: SchoolSummary,
    history: Sequence[KnownMelding] = (),
) -> None:
    """Step 3: pre-check the whole stored period (against the store's meldingen and the school's
    ``history``) and queue what is new."""
    students, registrations = data.students_path(), data.registrations_path()
    if students is None or registrations is None:
        result.fouten.append("nog geen gegevens van deze school opgeslagen; niets te controleren")
        return
    report = queue_precheck(runtime, students, [registrations], None, clock(), history)
    assert report.run is not None
    precheck = report.run.result
    result.leerlingen = len(report.run.students)
    result.registraties = sum(stats.accepted for stats in report.run.stats[1:])
    result.peildatum = precheck.peildatum.isoformat() if precheck.peildatum else None
    created = set(report.created)
    result.voorgesteld = len(precheck.meldingen) + len(precheck.wijzigingen)
    result.nieuw_in_outbox = len(report.created)
    result.al_in_outbox = len(report.existing)
    result.eerder_afgewezen = len(report.rejected_before)
    result.wijzigingen_wachten = list(report.skipped)
    rules: dict[str, Counter[str]] = {}
    new_melden = 0
    for melding in precheck.meldingen:
        row = runtime.store.find_by_natural_key(
            melden_key(runtime.school.brin, melding.leerlingnummer, melding.code,
                       melding.begindatum)
        )  # fmt: skip
        new = row is not None and row.id in created
        new_melden += new
        for rule in melding.regels:
            counter = rules.setdefault(rule, Counter())
            counter["voorgesteld"] += 1
            counter["nieuw"] += new
    for change in precheck.wijzigingen:
        for rule in change.regels:
            rules.setdefault(rule, Counter())["voorgesteld"] += 1
    if precheck.wijzigingen:  # the rows created that are not meldingen are R-EINDE changes
        rules.setdefault("R-EINDE", Counter())["nieuw"] += len(created) - new_melden
    result.regels = {
        rule: {"voorgesteld": c["voorgesteld"], "nieuw": c["nieuw"]}
        for rule, c in sorted(rules.items())
    }
    # the input's rejections were counted at import; the pre-check's own (V-rules) come here
    _add_rejections(result, [r for r in precheck.afwijzingen if not r.bestand])
    result.waarschuwingen_per_regel = _add(
        result.waarschuwingen_per_regel, Counter(w.regel for w in precheck.waarschuwingen)
    )
    log.info(
        "gecontroleerd en in de outbox gezet", brin=runtime.school.brin,
        nieuw=result.nieuw_in_outbox, al_bekend=result.al_in_outbox,
    )  # fmt: skip


def _deliver(runtimes: list[Runtime], clock: Clock, stop: StopFlag, summary: SyncSummary) -> None:
    """Send what is due and reconcile every school (the worker, once)."""
    try:
        sent, reconciled = aio.run(_deliver_async(runtimes, clock, stop))
    except (GatewayError, OSError) as exc:
        summary.fouten.append(f"verzenden: {_describe(exc)}")
        log.error("verzenden mislukt", error=_describe(exc))
        return
    summary.verzonden = sent
    summary.afgestemd = reconciled


async def _deliver_async(
    runtimes: list[Runtime], clock: Clock, stop: StopFlag
) -> tuple[dict[str, int], dict[str, int]]:
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    sent: Counter[str] = Counter()
    reconciled: Counter[str] = Counter()

    def wake() -> None:
        loop.call_soon_threadsafe(event.set)

    with stop.on_set(wake):
        for _ in range(MAX_DELIVERY_PASSES):
            report = await run_worker(runtimes[0], stop=event, once=True, clock=clock)
            for name in ("accepted", "rejected", "retried", "unknown", "security"):
                sent[name] += getattr(report, name)
            reconciled["resolved_accepted"] += report.resolved_accepted
            reconciled["resolved_requeued"] += report.resolved_requeued
            reconciled["statuses_applied"] += report.statuses_applied
            requeued = 0
            for runtime in runtimes[1:]:
                if event.is_set():
                    break
                try:
                    result = await reconcile_now(runtime, clock)
                except TransportError as exc:
                    log.warning("afstemmen mislukt", brin=runtime.school.brin, error=str(exc))
                    continue
                reconciled["resolved_accepted"] += result.resolved_accepted
                reconciled["resolved_requeued"] += result.resolved_requeued
                reconciled["statuses_applied"] += result.statuses_applied
                requeued += result.resolved_requeued
            if not requeued or event.is_set():
                break
    return dict(sent), dict(reconciled)


def _deadlines(
    runtime: Runtime, settings: Settings, now: dt.datetime, result: SchoolSummary
) -> None:
    """F8: meldingen DUO has not accepted whose deadline (``uiterste_meldingsdatum``) has
    passed, or comes within ``deadline_warning_werkdagen`` werkdagen."""
    today = now.astimezone(AMSTERDAM).date()
    horizon = _add_werkdagen(today, settings.sync.deadline_warning_werkdagen)
    query = select(
        outbox.c.id, outbox.c.leerlingnummer, outbox.c.code, outbox.c.begindatum,
        outbox.c.state, outbox.c.payload,
    ).where(
        outbox.c.brin == runtime.school.brin,
        outbox.c.operation == Operation.MELDEN.value,
        outbox.c.state != State.ACCEPTED.value,
    ).order_by(outbox.c.id)  # fmt: skip
    with runtime.store.engine.connect() as connection:
        rows = connection.execute(query).all()
    for row in rows:
        deadline_text = json.loads(row.payload).get("uiterste_meldingsdatum")
        if not deadline_text:
            continue
        deadline = dt.date.fromisoformat(deadline_text)
        item = {
            "outbox_id": row.id,
            "leerlingnummer": row.leerlingnummer,
            "code": row.code,
            "begindatum": row.begindatum.isoformat(),
            "uiterste_meldingsdatum": deadline_text,
            "toestand": row.state,
        }
        if deadline < today:
            result.termijn_verlopen.append(item)
        elif deadline <= horizon:
            result.termijn_binnenkort.append(item)


def _outbox_counts(store: Store, brin: str) -> dict[str, int]:
    with store.engine.connect() as connection:
        found = connection.execute(
            select(outbox.c.state, func.count())
            .where(outbox.c.brin == brin)
            .group_by(outbox.c.state)
        ).all()
    return {str(state): int(count) for state, count in sorted(found)}


def _add_werkdagen(day: dt.date, werkdagen: int) -> dt.date:
    while werkdagen:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            werkdagen -= 1
    return day


def _add(current: dict[str, int], more: Counter[str]) -> dict[str, int]:
    merged = Counter(current)
    merged.update(more)
    return dict(sorted(merged.items()))


def _add_rejections(result: SchoolSummary, rejections: list[Rejection]) -> None:
    for item in rejections:
        result.afwijzingen.append(
            {
                "regel": item.regel,
                "bestand": item.bestand,
                "regelnummer": item.regelnummer,
                "veld": item.veld,
                "leerlingnummer": item.leerlingnummer,
                "reden": item.reden,
            }
        )
    result.afwijzingen_per_regel = _add(
        result.afwijzingen_per_regel, Counter(item.regel for item in rejections)
    )


def _report(
    runtime: Runtime, settings: Settings, history: Path | None, result: SchoolSummary
) -> None:
    """Step 6: the school's report (``gateway.report``, issue 8) over its whole stored period
    and its outbox rows, as ``<summary_dir>/rapport-<BRIN>-<vestiging>.html`` (replaced
    atomically each run). A report that cannot be written is logged and noted, and the sync
    itself still counts as done: what was sent is sent."""
    school = runtime.school
    data = sync_data.SchoolData(settings.sync.data_dir / f"{school.brin}-{school.vestiging}")
    students, registrations = data.students_path(), data.registrations_path()
    if students is None or registrations is None:
        return
    target = settings.sync.summary_dir / f"rapport-{school.brin}-{school.vestiging}.html"
    try:
        known = load_history(history) if history is not None else []
        inputs = read_inputs_with_school(school, students, [registrations], None, known)
        rows = runtime.store.list(None, limit=1_000_000)
        entries = outbox_entries(row for row in rows if row.brin == school.brin)
        result.rapport = str(write_report(inputs, assess(inputs), target, "html", entries))
    except (GatewayError, OSError) as exc:
        result.fouten.append(f"rapport niet geschreven: {_describe(exc)}")
        log.warning("rapport niet geschreven", brin=school.brin, error=_describe(exc))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, GatewayError) else f"{type(exc).__name__}: {text}"


def _write_summary(folder: Path, summary: SyncSummary) -> Path:
    """``<summary_dir>/<run>.json`` and ``laatste.json`` (both written atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{summary.run}.json"
    summary.samenvatting_bestand = str(path)
    text = summary.to_json()
    for target in (path, folder / "laatste.json"):
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    return path
