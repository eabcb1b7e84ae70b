"""The sender: claims due outbox rows, sends them with bounded concurrency, records each outcome,
and reconciles before anything whose outcome is unknown is sent again (DESIGN.md 4).

``concurrency`` lanes each take the next claimed row as soon as their previous send is done, and
outcomes are recorded a few at a time in one transaction (``gateway.store.outcomes``): a crash
before they are written leaves those rows ``sending`` until the lease runs out, then ``unknown``,
reconciled and never blindly resent.

"Now" comes from an injected clock, the store and the client are passed in, so the loop is
tested against the real simulator and a real database without sleeping.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.duo.client import DuoClient
from gateway.duo.reconcile import ReconcileReport, reconcile
from gateway.errors import (
    RejectedError,
    SecurityError,
    TransientError,
    TransportError,
    UnknownOutcomeError,
)
from gateway.logging import bind_send_context, get_logger
from gateway.messages import Bevestiging, LeveringNummer
from gateway.metrics import record_send
from gateway.model import SchoolConfig
from gateway.store import OutboxRow, State, Store
from gateway.store.outcomes import SendOutcome, record_outcomes

log = get_logger(__name__)
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """How the sender paces itself (settings ``[duo]``)."""

    concurrency: int = 4
    lease: dt.timedelta = dt.timedelta(seconds=120)
    #: A claimed row is sent only while at least this much of its lease is left, so that its
    #: request cannot still be in flight when the lease runs out (settings: the longest send,
    #: at most half the lease).
    lease_margin: dt.timedelta = dt.timedelta(0)
    #: Rows claimed per transaction (the next claim starts while ``concurrency`` are left).
    batch: int = 100
    #: Outcomes recorded per transaction (also before every claim and at the end of a run):
    #: until then their rows stay ``sending``, so a crash leaves them to be reconciled.
    record_every: int = 32
    backoff: dt.timedelta = dt.timedelta(seconds=60)
    backoff_max: dt.timedelta = dt.timedelta(hours=1)

    def next_attempt(self, now: dt.datetime, attempts: int) -> dt.datetime:
        """Exponential backoff in the outbox: backoff * 2^(attempts-1), capped."""
        delay: dt.timedelta = self.backoff * (2 ** min(max(0, attempts - 1), 30))
        return now + min(delay, self.backoff_max)


@dataclass(slots=True)
class SendReport:
    """What one ``send_due`` run did."""

    accepted: int = 0
    rejected: int = 0
    retried: int = 0
    unknown: int = 0
    security: int = 0
    lost_lease: int = 0
    reconcile: ReconcileReport | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.accepted + self.rejected + self.retried + self.unknown + self.security


class Sender:
    """One worker: ``send_due`` drains what is due now, then reconciles unknown outcomes."""

    def __init__(
        self,
        store: Store,
        client: DuoClient,
        school: SchoolConfig,
        worker: str,
        clock: Clock,
        policy: SendPolicy | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.school = school
        self.worker = worker
        self.clock = clock
        self.policy = policy or SendPolicy()

    async def send_due(self, reconcile_unknown: bool = True) -> SendReport:
        """Claim and send due rows until none is left, then reconcile unknown outcomes.

        ``concurrency`` lanes send at the same time; a lane takes the next claimed row as soon as
        its send is done. Outcomes are recorded ``record_every`` at a time, before every claim
        (a recorded melding may let its change become due) and at the end, also when a lane fails.
        """
        report = SendReport()
        run = _Run(self, report)
        lanes = [asyncio.create_task(run.lane()) for _ in range(max(1, self.policy.concurrency))]
        try:
            await asyncio.gather(*lanes)
        finally:
            for lane in lanes:
                lane.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
            await run.stop()
        if reconcile_unknown and self.store.unknown_rows():
            try:
                report.reconcile = await reconcile(self.store, self.client, self.school, self.clock)
            except TransportError as exc:  # unknown rows stay unknown: never resent blindly
                report.errors.append(f"afstemmen mislukt: {exc}")
                log.warning("afstemmen met DUO mislukt; onbekende uitkomsten blijven staan",
                            error=str(exc))  # fmt: skip
        return report

    async def _send_one(self, row: OutboxRow, report: SendReport) -> SendOutcome | None:
        """Send one claimed row; its outcome, to be recorded (None: not sent)."""
        with bind_send_context(row.id, row.document_id, row.brin):
            margin = self.policy.lease_margin
            if row.lease_until is not None and row.lease_until - margin <= self.clock():
                # Waited too long for a free lane: the lease could run out while the request
                # is in flight, and another worker may then reconcile and resend it. Not
                # sending is safe: it becomes unknown, is reconciled, and comes back.
                report.lost_lease += 1
                log.warning("te weinig lease over om te verzenden; rij overgeslagen")
                return None
            return await self._send(row, report)

    async def _send(self, row: OutboxRow, report: SendReport) -> SendOutcome:
        started = time.perf_counter()
        try:
            answer = await self.client.send(row.operation, row.xml)
        except RejectedError as exc:
            record_send("rejected", started)
            log.warning("melding geweigerd door DUO", codes=[code for code, _ in exc.errors])
            return SendOutcome.rejected(row.id, exc.errors, self.clock())
        except TransientError as exc:
            record_send("transient", started)
            retry_at = self.policy.next_attempt(self.clock(), row.attempts)
            log.info("tijdelijke fout, later opnieuw", error=str(exc), retry_at=retry_at)
            return SendOutcome.retry(row.id, str(exc), retry_at, self.clock())
        except UnknownOutcomeError as exc:
            record_send("unknown", started)
            log.warning("uitkomst onbekend, eerst afstemmen", error=str(exc))
            return SendOutcome.unknown(row.id, str(exc), self.clock())
        except SecurityError as exc:
            record_send("security", started)
            report.errors.append(str(exc))
            log.error("beveiligingsfout bij verzenden", error=str(exc))
            return SendOutcome.security(row.id, str(exc), self.clock())
        record_send("accepted", started)
        assert isinstance(answer, LeveringNummer | Bevestiging)
        log.info("geaccepteerd door DUO", nummer=answer.nummer, status=answer.status.value)
        return SendOutcome.accepted(row.id, answer.nummer, answer.status.value, self.clock())


#: Which ``SendReport`` counter an applied outcome adds to.
_COUNTERS = {
    State.ACCEPTED: "accepted",
    State.REJECTED: "rejected",
    State.QUEUED: "retried",
    State.UNKNOWN: "unknown",
    State.SECURITY: "security",
}


class _Run:
    """One ``send_due``: claimed rows not yet sent and outcomes not yet recorded.

    Claims and records run in a worker thread (``asyncio.to_thread``): their commit waits for
    the disk while the lanes keep sending. No lane waits for a record: it starts in the
    background when ``record_every`` outcomes are pending, and the lane takes its next row. The
    next claim starts while half a batch is still left (at least ``concurrency`` rows), so lanes
    rarely wait for one; once a claim finds less than a batch, the next waits until the claimed
    rows are gone. One claim and one record at a time; a claim first records what is
    pending. A record that fails stops the run (its rows stay ``sending``: see ``record``).
    """

    def __init__(self, sender: Sender, report: SendReport) -> None:
        self.sender = sender
        self.report = report
        self.rows: deque[OutboxRow] = deque()
        self.pending: list[tuple[OutboxRow, SendOutcome]] = []
        self.in_flight = 0
        self.finished = 0
        self.nothing_due_at = -1  # ``finished`` when a claim last found nothing
        self.progress = asyncio.Event()
        self.refill: asyncio.Task[None] | None = None
        self.recording = asyncio.Lock()
        self.background: asyncio.Task[None] | None = None
        policy = sender.policy
        self.low_water = max(policy.concurrency, policy.batch // 2)
        self.drained = False  # the last claim found fewer than a batch

    async def lane(self) -> None:
        """Send claimed rows one after the other until nothing is due and nothing is in flight.
        A lane that finds nothing while others are sending waits for one of them: what it
        records may make a change or withdrawal due (``Store.claim``)."""
        while True:
            row = await self._take()
            if row is None:
                if self.in_flight == 0:
                    return
                self.progress.clear()
                await self.progress.wait()
                continue
            self.in_flight += 1
            try:
                outcome = await self.sender._send_one(row, self.report)
            finally:
                self.in_flight -= 1
                self.finished += 1
                self.progress.set()
            if outcome is not None:
                self.pending.append((row, outcome))
                if len(self.pending) >= max(1, self.sender.policy.record_every):
                    self._record_in_background()

    def _record_in_background(self) -> None:
        if self.background is None or self.background.done():
            self._raise_failed_record()
            if not self.recording.locked():
                self.background = asyncio.create_task(self.record())

    def _raise_failed_record(self) -> None:
        """Stop the run at the first record that failed (its exception, in the lanes)."""
        task = self.background
        if task is not None and task.done() and not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error

    async def _take(self) -> OutboxRow | None:
        while True:
            self._raise_failed_record()
            # after a claim that found fewer than a batch, claim again only once the rows are
            # gone (an outcome recorded meanwhile may have made a change due), not per send
            low = not self.rows if self.drained else len(self.rows) <= self.low_water
            if low and self.refill is None and self.nothing_due_at != self.finished:
                self.refill = asyncio.create_task(self._claim())
            if self.rows:
                return self.rows.popleft()
            if self.refill is None:
                return None
            await self.refill  # a failed claim raises here, in every lane that waits for it

    async def _claim(self) -> None:
        finished = self.finished
        await self.record()
        sender, policy = self.sender, self.sender.policy
        claimed = await asyncio.to_thread(
            sender.store.claim, sender.worker, sender.clock(), policy.lease, policy.batch
        )
        self.drained = len(claimed) < policy.batch
        if claimed:
            self.rows.extend(claimed)
        else:
            self.nothing_due_at = finished
        self.refill = None

    async def stop(self) -> None:
        """After the lanes: let a claim and a record that are still running end, then record
        what is left. The first failed record is raised (after the rest was tried)."""
        if self.refill is not None:
            self.refill.cancel()
            await asyncio.gather(self.refill, return_exceptions=True)
        failed: BaseException | None = None
        if self.background is not None:
            (result,) = await asyncio.gather(self.background, return_exceptions=True)
            failed = result if isinstance(result, BaseException) else None
        await self.record()
        if failed is not None:
            raise failed

    async def record(self) -> None:
        """Write the pending outcomes in one transaction and count them in the report. If that
        fails, their rows stay ``sending`` and become ``unknown`` when the lease runs out."""
        async with self.recording:
            batch, self.pending = self.pending, []
            if not batch:
                return
            sender = self.sender
            outcomes = [outcome for _, outcome in batch]
            done = await asyncio.to_thread(record_outcomes, sender.store, sender.worker, outcomes)
        for (row, outcome), applied in zip(batch, done, strict=True):
            if applied:
                counter = _COUNTERS[outcome.new_state]
                setattr(self.report, counter, getattr(self.report, counter) + 1)
                continue
            self.report.lost_lease += 1
            with bind_send_context(row.id, row.document_id, row.brin):
                log.warning("lease verlopen tijdens verzenden; rij is inmiddels verder gegaan")
