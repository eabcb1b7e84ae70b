"""The sync lease: one row per school in the store (table ``sync_lease``), so that only one
``verzuim sync`` works on a school at a time, also when several machines share one PostgreSQL.

A lease has an owner and an ``expires_at``; the holder renews it while it runs (``Heartbeat``),
and a crashed holder's lease simply runs out, after which the next sync takes it over. Taking a
lease is one atomic statement on both databases: an ``UPDATE`` of an expired (or our own) row, or
an ``INSERT`` of a missing one, where a concurrent ``INSERT`` of the same name fails on the
primary key and counts as "taken by someone else". "now" always comes from the caller.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway.logging import get_logger
from gateway.store.schema import sync_lease

log = get_logger(__name__)
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """Who holds a lease, until when."""

    name: str
    owner: str
    expires_at: dt.datetime


class SyncLeases:
    """Take, renew and give back leases by name (e.g. ``sync:99XX-00``)."""

    def __init__(self, engine: Engine, owner: str, seconds: float) -> None:
        self._engine = engine
        self.owner = owner
        self.duration = dt.timedelta(seconds=seconds)

    def acquire(self, name: str, now: dt.datetime) -> bool:
        """Take ``name`` when it is free, expired or already ours; False when another owner
        holds it and it has not expired."""
        expires = now + self.duration
        with self._engine.begin() as connection:
            taken = connection.execute(
                update(sync_lease)
                .where(
                    sync_lease.c.name == name,
                    or_(sync_lease.c.expires_at <= now, sync_lease.c.owner == self.owner),
                )
                .values(owner=self.owner, acquired_at=now, expires_at=expires)
            ).rowcount
            if taken == 1:
                return True
            exists = connection.execute(
                select(sync_lease.c.name).where(sync_lease.c.name == name)
            ).first()
            if exists is not None:
                return False
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(sync_lease).values(
                        name=name, owner=self.owner, acquired_at=now, expires_at=expires
                    )
                )
        except IntegrityError:  # another sync inserted it first
            return False
        return True

    def renew(self, name: str, now: dt.datetime) -> bool:
        """Extend our lease; False when it is no longer ours (it expired and was taken over)."""
        with self._engine.begin() as connection:
            return (
                connection.execute(
                    update(sync_lease)
                    .where(sync_lease.c.name == name, sync_lease.c.owner == self.owner)
                    .values(expires_at=now + self.duration)
                ).rowcount
                == 1
            )

    def release(self, name: str) -> None:
        """Give the lease back (only when it is still ours)."""
        with self._engine.begin() as connection:
            connection.execute(
                delete(sync_lease).where(
                    sync_lease.c.name == name, sync_lease.c.owner == self.owner
                )
            )

    def holder(self, name: str) -> LeaseHolder | None:
        """The current row of ``name`` (expired or not), or None."""
        with self._engine.connect() as connection:
            row = connection.execute(select(sync_lease).where(sync_lease.c.name == name)).first()
        return None if row is None else LeaseHolder(row.name, row.owner, row.expires_at)


class Heartbeat:
    """Renews the held leases every third of their duration in a background thread, so a long
    step (a large import, a slow DUO) does not lose the lease. A lease that could not be renewed
    is reported in ``lost``; the sync checks it between steps and stops that school."""

    def __init__(self, leases: SyncLeases, clock: Clock) -> None:
        self._leases = leases
        self._clock = clock
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: set[str] = set()

    def hold(self, name: str) -> None:
        with self._lock:
            self._held.add(name)

    def drop(self, name: str) -> None:
        with self._lock:
            self._held.discard(name)

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="sync-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        interval = max(self._leases.duration.total_seconds() / 3, 0.5)
        while not self._stop.wait(interval):
            with self._lock:
                names = sorted(self._held)
            for name in names:
                try:
                    renewed = self._leases.renew(name, self._clock())
                except Exception as exc:  # a database hiccup: try again next beat
                    log.warning("lease niet verlengd", lease=name, error=str(exc))
                    continue
                if not renewed:
                    log.error("lease kwijt; deze school stopt na de huidige stap", lease=name)
                    with self._lock:
                        self.lost.add(name)
                        self._held.discard(name)
