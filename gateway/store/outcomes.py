"""The outcomes of several sends of one worker, recorded in one transaction (DESIGN.md 4).

``Store.mark_*`` records one outcome per transaction: a ``BEGIN IMMEDIATE``, four statements and
a synchronous commit per melding, which costs more than the request itself when DUO answers in
20 ms (``benchmarks/sender.py``). The sender collects the outcomes of a few sends and records them
here with one commit and a handful of statements (``executemany``):

- one ``SELECT ... FOR UPDATE`` finds which rows are still ``sending`` under the worker's lease
  (on SQLite the transaction already holds the write lock);
- one ``UPDATE`` per kind of outcome, executed for all its rows at once;
- one ``INSERT`` of all audit rows;
- per accepted change or withdrawal, the update of the melding it targets, as ``mark_accepted``.

Each outcome makes exactly the change its ``mark_*`` makes (state, columns, audit event and
detail; ``tests/test_store_outcomes.py`` compares the two). An outcome whose row left the lease
changes nothing and reports False.

Recording later cannot break exactly-once: until the outcomes are written their rows stay
``sending``; a crash before the commit leaves them there until the lease runs out, then they
become ``unknown`` and are reconciled with DUO before anything is sent again.

SQLAlchemy Core only, statements built once: the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.sql.dml import Update

from gateway.model import DuoStatus
from gateway.store.records import Operation, State
from gateway.store.schema import audit, outbox
from gateway.store.store import Store, _aware, audit_values, redact

_OWNED = (
    select(outbox.c.id, outbox.c.operation)
    .where(
        outbox.c.id.in_(bindparam("b_ids", expanding=True)),
        outbox.c.state == State.SENDING.value,
        outbox.c.lease_owner == bindparam("b_worker"),
    )
    .with_for_update()
)
_AUDIT = insert(audit)
_UPDATES: dict[tuple[State, tuple[str, ...]], Update] = {}


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What one send of a ``sending`` row ended in; build one with the class methods, which
    mirror ``Store.mark_accepted``, ``mark_rejected``, ``mark_retry``, ``mark_unknown`` and
    ``mark_security``."""

    outbox_id: int
    new_state: State
    event: str
    now: dt.datetime
    values: Mapping[str, Any] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)
    duo_status: DuoStatus | None = None

    @classmethod
    def accepted(
        cls, outbox_id: int, duo_nummer: str, duo_status: DuoStatus | str, now: dt.datetime
    ) -> SendOutcome:
        """DUO answered DC0018 or DC0001 (``mark_accepted``)."""
        status = DuoStatus(duo_status)
        return cls(
            outbox_id,
            State.ACCEPTED,
            "accepted",
            _aware(now),
            {"duo_nummer": duo_nummer, "duo_status": status.value, "last_error": None},
            {"duo_nummer": duo_nummer, "duo_status": status.value},
            status,
        )

    @classmethod
    def rejected(
        cls, outbox_id: int, errors: Sequence[tuple[str, str]], now: dt.datetime
    ) -> SendOutcome:
        """DUO answered DC0002: final (``mark_rejected``)."""
        kept = [(code, redact(text)) for code, text in errors]
        summary = redact("; ".join(f"{code}: {text}" for code, text in kept))
        return cls(
            outbox_id,
            State.REJECTED,
            "rejected",
            _aware(now),
            {"last_error": summary, "duo_errors": json.dumps(kept, ensure_ascii=False)},
            {"errors": kept},
        )

    @classmethod
    def retry(
        cls, outbox_id: int, error: str, next_attempt_at: dt.datetime, now: dt.datetime
    ) -> SendOutcome:
        """A transient error: queued again, due at ``next_attempt_at`` (``mark_retry``)."""
        message, due = redact(error), _aware(next_attempt_at)
        return cls(
            outbox_id,
            State.QUEUED,
            "retry",
            _aware(now),
            {"last_error": message, "next_attempt_at": due},
            {"error": message, "next_attempt_at": due.isoformat()},
        )

    @classmethod
    def unknown(cls, outbox_id: int, error: str, now: dt.datetime) -> SendOutcome:
        """Timeout or broken connection after the request left (``mark_unknown``)."""
        return cls._error(outbox_id, State.UNKNOWN, "unknown", error, now)

    @classmethod
    def security(cls, outbox_id: int, error: str, now: dt.datetime) -> SendOutcome:
        """A security error, kept for an operator (``mark_security``)."""
        return cls._error(outbox_id, State.SECURITY, "security", error, now)

    @classmethod
    def _error(
        cls, outbox_id: int, state: State, event: str, error: str, now: dt.datetime
    ) -> SendOutcome:
        message = redact(error)
        return cls(
            outbox_id, state, event, _aware(now), {"last_error": message}, {"error": message}
        )


def record_outcomes(store: Store, worker: str, outcomes: Sequence[SendOutcome]) -> list[bool]:
    """Record ``outcomes`` of ``worker``'s sends in one transaction; per outcome, whether it
    applied (False: the row is no longer ``sending`` under this worker's lease)."""
    if not outcomes:
        return []
    with store._write() as connection:
        owned: dict[int, str] = dict(
            connection.execute(
                _OWNED, {"b_ids": [o.outbox_id for o in outcomes], "b_worker": worker}
            ).all()
        )
        applied: list[bool] = []
        groups: dict[tuple[State, tuple[str, ...]], list[dict[str, Any]]] = {}
        audits: list[dict[str, Any]] = []
        changes: list[SendOutcome] = []
        for outcome in outcomes:
            operation = owned.pop(outcome.outbox_id, None)  # a row counts once
            applied.append(operation is not None)
            if operation is None:
                continue
            keys = tuple(sorted(outcome.values))
            groups.setdefault((outcome.new_state, keys), []).append(
                {
                    "b_id": outcome.outbox_id,
                    "b_worker": worker,
                    "b_updated_at": outcome.now,
                    **{f"b_{key}": outcome.values[key] for key in keys},
                }
            )
            audits.append(
                audit_values(
                    outcome.outbox_id,
                    outcome.now,
                    worker,
                    outcome.event,
                    State.SENDING,
                    outcome.new_state,
                    outcome.detail,
                )
            )
            if outcome.new_state is State.ACCEPTED and operation != Operation.MELDEN.value:
                changes.append(outcome)
        for (state, keys), params in groups.items():
            connection.execute(_update(state, keys), params)
        if audits:
            connection.execute(_AUDIT, audits)
        for outcome in changes:  # an accepted change or withdrawal updates its melding
            _apply_change(store, connection, worker, outcome)
        return applied


def _update(state: State, keys: tuple[str, ...]) -> Update:
    """``sending`` -> ``state`` under the worker's lease, setting ``keys``; built once."""
    statement = _UPDATES.get((state, keys))
    if statement is None:
        statement = (
            update(outbox)
            .where(
                outbox.c.id == bindparam("b_id"),
                outbox.c.state == State.SENDING.value,
                outbox.c.lease_owner == bindparam("b_worker"),
            )
            .values(
                state=state.value,
                lease_owner=None,
                lease_until=None,
                updated_at=bindparam("b_updated_at"),
                **{key: bindparam(f"b_{key}") for key in keys},
            )
        )
        _UPDATES[(state, keys)] = statement
    return statement


def _apply_change(store: Store, connection: Connection, worker: str, outcome: SendOutcome) -> None:
    assert outcome.duo_status is not None
    (row,) = store._rows(connection, outbox.c.id == outcome.outbox_id)
    store._update_target(connection, row, outcome.duo_status, outcome.now, worker)
