"""Test helpers for the durable store: a fresh store in a temporary folder and quick items."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path
from typing import Any

from gateway.model import DuoStatus, WireCode
from gateway.store import IdentiteitSoort, NewOutboxItem, Operation, Store, open_store

T0 = dt.datetime(2024, 10, 1, 8, 0, tzinfo=dt.UTC)
VALID_BSN = "111222333"


def store_at(tmp_path: Path, name: str = "verzuim.db") -> Store:
    """A migrated SQLite store in ``tmp_path``."""
    return open_store(f"sqlite:///{tmp_path / name}")


def new_item(
    leerlingnummer: str = "231045",
    *,
    operation: Operation = Operation.MELDEN,
    brin: str = "99XX",
    code: WireCode = WireCode.V3,
    begindatum: dt.date = dt.date(2024, 9, 2),
    einddatum: dt.date | None = dt.date(2024, 9, 4),
    target_nummer: str | None = None,
    target_outbox_id: int | None = None,
    payload: dict[str, Any] | None = None,
    document_id: str | None = None,
) -> NewOutboxItem:
    """A ``NewOutboxItem`` with plausible values; the XML is a stand-in (the store keeps bytes)."""
    doc = document_id or str(uuid.uuid4())
    return NewOutboxItem(
        operation=operation,
        brin=brin,
        vestiging="00",
        leerlingnummer=leerlingnummer,
        identiteit_soort=IdentiteitSoort.BSN,
        identiteit=VALID_BSN,
        code=code,
        begindatum=begindatum,
        einddatum=einddatum,
        document_id=doc,
        xml=f"<MeldenRelatiefVerzuim id='{doc}'/>".encode(),
        payload=payload if payload is not None else {"leerlingnummer": leerlingnummer},
        target_nummer=target_nummer,
        target_outbox_id=target_outbox_id,
    )


def claim_until_empty(url: str, worker: str, batch: int = 5, start: Any | None = None) -> list[int]:
    """Claim and accept rows as ``worker`` until none are left; the ids claimed, in order.

    Runs in a thread or a spawned process (a module-level function, so it pickles). ``start``
    is an optional barrier all workers wait on once their store is open, so that a worker that
    happens to start early cannot drain the queue before the others have begun. Each row
    takes a short pause outside any transaction, as a real send does; without it one SQLite
    writer re-takes the lock before a waiting one wakes from its busy-handler sleep."""
    store = open_store(url)
    claimed: list[int] = []
    try:
        if start is not None:
            start.wait(timeout=60)
        while True:
            rows = store.claim(worker, T0, dt.timedelta(minutes=5), batch)
            if not rows:
                return claimed
            for row in rows:
                claimed.append(row.id)
                time.sleep(0.002)  # the round trip to DUO, outside any transaction
                assert store.mark_accepted(row.id, worker, f"VM{row.id}", DuoStatus("R"), T0)
    finally:
        store.close()


def open_and_count(url: str) -> int:
    """Open (and migrate) the store at ``url``; the number of rows (for concurrent opening)."""
    store = open_store(url)
    try:
        return sum(store.counts().values())
    finally:
        store.close()
