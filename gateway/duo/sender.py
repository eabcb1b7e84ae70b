"""The sender: claims due outbox rows, sends them with bounded concurrency, records each outcome,
and reconciles before anything whose outcome is unknown is sent again (DESIGN.md 4).

"Now" comes from an injected clock, the store and the client are passed in, so the loop is
tested against the real simulator and a real database without sleeping.
"""

from __future__ import annotations

import asyncio
import datetime as dt
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
from gateway.model import SchoolConfig
from gateway.store import OutboxRow, Store

log = get_logger(__name__)
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """How the sender paces itself (settings ``[duo]``)."""

    concurrency: int = 4
    lease: dt.timedelta = dt.timedelta(seconds=120)
    batch: int = 50
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
        """Claim and send due rows until none is left, then reconcile unknown outcomes."""
        report = SendReport()
        semaphore = asyncio.Semaphore(max(1, self.policy.concurrency))
        while True:
            rows = self.store.claim(self.worker, self.clock(), self.policy.lease, self.policy.batch)
            if not rows:
                break
            await asyncio.gather(*(self._send_one(row, semaphore, report) for row in rows))
        if reconcile_unknown and self.store.unknown_rows():
            try:
                report.reconcile = await reconcile(self.store, self.client, self.school, self.clock)
            except TransportError as exc:  # unknown rows stay unknown: never resent blindly
                report.errors.append(f"afstemmen mislukt: {exc}")
                log.warning("afstemmen met DUO mislukt; onbekende uitkomsten blijven staan",
                            error=str(exc))  # fmt: skip
        return report

    async def _send_one(
        self, row: OutboxRow, semaphore: asyncio.Semaphore, report: SendReport
    ) -> None:
        async with semaphore:
            with bind_send_context(row.id, row.document_id, row.brin):
                if row.lease_until is not None and row.lease_until <= self.clock():
                    # Waited too long for a free slot: another worker may own the row by now.
                    # Not sending is safe: it becomes unknown, is reconciled, and comes back.
                    report.lost_lease += 1
                    log.warning("lease verlopen voor verzenden; rij overgeslagen")
                    return
                await self._send(row, report)

    async def _send(self, row: OutboxRow, report: SendReport) -> None:
        store, worker = self.store, self.worker
        try:
            answer = await self.client.send(row.operation, row.xml)
        except RejectedError as exc:
            done = store.mark_rejected(row.id, worker, exc.errors, self.clock())
            report.rejected += done
            log.warning("melding geweigerd door DUO", codes=[code for code, _ in exc.errors])
        except TransientError as exc:
            retry_at = self.policy.next_attempt(self.clock(), row.attempts)
            done = store.mark_retry(row.id, worker, str(exc), retry_at, self.clock())
            report.retried += done
            log.info("tijdelijke fout, later opnieuw", error=str(exc), retry_at=retry_at)
        except UnknownOutcomeError as exc:
            done = store.mark_unknown(row.id, worker, str(exc), self.clock())
            report.unknown += done
            log.warning("uitkomst onbekend, eerst afstemmen", error=str(exc))
        except SecurityError as exc:
            done = store.mark_security(row.id, worker, str(exc), self.clock())
            report.security += done
            report.errors.append(str(exc))
            log.error("beveiligingsfout bij verzenden", error=str(exc))
        else:
            assert isinstance(answer, LeveringNummer | Bevestiging)
            done = store.mark_accepted(
                row.id, worker, answer.nummer, answer.status.value, self.clock()
            )
            report.accepted += done
            log.info("geaccepteerd door DUO", nummer=answer.nummer, status=answer.status.value)
        if not done:
            report.lost_lease += 1
            log.warning("lease verlopen tijdens verzenden; rij is inmiddels verder gegaan")
