"""The durable outbox, its audit trail and the reconciliation cursor (DESIGN.md 4).

One code path for SQLite (the default, one machine) and PostgreSQL (several workers on several
machines). Where the two must differ, and only there:

- SQLite: WAL journal, ``busy_timeout``, foreign keys on, and every write transaction opened
  with ``BEGIN IMMEDIATE``, so a claim takes the database's one write lock before it reads what
  to claim and two workers never claim the same row.
- PostgreSQL: the same queries lock what they read with ``SELECT ... FOR UPDATE SKIP LOCKED``
  (SQLAlchemy renders nothing for it on SQLite, where the write lock already serialises).

"now" is always an argument: the store never reads a clock, so tests control time. Every state
change appends an ``audit`` row in the same transaction. The states and transitions are listed in
``gateway/store/README.md`` and in ``State``.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.resources import as_file, files
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    RowMapping,
    and_,
    bindparam,
    create_engine,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.engine import make_url

from gateway.model import DuoStatus, KnownMelding, WireCode
from gateway.store.records import (
    AuditEntry,
    EnqueueResult,
    IdentiteitSoort,
    NewOutboxItem,
    Operation,
    OutboxRow,
    State,
)
from gateway.store.schema import audit, outbox, reconcile_cursor

#: How long a SQLite connection waits for the write lock before giving up.
BUSY_TIMEOUT_MS = 30_000
#: Rows that are not final: still to be sent, being sent, or waiting for reconciliation.
PENDING_STATES = (State.QUEUED, State.SENDING, State.UNKNOWN, State.SECURITY)
_IMMEDIATE = "verzuim_begin_immediate"
_NINE_DIGITS = re.compile(r"\d{9}")
_MAX_ERROR = 2000
_MIGRATE_LOCK = threading.Lock()
#: The PostgreSQL advisory lock that serialises migrations (any constant unique to this app).
_MIGRATE_LOCK_KEY = 0x7665727A75696D  # "verzuim"


def open_store(url: str = "sqlite:///verzuim.db") -> Store:
    """Open the store at ``url`` and migrate it to the newest revision (idempotent).

    SQLite (``sqlite:///path``) gets WAL, ``busy_timeout`` and foreign keys on every connection;
    PostgreSQL (``postgresql+psycopg://...``) is used as it is. Two processes opening the same
    database at once migrate it one after the other (the migration runs in a write transaction).
    """
    engine = _create_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def migrate(engine: Engine) -> None:
    """Run the migrations shipped in ``gateway/store/migrations`` up to head.

    One migration at a time: per process (Alembic's ``op`` and ``context`` are module globals),
    and per database, by the write lock on SQLite and a transaction-level advisory lock on
    PostgreSQL (where DDL does not take one lock for the whole database).
    """
    with _MIGRATE_LOCK, as_file(files("gateway.store") / "migrations") as location:
        config = Config()
        config.set_main_option("script_location", str(location))
        with engine.connect() as connection:
            connection.execution_options(**{_IMMEDIATE: True})
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK_KEY}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")


def _create_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, decides where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def redact(text: str) -> str:
    """``text`` with every run of nine digits masked and cut to a sane length: error texts and
    audit details never hold a BSN or onderwijsnummer, whatever a caller passes in."""
    return _NINE_DIGITS.sub("*********", text)[:_MAX_ERROR]


def _aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware datetime")
    return now.astimezone(dt.UTC)


class Store:
    """The outbox (DESIGN.md 4). Thread-safe; several processes may share one database.

    Methods that change a row return False (and change nothing) when the row is not in the state
    the change starts from, e.g. when a worker reports on a row whose lease ran out and that has
    moved on.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and the service's health check)."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    # ----- transactions -----

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.connect() as connection:
            connection.execution_options(**{_IMMEDIATE: True})
            with connection.begin():
                yield connection

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as connection, connection.begin():
            yield connection

    # ----- enqueue -----

    def enqueue(
        self,
        item: NewOutboxItem,
        now: dt.datetime,
        actor: str,
        guard: Callable[[builtins.list[KnownMelding]], None] | None = None,
    ) -> EnqueueResult:
        """Write a validated request to the outbox as ``queued``, due at once (DESIGN.md 4).

        Idempotent on the natural key (``NewOutboxItem.natural_key``): when a live row (any
        state but ``rejected``) has that key, nothing is written and that row is returned with
        ``created=False``. A rejected request does not block a corrected one.

        ``guard`` sees the pupil's known meldingen (as ``known_meldingen``) inside the writing
        transaction, with every other writer for that pupil held off (SQLite: the database's
        write lock; PostgreSQL: an advisory lock per school and pupil), and raises to refuse:
        nothing is written. So a check against the known meldingen (V08, V09) cannot be
        outrun by a concurrent request for the same pupil.
        """
        now = _aware(now)
        key = item.natural_key
        with self._write() as connection:
            if guard is not None and connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:pupil))"),
                    {"pupil": f"verzuim-enqueue:{item.brin}:{item.leerlingnummer}"},
                )
            existing = connection.execute(
                select(outbox.c.id, outbox.c.state).where(
                    outbox.c.natural_key == key, outbox.c.state != State.REJECTED.value
                )
            ).first()
            if existing is not None:
                return EnqueueResult(existing.id, False, State(existing.state))
            if guard is not None:
                guard(self._known_meldingen(connection, item.brin, item.leerlingnummer))
            new_id = connection.execute(
                insert(outbox)
                .values(
                    operation=item.operation.value,
                    brin=item.brin,
                    vestiging=item.vestiging,
                    leerlingnummer=item.leerlingnummer,
                    identiteit_soort=item.identiteit_soort.value,
                    identiteit=item.identiteit,
                    code=item.code.value,
                    begindatum=item.begindatum,
                    einddatum=item.einddatum,
                    herhaal=item.herhaal,
                    target_nummer=item.target_nummer,
                    target_outbox_id=item.target_outbox_id,
                    natural_key=key,
                    document_id=item.document_id,
                    xml=item.xml,
                    payload=json.dumps(dict(item.payload), sort_keys=True, default=str),
                    state=State.QUEUED.value,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(outbox.c.id)
            ).scalar_one()
            self._audit(
                connection,
                new_id,
                now,
                actor,
                "enqueued",
                None,
                State.QUEUED,
                {"operation": item.operation.value, "document_id": item.document_id},
            )
            return EnqueueResult(new_id, True, State.QUEUED)

    # ----- claim -----

    def claim(
        self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[OutboxRow]:
        """Claim up to ``limit`` due ``queued`` rows for ``worker`` in one transaction.

        First every ``sending`` row whose lease ran out becomes ``unknown`` (its worker may have
        sent the request before it died: DESIGN.md 4, reconcile before anything is sent again).
        Then due rows (``next_attempt_at <= now``), oldest due first, become ``sending`` with
        ``lease_owner = worker``, ``lease_until = now + lease`` and one more attempt. A change or
        withdrawal waits while an earlier request for the same melding is queued, being sent or
        unresolved, so changes reach DUO in the order they were made.

        ``worker`` must be unique per running worker (e.g. host, pid and a random part).
        """
        now = _aware(now)
        if limit < 1:
            return []
        with self._write() as connection:
            self._expire_leases(connection, worker, now)
            due = list(connection.execute(DUE_ROWS, {"b_now": now, "b_limit": limit}).scalars())
            if not due:
                return []
            claimed = connection.execute(
                _CLAIM,
                {"b_ids": due, "b_worker": worker, "b_until": now + lease, "b_now": now},
            )
            rows = [_to_row(row._mapping) for row in claimed]
            until = (now + lease).isoformat()
            if rows:  # one INSERT for all audit rows (executemany)
                connection.execute(
                    insert(audit),
                    [
                        audit_values(
                            row.id,
                            now,
                            worker,
                            "claimed",
                            State.QUEUED,
                            State.SENDING,
                            {"attempt": row.attempts, "lease_until": until},
                        )
                        for row in rows
                    ],
                )
            order = {row_id: index for index, row_id in enumerate(due)}
            return sorted(rows, key=lambda row: order[row.id])

    def _expire_leases(self, connection: Connection, worker: str, now: dt.datetime) -> None:
        expired = connection.execute(
            select(outbox.c.id, outbox.c.lease_owner)
            .where(outbox.c.state == State.SENDING.value, outbox.c.lease_until <= now)
            .order_by(outbox.c.id)
            .with_for_update(skip_locked=True)
        ).all()
        for row_id, owner in expired:
            changed = connection.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.state == State.SENDING.value)
                .values(
                    state=State.UNKNOWN.value,
                    lease_owner=None,
                    lease_until=None,
                    last_error=redact(f"lease van {owner} verlopen; uitkomst onbekend"),
                    updated_at=now,
                )
            ).rowcount
            if changed == 1:
                self._audit(
                    connection,
                    row_id,
                    now,
                    worker,
                    "lease_expired",
                    State.SENDING,
                    State.UNKNOWN,
                    {"lease_owner": owner},
                )

    # ----- outcomes of a send (only under the worker's lease) -----

    def mark_accepted(
        self,
        outbox_id: int,
        worker: str,
        duo_nummer: str,
        duo_status: DuoStatus | str,
        now: dt.datetime,
    ) -> bool:
        """``sending`` -> ``accepted``: DUO answered DC0018 (melden: its new number) or DC0001
        (mutatie, intrekken: the number of the melding changed and its status now).

        An accepted change or withdrawal also updates the melding it targets (DUO status and, for
        a change, the einddatum), with its own audit row. ``duo_status`` may be given as its
        code (``"R"``).
        """
        now = _aware(now)
        duo_status = DuoStatus(duo_status)
        with self._write() as connection:
            return self._accept(
                connection,
                outbox_id,
                (State.SENDING,),
                worker,
                duo_nummer,
                duo_status,
                now,
                worker,
                "accepted",
            )

    def mark_rejected(
        self, outbox_id: int, worker: str, errors: Sequence[tuple[str, str]], now: dt.datetime
    ) -> bool:
        """``sending`` -> ``rejected``: DUO answered DC0002. Final, never retried (DOMAIN.md 3.1).
        The error codes and texts are kept (nine-digit runs masked)."""
        now = _aware(now)
        kept = [(code, redact(text)) for code, text in errors]
        summary = redact("; ".join(f"{code}: {text}" for code, text in kept))
        with self._write() as connection:
            return self._move(
                connection,
                outbox_id,
                (State.SENDING,),
                State.REJECTED,
                worker,
                now,
                worker,
                "rejected",
                {"last_error": summary, "duo_errors": json.dumps(kept, ensure_ascii=False)},
                {"errors": kept},
            )

    def mark_retry(
        self,
        outbox_id: int,
        worker: str,
        error: str,
        next_attempt_at: dt.datetime,
        now: dt.datetime,
    ) -> bool:
        """``sending`` -> ``queued``, due at ``next_attempt_at``: a transient error where the
        request provably did not reach DUO (connection refused, HTTP 503, SOAP Server fault)."""
        now = _aware(now)
        due = _aware(next_attempt_at)
        return self._outcome(
            outbox_id, worker, State.QUEUED, "retry", error, now, {"next_attempt_at": due}
        )

    def mark_unknown(self, outbox_id: int, worker: str, error: str, now: dt.datetime) -> bool:
        """``sending`` -> ``unknown``: timeout or broken connection after the request left.
        Nothing is sent for it again until reconciliation resolves it (DESIGN.md 4)."""
        return self._outcome(outbox_id, worker, State.UNKNOWN, "unknown", error, _aware(now), {})

    def mark_security(self, outbox_id: int, worker: str, error: str, now: dt.datetime) -> bool:
        """``sending`` -> ``security``: a security error (certificate, signature, RelatesTo).
        Kept for an operator; never retried blindly (see ``release_security``)."""
        return self._outcome(outbox_id, worker, State.SECURITY, "security", error, _aware(now), {})

    def _outcome(
        self,
        outbox_id: int,
        worker: str,
        new_state: State,
        event_name: str,
        error: str,
        now: dt.datetime,
        extra: dict[str, Any],
    ) -> bool:
        message = redact(error)
        detail: dict[str, Any] = {"error": message}
        detail.update({key: value.isoformat() for key, value in extra.items()})
        with self._write() as connection:
            return self._move(
                connection,
                outbox_id,
                (State.SENDING,),
                new_state,
                worker,
                now,
                worker,
                event_name,
                {"last_error": message, **extra},
                detail,
            )

    # ----- reconciliation -----

    def unknown_rows(self, brin: str | None = None) -> list[OutboxRow]:
        """The ``unknown`` rows (of one school, or all), oldest first: to reconcile."""
        condition = outbox.c.state == State.UNKNOWN.value
        if brin is not None:
            condition = and_(condition, outbox.c.brin == brin)
        with self._read() as connection:
            return self._rows(connection, condition)

    def resolve_unknown(
        self,
        outbox_id: int,
        duo_nummer: str | None,
        duo_status: DuoStatus | str | None,
        now: dt.datetime,
        actor: str,
        attempts: int | None = None,
    ) -> bool:
        """Resolve an ``unknown`` row from what DUO reports (DESIGN.md 4).

        With ``duo_nummer`` (DUO has the melding under the row's natural key, or, for a change or
        withdrawal, the resolver saw it applied): ``accepted`` with that number and
        ``duo_status`` (required then). Without: back to ``queued``, due at ``now``, to be sent
        again with the same document id.

        ``attempts``: the row's attempt count when the resolver read it. When the row has been
        sent again since (another worker resolved it, sent it, and it became ``unknown`` anew),
        what the resolver saw at DUO is older than that send: nothing changes and False is
        returned, so several workers reconciling at once never resend on a stale view.
        """
        now = _aware(now)
        with self._write() as connection:
            if attempts is not None:
                current = connection.execute(
                    select(outbox.c.attempts).where(outbox.c.id == outbox_id).with_for_update()
                ).scalar_one_or_none()
                if current != attempts:
                    return False
            if duo_nummer is not None:
                if duo_status is None:
                    raise ValueError("duo_status is required with duo_nummer")
                duo_status = DuoStatus(duo_status)
                return self._accept(
                    connection,
                    outbox_id,
                    (State.UNKNOWN,),
                    None,
                    duo_nummer,
                    duo_status,
                    now,
                    actor,
                    "reconciled",
                )
            return self._move(
                connection,
                outbox_id,
                (State.UNKNOWN,),
                State.QUEUED,
                None,
                now,
                actor,
                "reconciled",
                {"next_attempt_at": now},
                {"found": False},
            )

    def release_security(self, outbox_id: int, now: dt.datetime, actor: str) -> bool:
        """``security`` -> ``unknown``: an operator fixed the cause (certificate, trust bundle).
        The request may have reached DUO, so it is reconciled before it is sent again."""
        now = _aware(now)
        with self._write() as connection:
            return self._move(
                connection,
                outbox_id,
                (State.SECURITY,),
                State.UNKNOWN,
                None,
                now,
                actor,
                "released",
                {},
                {},
            )

    def apply_duo_status(
        self,
        duo_nummer: str,
        status: DuoStatus | str,
        reden: str | None,
        einddatum: dt.date | None,
        changed_at: dt.datetime,
        now: dt.datetime,
        actor: str,
    ) -> bool:
        """Record a status change DUO reports for an accepted melding (B, G, K, I; DOMAIN.md 3.2)
        on its ``melden`` row, found by DUO's number.

        Returns False when no accepted melding has that number, when the change is older than
        the one already recorded (``duo_changed_at``), or when nothing differs (so reading the
        same page twice writes nothing).
        """
        now = _aware(now)
        changed_at = _aware(changed_at)
        status = DuoStatus(status)
        with self._write() as connection:
            row = connection.execute(
                select(outbox)
                .where(
                    outbox.c.duo_nummer == duo_nummer,
                    outbox.c.operation == Operation.MELDEN.value,
                    outbox.c.state == State.ACCEPTED.value,
                )
                .order_by(outbox.c.id)
                .limit(1)
                .with_for_update()
            ).first()
            if row is None:
                return False
            current = _to_row(row._mapping)
            if current.duo_changed_at is not None and changed_at < current.duo_changed_at:
                return False
            if (current.duo_status, current.duo_reden, current.einddatum) == (
                status,
                reden,
                einddatum,
            ):
                return False
            connection.execute(
                update(outbox)
                .where(outbox.c.id == current.id)
                .values(
                    duo_status=status.value,
                    duo_reden=reden,
                    einddatum=einddatum,
                    duo_changed_at=changed_at,
                    updated_at=now,
                )
            )
            self._audit(
                connection,
                current.id,
                now,
                actor,
                "duo_status",
                State.ACCEPTED,
                State.ACCEPTED,
                {
                    "duo_status": [_value(current.duo_status), status.value],
                    "duo_reden": [current.duo_reden, reden],
                    "einddatum": [_iso(current.einddatum), _iso(einddatum)],
                    "changed_at": changed_at.isoformat(),
                },
            )
            return True

    def get_cursor(self, brin: str, vestiging: str = "") -> dt.datetime | None:
        """The selection moment to ask ``AanvraagGewijzigdeMeldingRelatiefVerzuim`` from next."""
        with self._read() as connection:
            value: dt.datetime | None = connection.execute(
                select(reconcile_cursor.c.selectiemoment).where(
                    reconcile_cursor.c.brin == brin, reconcile_cursor.c.vestiging == vestiging
                )
            ).scalar_one_or_none()
            return value

    def set_cursor(
        self, brin: str, moment: dt.datetime, now: dt.datetime, vestiging: str = ""
    ) -> None:
        """Store the next selection moment (DUO's ``volgend_selectiemoment``) of a school."""
        moment, now = _aware(moment), _aware(now)
        key = and_(reconcile_cursor.c.brin == brin, reconcile_cursor.c.vestiging == vestiging)
        with self._write() as connection:
            changed = connection.execute(
                update(reconcile_cursor).where(key).values(selectiemoment=moment, updated_at=now)
            ).rowcount
            if changed == 0:
                connection.execute(
                    insert(reconcile_cursor).values(
                        brin=brin, vestiging=vestiging, selectiemoment=moment, updated_at=now
                    )
                )

    # ----- queries -----

    def get(self, outbox_id: int) -> OutboxRow | None:
        """One row by id."""
        with self._read() as connection:
            rows = self._rows(connection, outbox.c.id == outbox_id)
            return rows[0] if rows else None

    def list(
        self, state: State | None = None, limit: int = 100, offset: int = 0
    ) -> list[OutboxRow]:
        """Rows (in one state, or all) by id, a page at a time."""
        condition = outbox.c.state == state.value if state is not None else None
        with self._read() as connection:
            return self._rows(connection, condition, limit=limit, offset=offset)

    def counts(self) -> dict[State, int]:
        """Number of rows per state; every state is present."""
        with self._read() as connection:
            found: dict[str, int] = dict(
                connection.execute(
                    select(outbox.c.state, func.count()).group_by(outbox.c.state)
                ).all()
            )
        return {state: int(found.get(state.value, 0)) for state in State}

    def oldest_pending(self, now: dt.datetime) -> dt.datetime | None:
        """``created_at`` of the oldest row created by ``now`` that is not final (queued,
        sending, unknown, security): how far the outbox lags."""
        now = _aware(now)
        with self._read() as connection:
            value: dt.datetime | None = connection.execute(
                select(func.min(outbox.c.created_at)).where(
                    outbox.c.state.in_([state.value for state in PENDING_STATES]),
                    outbox.c.created_at <= now,
                )
            ).scalar_one()
            return value

    def next_due_at(self) -> dt.datetime | None:
        """The earliest ``next_attempt_at`` of a ``queued`` row (None when nothing is queued):
        how long a worker may sleep."""
        with self._read() as connection:
            value: dt.datetime | None = connection.execute(
                select(func.min(outbox.c.next_attempt_at)).where(
                    outbox.c.state == State.QUEUED.value
                )
            ).scalar_one()
            return value

    def last_errors(self, n: int = 10) -> builtins.list[OutboxRow]:
        """The ``n`` rows with an error that changed last (newest first)."""
        with self._read() as connection:
            return self._rows(
                connection,
                outbox.c.last_error.is_not(None),
                limit=n,
                order=(outbox.c.updated_at.desc(), outbox.c.id.desc()),
            )

    def audit_trail(self, outbox_id: int) -> builtins.list[AuditEntry]:
        """Every audit row of one outbox row, in order."""
        with self._read() as connection:
            result = connection.execute(
                select(audit).where(audit.c.outbox_id == outbox_id).order_by(audit.c.id)
            )
            return [
                AuditEntry(
                    id=row.id,
                    outbox_id=row.outbox_id,
                    at=row.at,
                    actor=row.actor,
                    event=row.event,
                    old_state=State(row.old_state) if row.old_state else None,
                    new_state=State(row.new_state) if row.new_state else None,
                    detail=json.loads(row.detail),
                )
                for row in result
            ]

    def find_by_natural_key(self, natural_key: str) -> OutboxRow | None:
        """The live (not rejected) row with this natural key (``NewOutboxItem.natural_key``,
        ``melden_key``)."""
        with self._read() as connection:
            rows = self._rows(
                connection,
                and_(
                    outbox.c.natural_key == natural_key,
                    outbox.c.state != State.REJECTED.value,
                ),
            )
            return rows[0] if rows else None

    def rejected_with_key(self, natural_key: str) -> builtins.list[OutboxRow]:
        """The rejected rows with this natural key, oldest first (a business rejection is final:
        the caller compares a new request with these before queueing it again)."""
        with self._read() as connection:
            return self._rows(
                connection,
                and_(
                    outbox.c.natural_key == natural_key,
                    outbox.c.state == State.REJECTED.value,
                ),
            )

    def match_melding(
        self,
        brin: str,
        identiteit_soort: IdentiteitSoort,
        identiteit: str,
        code: WireCode,
        begindatum: dt.date,
    ) -> builtins.list[OutboxRow]:
        """The live ``melden`` rows of a melding as DUO identifies it (pupil's number, soort,
        begindatum; DOMAIN.md 3.1 DC0011): how reconciliation finds the row of a Verzuimgeval."""
        with self._read() as connection:
            return self._rows(
                connection,
                and_(
                    outbox.c.brin == brin,
                    outbox.c.operation == Operation.MELDEN.value,
                    outbox.c.identiteit_soort == identiteit_soort.value,
                    outbox.c.identiteit == identiteit,
                    outbox.c.code == code.value,
                    outbox.c.begindatum == begindatum,
                    outbox.c.state != State.REJECTED.value,
                ),
            )

    def known_meldingen(self, brin: str) -> builtins.list[KnownMelding]:
        """The school's meldingen as the pre-check's history (``--history``): every ``melden``
        row that is accepted or still pending, so the pre-check never proposes what is already
        queued or sent (V09, R-EINDE).

        Status is DUO's (``R`` while pending); einddatum is the latest known, including one set
        by a change that is still pending.
        """
        with self._read() as connection:
            return self._known_meldingen(connection, brin)

    def _known_meldingen(
        self, connection: Connection, brin: str, leerlingnummer: str | None = None
    ) -> builtins.list[KnownMelding]:
        """``known_meldingen`` on ``connection``, optionally for one pupil only."""
        pupil = outbox.c.leerlingnummer == leerlingnummer if leerlingnummer is not None else true()
        meldingen = self._rows(
            connection,
            and_(
                outbox.c.brin == brin,
                pupil,
                outbox.c.operation == Operation.MELDEN.value,
                outbox.c.state != State.REJECTED.value,
            ),
        )
        changes = self._rows(
            connection,
            and_(
                outbox.c.brin == brin,
                pupil,
                outbox.c.operation == Operation.MUTATIE.value,
                outbox.c.state.in_([state.value for state in PENDING_STATES]),
                outbox.c.einddatum.is_not(None),
            ),
        )
        pending_end: dict[object, dt.date | None] = {}
        for change in changes:  # by id: the latest change wins
            if change.target_outbox_id is not None:
                pending_end[("id", change.target_outbox_id)] = change.einddatum
            if change.target_nummer:
                pending_end[("nummer", change.target_nummer)] = change.einddatum
        known = []
        for row in meldingen:
            einddatum = row.einddatum
            for key in (("id", row.id), ("nummer", row.duo_nummer)):
                if key in pending_end:
                    einddatum = pending_end[key]
            known.append(
                KnownMelding(
                    leerlingnummer=row.leerlingnummer,
                    code=row.code,
                    begindatum=row.begindatum,
                    einddatum=einddatum,
                    status=row.duo_status or DuoStatus.GEREGISTREERD,
                    herhaal=row.herhaal,
                    nummer=row.duo_nummer or "",
                )
            )
        known.sort(key=lambda item: (item.leerlingnummer, item.begindatum, item.code.value))
        return known

    # ----- helpers -----

    def _rows(
        self,
        connection: Connection,
        condition: Any,
        *,
        limit: int | None = None,
        offset: int = 0,
        order: Sequence[Any] = (),
    ) -> builtins.list[OutboxRow]:
        query = select(outbox)
        if condition is not None:
            query = query.where(condition)
        query = query.order_by(*(order or (outbox.c.id,))).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [_to_row(row._mapping) for row in connection.execute(query)]

    def _move(
        self,
        connection: Connection,
        outbox_id: int,
        from_states: Sequence[State],
        new_state: State,
        worker: str | None,
        now: dt.datetime,
        actor: str,
        event_name: str,
        values: Mapping[str, Any],
        detail: Mapping[str, Any],
    ) -> bool:
        """Move one row from one of ``from_states`` (and, with ``worker``, under that worker's
        lease) to ``new_state``, with its audit row. The lease is cleared."""
        conditions = [
            outbox.c.id == outbox_id,
            outbox.c.state.in_([state.value for state in from_states]),
        ]
        if worker is not None:
            conditions.append(outbox.c.lease_owner == worker)
        old = connection.execute(
            select(outbox.c.state).where(*conditions).with_for_update()
        ).scalar_one_or_none()
        if old is None:
            return False
        connection.execute(
            update(outbox)
            .where(*conditions)
            .values(
                state=new_state.value,
                lease_owner=None,
                lease_until=None,
                updated_at=now,
                **values,
            )
        )
        self._audit(connection, outbox_id, now, actor, event_name, State(old), new_state, detail)
        return True

    def _accept(
        self,
        connection: Connection,
        outbox_id: int,
        from_states: Sequence[State],
        worker: str | None,
        duo_nummer: str,
        duo_status: DuoStatus,
        now: dt.datetime,
        actor: str,
        event_name: str,
    ) -> bool:
        moved = self._move(
            connection,
            outbox_id,
            from_states,
            State.ACCEPTED,
            worker,
            now,
            actor,
            event_name,
            {"duo_nummer": duo_nummer, "duo_status": duo_status.value, "last_error": None},
            {"duo_nummer": duo_nummer, "duo_status": duo_status.value},
        )
        if moved:
            (row,) = self._rows(connection, outbox.c.id == outbox_id)
            if row.operation is not Operation.MELDEN:
                self._update_target(connection, row, duo_status, now, actor)
        return moved

    def _update_target(
        self,
        connection: Connection,
        change: OutboxRow,
        duo_status: DuoStatus,
        now: dt.datetime,
        actor: str,
    ) -> None:
        """An accepted change or withdrawal updates the melding it targets (DOMAIN.md 3.1:
        DC0001 carries the melding's status now)."""
        if change.target_outbox_id is not None:
            target_condition = outbox.c.id == change.target_outbox_id
        elif change.target_nummer:
            target_condition = and_(
                outbox.c.duo_nummer == change.target_nummer,
                outbox.c.operation == Operation.MELDEN.value,
                outbox.c.state == State.ACCEPTED.value,
            )
        else:
            return
        targets = self._rows(connection, target_condition)
        for target in targets:
            values: dict[str, Any] = {"duo_status": duo_status.value, "updated_at": now}
            detail: dict[str, Any] = {
                "by_outbox_id": change.id,
                "duo_status": [_value(target.duo_status), duo_status.value],
            }
            if change.operation is Operation.MUTATIE and change.einddatum is not None:
                values["einddatum"] = change.einddatum
                detail["einddatum"] = [_iso(target.einddatum), _iso(change.einddatum)]
            connection.execute(update(outbox).where(outbox.c.id == target.id).values(**values))
            self._audit(
                connection,
                target.id,
                now,
                actor,
                f"{change.operation.value}_applied",
                target.state,
                target.state,
                detail,
            )

    @staticmethod
    def _audit(
        connection: Connection,
        outbox_id: int | None,
        now: dt.datetime,
        actor: str,
        event_name: str,
        old_state: State | None,
        new_state: State | None,
        detail: Mapping[str, Any],
    ) -> None:
        connection.execute(
            insert(audit).values(
                **audit_values(outbox_id, now, actor, event_name, old_state, new_state, detail)
            )
        )


