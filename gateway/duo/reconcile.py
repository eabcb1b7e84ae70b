"""Reconciliation with DUO (DOMAIN.md 3.1 AanvraagGewijzigdeMeldingRelatiefVerzuim; DESIGN.md 4).

Two jobs in one pass:

1. Status changes (B, G, K, I) of meldingen flow back into the outbox, page by page from the
   stored cursor, which then moves on.
2. Every row whose outcome is unknown is resolved before anything is sent again: a ``melden``
   row is matched on the natural key (pupil identity, code, begindatum); found means accepted
   with DUO's number, not found means DUO does not have it and it is queued again. A change or
   withdrawal is matched on its target melding's current state at DUO.

The incremental pass only sees what changed since the cursor. A melding that DUO registered
before the cursor moved, while its request still looked "in flight" to us, would be missed; so
when unknown rows remain after the incremental pass, the school's whole list is read once from
the beginning before any of them is queued again. Nothing is sent twice; nothing is lost.

Several workers may reconcile at once (``verzuim worker`` on several machines): a row is resolved
only if it has not been sent again since this pass read it (``Store.resolve_unknown(attempts=)``),
so a view of DUO older than the row's last send never queues it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from gateway.duo.client import DuoClient
from gateway.logging import get_logger
from gateway.messages import Verzuimgeval
from gateway.model import DuoStatus, SchoolConfig
from gateway.store import OutboxRow, Store

log = get_logger(__name__)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_PAGES = 10_000
Key = tuple[str, str, dt.date]


@dataclass(slots=True)
class ReconcileReport:
    """What a reconciliation pass found and did."""

    pages: int = 0
    changes: int = 0
    statuses_applied: int = 0
    resolved_accepted: int = 0
    resolved_requeued: int = 0
    full_scan: bool = False


async def reconcile(
    store: Store, client: DuoClient, school: SchoolConfig, clock: Callable[[], dt.datetime]
) -> ReconcileReport:
    """One reconciliation pass for ``school`` (see the module docstring)."""
    report = ReconcileReport()
    cursor = store.get_cursor(school.brin) or EPOCH
    seen: dict[str, Verzuimgeval] = {}
    moment = await _read_pages(store, client, school, clock, cursor, seen, report, advance=True)
    store.set_cursor(school.brin, moment, clock())
    unknown = [row for row in store.unknown_rows() if row.brin == school.brin]
    if unknown and not _all_found(unknown, seen):
        report.full_scan = True
        await _read_pages(store, client, school, clock, EPOCH, seen, report, advance=False)
    by_key: dict[Key, Verzuimgeval] = {}
    for geval in seen.values():
        by_key.setdefault(_geval_key(geval), geval)
    for row in unknown:
        _resolve(store, row, seen, by_key, clock(), report)
    log.info(
        "afgestemd met DUO",
        pages=report.pages,
        changes=report.changes,
        accepted=report.resolved_accepted,
        requeued=report.resolved_requeued,
        full_scan=report.full_scan,
    )
    return report


async def _read_pages(
    store: Store,
    client: DuoClient,
    school: SchoolConfig,
    clock: Callable[[], dt.datetime],
    since: dt.datetime,
    seen: dict[str, Verzuimgeval],
    report: ReconcileReport,
    advance: bool,
) -> dt.datetime:
    moment = since
    for _ in range(MAX_PAGES):
        page = await client.changes(school, moment, clock())
        report.pages += 1
        for geval in page.gevallen:
            seen[geval.nummer] = geval
            report.changes += 1
            if advance:
                applied = store.apply_duo_status(
                    geval.nummer,
                    geval.status.value,
                    _reason(geval),
                    geval.einddatum,
                    geval.laatste_wijziging,
                    clock(),
                    "reconcile",
                )
                report.statuses_applied += applied
        moment = page.volgend_selectiemoment
        if not page.vervolg:
            break
    return moment


def _identity(geval: Verzuimgeval) -> str:
    return geval.leerling.bsn or geval.leerling.onderwijsnummer


def _geval_key(geval: Verzuimgeval) -> Key:
    return (_identity(geval), geval.code.value, geval.begindatum)


def _row_key(row: OutboxRow) -> Key:
    return (row.identiteit, row.code.value, row.begindatum)


def _all_found(rows: list[OutboxRow], seen: dict[str, Verzuimgeval]) -> bool:
    keys = {_geval_key(geval) for geval in seen.values()}
    for row in rows:
        if row.operation == "melden" and _row_key(row) not in keys:
            return False
        if row.operation != "melden" and (row.target_nummer or "") not in seen:
            return False
    return True


def _resolve(
    store: Store,
    row: OutboxRow,
    seen: dict[str, Verzuimgeval],
    by_key: dict[Key, Verzuimgeval],
    now: dt.datetime,
    report: ReconcileReport,
) -> None:
    if row.operation == "melden":
        geval = by_key.get(_row_key(row))
        nummer, status = (geval.nummer, geval.status.value) if geval else (None, None)
    else:
        target = seen.get(row.target_nummer or "")
        done = target is not None and (
            target.status is DuoStatus.INGETROKKEN
            if row.operation == "intrekken"
            else target.einddatum == row.einddatum
        )
        nummer = target.nummer if target is not None and done else None
        status = target.status.value if target is not None and done else None
    if not store.resolve_unknown(row.id, nummer, status, now, "reconcile", attempts=row.attempts):
        return  # resolved or sent again meanwhile (another worker): this view is stale
    if nummer is None:
        report.resolved_requeued += 1
    else:
        report.resolved_accepted += 1


def _reason(geval: Verzuimgeval) -> str | None:
    if geval.reden_afsluiting is not None:
        return geval.reden_afsluiting.value
    if geval.reden_intrekking is not None:
        return geval.reden_intrekking.value
    return None
