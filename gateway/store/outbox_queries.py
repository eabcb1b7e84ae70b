"""Read-only outbox queries of the HTTP API (issue 6): rows of some schools, a page at a time.

Kept apart from ``store.py`` (the reliability core); same tables, same row records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, and_, select

from gateway.model import DuoStatus
from gateway.store.records import Operation, OutboxRow, State
from gateway.store.schema import outbox
from gateway.store.store import _to_row


def get_row(engine: Engine, outbox_id: int, brins: Sequence[str]) -> OutboxRow | None:
    """One row by id, only when it belongs to one of ``brins`` (tenant isolation)."""
    with engine.connect() as connection:
        row = connection.execute(
            select(outbox).where(outbox.c.id == outbox_id, outbox.c.brin.in_(list(brins)))
        ).first()
    return None if row is None else _to_row(row._mapping)


def list_rows(
    engine: Engine,
    brins: Sequence[str],
    *,
    state: State | None = None,
    duo_status: DuoStatus | None = None,
    since: dt.datetime | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[OutboxRow]:
    """Rows of ``brins`` with id above ``after_id`` (keyset paging), by id; optionally only in
    ``state``, with DUO status ``duo_status`` or changed at or after ``since``."""
    conditions = [outbox.c.brin.in_(list(brins)), outbox.c.id > after_id]
    if state is not None:
        conditions.append(outbox.c.state == state.value)
    if duo_status is not None:
        conditions.append(outbox.c.duo_status == duo_status.value)
    if since is not None:
        conditions.append(outbox.c.updated_at >= since)
    query = select(outbox).where(and_(*conditions)).order_by(outbox.c.id).limit(limit)
    with engine.connect() as connection:
        return [_to_row(row._mapping) for row in connection.execute(query)]


def requests_for(engine: Engine, target_id: int) -> list[OutboxRow]:
    """The change and withdrawal rows queued for the melding in row ``target_id``, by id."""
    query = (
        select(outbox)
        .where(
            outbox.c.target_outbox_id == target_id,
            outbox.c.operation != Operation.MELDEN.value,
        )
        .order_by(outbox.c.id)
    )
    with engine.connect() as connection:
        return [_to_row(row._mapping) for row in connection.execute(query)]
