"""Stored answers of requests made with an ``Idempotency-Key`` header (issue 6).

The first request with a key reserves it (a row without an answer), runs, and stores its
answer; a retry with the same key and the same request gets that answer again, also after a
restart and from another API process, because the row lives in the store. The key is scoped to
the API key that used it. A reservation whose request never finished (its process died) is taken
over after ``stale_after``; rows older than the retention period are purged when keys are
reserved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.store.api_keys import write_transaction
from gateway.store.schema import idempotency

DEFAULT_STALE_AFTER = dt.timedelta(seconds=60)


class Outcome(StrEnum):
    """What ``reserve`` found."""

    NEW = "new"  # reserved: run the request, then ``complete`` (or ``release``)
    REPLAY = "replay"  # answered before: return ``answer``
    MISMATCH = "mismatch"  # the key was used for another request
    IN_PROGRESS = "in_progress"  # the first request with this key is still running


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status_code: int
    body: bytes
    location: str | None


@dataclass(frozen=True, slots=True)
class Reservation:
    outcome: Outcome
    row_id: int | None = None
    answer: StoredAnswer | None = None


class IdempotencyStore:
    """Reserve, complete and release idempotency keys (table ``idempotency``)."""

    def __init__(
        self,
        engine: Engine,
        retention: dt.timedelta,
        stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
    ) -> None:
        self._engine = engine
        self._retention = retention
        self._stale_after = stale_after

    def reserve(
        self, api_key_id: int, key: str, request_hash: str, now: dt.datetime
    ) -> Reservation:
        """Reserve ``key`` for this request, or say what it was used for before."""
        try:
            return self._reserve(api_key_id, key, request_hash, now)
        except IntegrityError:  # PostgreSQL: another process inserted the same key just now
            return self._reserve(api_key_id, key, request_hash, now)

    def _reserve(
        self, api_key_id: int, key: str, request_hash: str, now: dt.datetime
    ) -> Reservation:
        with write_transaction(self._engine) as connection:
            connection.execute(
                delete(idempotency).where(idempotency.c.created_at < now - self._retention)
            )
            row = connection.execute(
                select(idempotency).where(
                    idempotency.c.api_key_id == api_key_id, idempotency.c.idem_key == key
                )
            ).first()
            if row is None:
                new_id = connection.execute(
                    insert(idempotency)
                    .values(
                        api_key_id=api_key_id,
                        idem_key=key,
                        request_hash=request_hash,
                        created_at=now,
                    )
                    .returning(idempotency.c.id)
                ).scalar_one()
                return Reservation(Outcome.NEW, new_id)
            if row.request_hash != request_hash:
                return Reservation(Outcome.MISMATCH, row.id)
            if row.status_code is not None:
                answer = StoredAnswer(row.status_code, bytes(row.response_body), row.location)
                return Reservation(Outcome.REPLAY, row.id, answer)
            if row.created_at > now - self._stale_after:
                return Reservation(Outcome.IN_PROGRESS, row.id)
            connection.execute(  # abandoned by a process that died: take it over
                update(idempotency).where(idempotency.c.id == row.id).values(created_at=now)
            )
            return Reservation(Outcome.NEW, row.id)

    def complete(self, row_id: int, answer: StoredAnswer) -> None:
        """Store the answer of the reserved request."""
        with write_transaction(self._engine) as connection:
            connection.execute(
                update(idempotency)
                .where(idempotency.c.id == row_id)
                .values(
                    status_code=answer.status_code,
                    response_body=answer.body,
                    location=answer.location,
                )
            )

    def release(self, row_id: int) -> None:
        """Forget a reservation whose request failed unexpectedly, so a retry runs again."""
        with write_transaction(self._engine) as connection:
            connection.execute(delete(idempotency).where(idempotency.c.id == row_id))
