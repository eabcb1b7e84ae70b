"""The gateway's jobs on the outbox: queue, send, change, withdraw, reconcile, status.

Each job opens what it needs from the settings (school file, store, DUO client), does one thing
and returns a small report; the CLI only prints it. The clock is passed in.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.documents import default_inhoud
from gateway.duo.client import DuoClient, tls_context
from gateway.duo.reconcile import ReconcileReport, reconcile
from gateway.duo.sender import Sender, SendPolicy, SendReport
from gateway.duo.wssecurity import WsSecurity
from gateway.errors import InputError
from gateway.messages import Intrekking, MeldingMutatie, RedenIntrekking
from gateway.messages.fingerprint import content_fingerprint
from gateway.model import DuoStatus, KnownMelding, SchoolConfig
from gateway.pipeline import PrecheckRun, run_precheck_with_school
from gateway.rules.validation import check_withdrawal
from gateway.school import load_school
from gateway.service.outbox_items import (
    change_item,
    melding_item,
    r_einde_item,
    withdrawal_item,
)
from gateway.settings import Settings, longest_send_seconds
from gateway.store import NewOutboxItem, OutboxRow, State, Store, open_store

Clock = Callable[[], dt.datetime]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def configured_schools(settings: Settings) -> list[SchoolConfig]:
    """The schools of ``[[sync.schools]]``, or the one ``school`` file (ConfigError or
    InputError naming the file when one cannot be read)."""
    if settings.sync.schools:
        return [load_school(entry.school) for entry in settings.sync.schools]
    return [load_school(settings.school)]


def utc_now() -> dt.datetime:
    """The wall clock, in UTC: only the CLI and the service loop call it."""
    return dt.datetime.now(dt.UTC)


def worker_name() -> str:
    """A worker id unique per process (host, pid, random part): leases are per worker."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(slots=True)
class Runtime:
    """What the jobs work with: the settings, the school and the store; ``others`` are the
    further schools this process serves (``[[sync.schools]]``: a vendor's worker and API)."""

    settings: Settings
    school: SchoolConfig
    store: Store
    others: tuple[SchoolConfig, ...] = ()

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        """The store and every configured school: those of ``[[sync.schools]]`` when given
        (the first is ``school``), else the top-level ``school`` file."""
        first, *others = configured_schools(settings)
        return cls(settings, first, open_store(settings.store_url), tuple(others))

    @property
    def schools(self) -> tuple[SchoolConfig, ...]:
        """``school`` and ``others``."""
        return (self.school, *self.others)

    def client(self) -> DuoClient:
        duo = self.settings.duo
        password = duo.client_key_password.get_secret_value() if duo.client_key_password else None
        context = tls_context(
            duo.client_cert, duo.client_key, duo.trust_bundle, password, duo.crl_file
        )
        return DuoClient(
            duo.endpoint,
            duo.oin,
            context,
            timeout_seconds=duo.timeout_seconds,
            connect_timeout_seconds=duo.connect_timeout_seconds,
            max_attempts=duo.max_attempts,
            max_connections=max(duo.concurrency, 1),
            security=WsSecurity.from_settings(duo),  # None for profile 2W-be
        )

    def policy(self) -> SendPolicy:
        duo = self.settings.duo
        margin = min(longest_send_seconds(duo), duo.lease_seconds / 2)
        return SendPolicy(
            concurrency=duo.concurrency,
            lease=dt.timedelta(seconds=duo.lease_seconds),
            lease_margin=dt.timedelta(seconds=margin),
            backoff=dt.timedelta(seconds=duo.retry_backoff_seconds),
            backoff_max=dt.timedelta(seconds=duo.retry_backoff_max_seconds),
        )


@dataclass(slots=True)
class QueueReport:
    """What ``queue_precheck`` did: new rows, rows already there, and what could not be queued."""

    created: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected_before: list[int] = field(default_factory=list)
    """Rows DUO rejected for exactly the request proposed again: not queued again."""
    run: PrecheckRun | None = None


def queue_precheck(
    runtime: Runtime,
    students: Path,
    registrations: Sequence[Path],
    as_of: dt.date | None,
    now: dt.datetime,
    history: Sequence[KnownMelding] = (),
) -> QueueReport:
    """Pre-check an export against the meldingen the store already knows (plus ``history``, e.g.
    meldingen sent before the gateway was used), and queue the proposed meldingen and R-EINDE
    changes; idempotent on the natural key."""
    known = [*runtime.store.known_meldingen(runtime.school.brin), *history]
    today = now.astimezone(AMSTERDAM).date()
    run = run_precheck_with_school(
        runtime.school, students, registrations, as_of, known, not_after=today
    )
    report = QueueReport(run=run)
    inhoud = default_inhoud(runtime.school)
    items: list[NewOutboxItem] = []
    for melding in run.result.meldingen:
        items.append(
            melding_item(melding, run.students[melding.leerlingnummer], runtime.school, inhoud, now)
        )
    for change in run.result.wijzigingen:
        try:
            items.append(r_einde_item(change, run.students[change.leerlingnummer],
                                      runtime.school, now))  # fmt: skip
        except InputError as exc:
            report.skipped.append(str(exc))
    for item in items:
        refused = _rejected_before(runtime.store, item)
        if refused is not None:
            report.rejected_before.append(refused)
            continue
        result = runtime.store.enqueue(item, now, "queue")
        (report.created if result.created else report.existing).append(result.outbox_id)
    return report