def _due_statement() -> Any:
    """Due ``queued`` rows, oldest due first, without a change or withdrawal that must wait
    for an earlier request for the same melding (same ``target_nummer`` or same
    ``target_outbox_id``). Each of the two lookups runs only for a row that has that target,
    through its index: a new melding costs no subquery at all. Built once (``b_now``,
    ``b_limit``)."""
    other = outbox.alias("other")
    unfinished = or_(
        other.c.state.in_([State.SENDING.value, State.UNKNOWN.value, State.SECURITY.value]),
        and_(other.c.state == State.QUEUED.value, other.c.id < outbox.c.id),
    )

    def earlier_unfinished_by(target: str) -> Any:
        mine, theirs = outbox.c[target], other.c[target]
        return and_(
            mine.is_not(None),
            exists().where(theirs == mine, other.c.id != outbox.c.id, unfinished),
        )

    earlier_unfinished = or_(
        earlier_unfinished_by("target_nummer"), earlier_unfinished_by("target_outbox_id")
    )
    return (
        select(outbox.c.id)
        .where(
            outbox.c.state == State.QUEUED.value,
            outbox.c.next_attempt_at <= bindparam("b_now", type_=outbox.c.next_attempt_at.type),
            ~earlier_unfinished,
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(bindparam("b_limit", type_=Integer))
        .with_for_update(skip_locked=True, of=outbox)
    )


#: The claim's query of due row ids (parameters ``b_now`` and ``b_limit``).
DUE_ROWS = _due_statement()

#: ``queued`` -> ``sending`` for the due rows ``b_ids`` under ``b_worker``'s lease, returning
#: the whole rows (one statement: no second query to read what was claimed).
_CLAIM = (
    update(outbox)
    .where(
        outbox.c.id.in_(bindparam("b_ids", expanding=True)), outbox.c.state == State.QUEUED.value
    )
    .values(
        state=State.SENDING.value,
        lease_owner=bindparam("b_worker"),
        lease_until=bindparam("b_until", type_=outbox.c.lease_until.type),
        attempts=outbox.c.attempts + 1,
        updated_at=bindparam("b_now", type_=outbox.c.updated_at.type),
    )
    .returning(*outbox.c)
)


def audit_values(
    outbox_id: int | None,
    now: dt.datetime,
    actor: str,
    event_name: str,
    old_state: State | None,
    new_state: State | None,
    detail: Mapping[str, Any],
) -> dict[str, Any]:
    """The columns of one ``audit`` row (the detail as JSON, nine-digit runs masked)."""
    return {
        "outbox_id": outbox_id,
        "at": now,
        "actor": actor,
        "event": event_name,
        "old_state": old_state.value if old_state else None,
        "new_state": new_state.value if new_state else None,
        "detail": redact(json.dumps(dict(detail), sort_keys=True, ensure_ascii=False)),
    }


def melden_key(brin: str, leerlingnummer: str, code: WireCode, begindatum: dt.date) -> str:
    """The natural key of a ``melden`` row (as ``NewOutboxItem.natural_key``)."""
    return "|".join(
        (Operation.MELDEN.value, brin, leerlingnummer, code.value, begindatum.isoformat())
    )


def _to_row(row: RowMapping) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        operation=Operation(row["operation"]),
        brin=row["brin"],
        vestiging=row["vestiging"],
        leerlingnummer=row["leerlingnummer"],
        identiteit_soort=IdentiteitSoort(row["identiteit_soort"]),
        identiteit=row["identiteit"],
        code=WireCode(row["code"]),
        begindatum=row["begindatum"],
        einddatum=row["einddatum"],
        herhaal=bool(row["herhaal"]),
        target_nummer=row["target_nummer"],
        target_outbox_id=row["target_outbox_id"],
        natural_key=row["natural_key"],
        document_id=row["document_id"],
        xml=bytes(row["xml"]),
        payload=json.loads(row["payload"]),
        state=State(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        last_error=row["last_error"],
        duo_errors=tuple(
            (str(code), str(text)) for code, text in json.loads(row["duo_errors"] or "[]")
        ),
        duo_nummer=row["duo_nummer"],
        duo_status=DuoStatus(row["duo_status"]) if row["duo_status"] else None,
        duo_reden=row["duo_reden"],
        duo_changed_at=row["duo_changed_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _value(status: DuoStatus | None) -> str | None:
    return status.value if status is not None else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
