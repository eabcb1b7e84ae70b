"""The worker loop (``verzuim worker``, and the loop inside ``verzuim serve``): send what is due,
reconcile on a schedule, sleep until the next due row (DESIGN.md 4).

Several workers may run at once, on one machine or several, against one store: each claims rows
under its own lease (``Store.claim``; on PostgreSQL with ``FOR UPDATE SKIP LOCKED``), so no two
workers send the same row, and a crashed worker's rows come back as ``unknown`` and are
reconciled before anything is sent again.

Stopping: when ``stop`` is set the worker finishes the batch it has claimed (every claimed row
gets its outcome written), claims nothing more and returns. Nothing is left half-written: each
outcome is one transaction, and a row whose worker is killed outright is recovered by its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass, field

from gateway.duo.client import DuoClient
from gateway.duo.reconcile import ReconcileReport, reconcile
from gateway.duo.sender import Sender, SendReport
from gateway.errors import TransportError
from gateway.logging import get_logger
from gateway.service.jobs import Clock, Runtime, utc_now, worker_name
from gateway.store import OutboxRow, State, Store

log = get_logger(__name__)
#: ``once=True``: at most this many send-and-resolve rounds (a round that sends nothing and
#: requeues nothing ends the run earlier).
MAX_ONCE_ROUNDS = 50


@dataclass(slots=True)
class WorkerReport:
    """What a worker did over its whole run (sums over its rounds)."""

    worker: str = ""
    rounds: int = 0
    accepted: int = 0
    rejected: int = 0
    retried: int = 0
    unknown: int = 0
    security: int = 0
    lost_lease: int = 0
    reconciles: int = 0
    statuses_applied: int = 0
    resolved_accepted: int = 0
    resolved_requeued: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Requests that got an outcome (any kind)."""
        return self.accepted + self.rejected + self.retried + self.unknown + self.security

    def add_send(self, report: SendReport) -> None:
        self.accepted += report.accepted
        self.rejected += report.rejected
        self.retried += report.retried
        self.unknown += report.unknown
        self.security += report.security
        self.lost_lease += report.lost_lease
        self.errors.extend(report.errors)
        if report.reconcile is not None:
            self.add_reconcile(report.reconcile)

    def add_reconcile(self, report: ReconcileReport) -> None:
        self.reconciles += 1
        self.statuses_applied += report.statuses_applied
        self.resolved_accepted += report.resolved_accepted
        self.resolved_requeued += report.resolved_requeued


class _StopAwareStore(Store):
    """The runtime's store (same engine, same pool) whose ``claim`` claims nothing once ``stop``
    is set: the sender finishes the batch it holds and its drain loop ends."""

    def __init__(self, store: Store, stop: asyncio.Event) -> None:
        super().__init__(store.engine)
        self._stop = stop

    def claim(
        self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[OutboxRow]:
        if self._stop.is_set():
            return []
        return super().claim(worker, now, lease, limit)


async def run_worker(
    runtime: Runtime,
    *,
    stop: asyncio.Event,
    once: bool = False,
    poll_seconds: float = 5.0,
    reconcile_every_seconds: float = 300.0,
    clock: Clock | None = None,
) -> WorkerReport:
    """Run one worker until ``stop`` is set (or, with ``once``, until nothing is due).

    Each round claims and sends every due row (``Sender.send_due``), then resolves unknown
    outcomes by reconciling (never resending blindly), and, every ``reconcile_every_seconds``,
    reconciles anyway to bring DUO's status changes (B, G, K, I) into the outbox. Between rounds
    it sleeps until the next row is due, at most ``poll_seconds``, waking at once on ``stop``.

    ``once=True`` drains what is due now: rounds repeat while they send something or requeue
    something, so rows that reconciliation puts back are sent in the same run; rows waiting for
    a later retry stay queued.
    """
    clock = clock or utc_now
    report = WorkerReport(worker=worker_name())
    store = _StopAwareStore(runtime.store, stop)
    log.info("worker gestart", worker=report.worker, once=once)
    async with runtime.client() as client:
        sender = Sender(store, client, runtime.school, report.worker, clock, runtime.policy())
        last_reconcile: dt.datetime | None = None
        while not stop.is_set():
            report.rounds += 1
            before = (report.sent, report.resolved_requeued)
            report.add_send(await sender.send_due(reconcile_unknown=False))
            due_reconcile = last_reconcile is None or clock() - last_reconcile >= dt.timedelta(
                seconds=reconcile_every_seconds
            )
            wanted = due_reconcile or _has_unknown(runtime.store)
            if wanted and not stop.is_set() and await _reconcile(runtime, client, clock, report):
                last_reconcile = clock()
            if once:
                progressed = (report.sent, report.resolved_requeued) != before
                if not progressed or report.rounds >= MAX_ONCE_ROUNDS:
                    break
                continue
            await _sleep(stop, _pause(runtime.store, clock(), poll_seconds))
    log.info(
        "worker gestopt",
        worker=report.worker,
        rounds=report.rounds,
        accepted=report.accepted,
        rejected=report.rejected,
        retried=report.retried,
        unknown=report.unknown,
        reconciles=report.reconciles,
    )
    return report


async def _reconcile(
    runtime: Runtime, client: DuoClient, clock: Clock, report: WorkerReport
) -> bool:
    """Reconcile every school of the runtime (``Runtime.schools``); True when all succeeded."""
    done = True
    for school in runtime.schools:
        try:
            report.add_reconcile(await reconcile(runtime.store, client, school, clock))
        except TransportError as exc:  # unknown rows stay unknown: never resent blindly
            report.errors.append(f"afstemmen mislukt ({school.brin}): {exc}")
            log.warning(
                "afstemmen met DUO mislukt; volgende ronde opnieuw",
                brin=school.brin,
                error=str(exc),
            )
            done = False
    return done


def _has_unknown(store: Store) -> bool:
    return store.counts()[State.UNKNOWN] > 0


def _pause(store: Store, now: dt.datetime, poll_seconds: float) -> float:
    """Seconds until the next queued row is due, at most ``poll_seconds``. A row already due
    after a drain waits for an earlier request for its melding (``Store.claim``), which another
    worker or the next reconciliation resolves: the worker polls for it."""
    due = store.next_due_at()
    if due is None or due <= now:
        return poll_seconds
    return min((due - now).total_seconds(), poll_seconds)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