def _rejected_before(store: Store, item: NewOutboxItem) -> int | None:
    """The id of a rejected row that asked DUO exactly this (same natural key, same content),
    if there is one and no live row: a business rejection is final (DESIGN.md 4), so the same
    request is not queued again on every run; a corrected one (other content) is."""
    if store.find_by_natural_key(item.natural_key) is not None:
        return None  # enqueue returns the live row
    fingerprint = content_fingerprint(item.xml)
    for row in store.rejected_with_key(item.natural_key):
        if content_fingerprint(row.xml) == fingerprint:
            return row.id
    return None


async def send(runtime: Runtime, clock: Clock, worker: str | None = None) -> SendReport:
    """Send everything that is due, then reconcile unknown outcomes (``verzuim send --once``)."""
    async with runtime.client() as client:
        sender = Sender(
            runtime.store, client, runtime.school, worker or worker_name(), clock,
            runtime.policy(),
        )  # fmt: skip
        return await sender.send_due()


async def reconcile_now(runtime: Runtime, clock: Clock) -> ReconcileReport:
    """``verzuim reconcile``: fetch DUO's changes and resolve unknown outcomes."""
    async with runtime.client() as client:
        return await reconcile(runtime.store, client, runtime.school, clock)


def queue_change(runtime: Runtime, outbox_id: int, change: MeldingMutatie, now: dt.datetime) -> int:
    """``verzuim change``: queue a change of an accepted melding; returns the new row's id."""
    target = _accepted_melding(runtime, outbox_id)
    change = MeldingMutatie(
        nummer=target.duo_nummer or "",
        einddatum=change.einddatum,
        vermoedelijke_reden=change.vermoedelijke_reden,
        ondernomen_acties=change.ondernomen_acties,
        toelichting=change.toelichting,
    )
    item = change_item(target, runtime.school, change, now)
    return runtime.store.enqueue(item, now, "change").outbox_id


def queue_withdrawal(
    runtime: Runtime, outbox_id: int, reden: RedenIntrekking, toelichting: str, now: dt.datetime
) -> int:
    """``verzuim withdraw``: V12 — a reason and a melding that is not afgesloten or withdrawn."""
    target = _accepted_melding(runtime, outbox_id)
    status = target.duo_status or DuoStatus.GEREGISTREERD
    violations = check_withdrawal(DuoStatus(status), reden.value)
    if violations:
        raise InputError("; ".join(f"{v.regel} {v.veld}: {v.reden}" for v in violations))
    withdrawal = Intrekking(target.duo_nummer or "", reden, toelichting)
    item = withdrawal_item(target, runtime.school, withdrawal, now)
    return runtime.store.enqueue(item, now, "withdraw").outbox_id


def _accepted_melding(runtime: Runtime, outbox_id: int) -> OutboxRow:
    row = runtime.store.get(outbox_id)
    if row is None:
        raise InputError(f"outbox-rij {outbox_id} bestaat niet")
    if row.state is not State.ACCEPTED or not row.duo_nummer:
        raise InputError(
            f"outbox-rij {outbox_id} is nog niet door DUO geregistreerd "
            f"(status {row.state.value}); verstuur eerst met verzuim send"
        )
    return row


def row_summary(row: OutboxRow) -> dict[str, Any]:
    """An outbox row for people and scripts (`status`, `outbox list`, the demo's outbox.json):
    no BSN, no XML."""
    return {
        "id": row.id,
        "actie": row.operation.value,
        "leerlingnummer": row.leerlingnummer,
        "code": row.code.value,
        "begindatum": row.begindatum.isoformat(),
        "einddatum": row.einddatum.isoformat() if row.einddatum else None,
        "herhaal": row.herhaal,
        "document_id": row.document_id,
        "toestand": row.state.value,
        "pogingen": row.attempts,
        "volgende_poging": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "fout": row.last_error,
        "duo_nummer": row.duo_nummer,
        "duo_status": row.duo_status.value if row.duo_status else None,
        "duo_reden": row.duo_reden,
        "aangemaakt": row.created_at.isoformat(),
        "bijgewerkt": row.updated_at.isoformat(),
    }
