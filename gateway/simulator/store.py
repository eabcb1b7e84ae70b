"""The simulator's state: DUO's side of the meldingen, in its own SQLite file.

Every melding DUO registered (number, document id, pupil identity, code, dates, status, reasons,
the municipality's schedule) and a change log. Each change gets a *change moment* in whole
microseconds that is unique and strictly increasing, also across restarts (the next moment is at
least one microsecond after the last one stored). ``AanvraagGewijzigdeMeldingRelatiefVerzuim``
pages on these moments (DOMAIN.md 3.1), so two changes never share a moment and paging can
neither skip nor repeat one.

Moments are stored as integers (microseconds since the Unix epoch, UTC).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gateway.model import DuoStatus, WireCode

# A new melding is one statement: the trigger writes its REGISTRATIE entry in the change log
# within the same INSERT, so registering needs no BEGIN/COMMIT of its own (DOMAIN.md 3.1: the
# melding and its entry are committed together or not at all).
# The indexes of the municipality's due steps are partial: only meldingen with a step still to
# come are in them, so registering a melding writes one index page less (two when the
# municipality does nothing by itself). The full indexes of earlier versions are dropped.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meldingen (
    nummer TEXT PRIMARY KEY,
    volgnummer INTEGER NOT NULL UNIQUE,
    document_id TEXT NOT NULL,
    brin TEXT NOT NULL,
    vestiging TEXT NOT NULL,
    bsn TEXT NOT NULL,
    onderwijsnummer TEXT NOT NULL,
    leerlingnummer TEXT,
    code TEXT NOT NULL,
    herhaal INTEGER NOT NULL,
    begindatum TEXT NOT NULL,
    einddatum TEXT,
    status TEXT NOT NULL,
    reden_afsluiting TEXT,
    reden_intrekking TEXT,
    geregistreerd_op INTEGER NOT NULL,
    gewijzigd_op INTEGER NOT NULL UNIQUE,
    behandeling_op INTEGER,
    afsluiting_op INTEGER,
    afsluiting_status TEXT,
    afsluiting_reden TEXT
);
CREATE INDEX IF NOT EXISTS meldingen_school ON meldingen (brin, gewijzigd_op);
CREATE INDEX IF NOT EXISTS meldingen_document ON meldingen (document_id);
DROP INDEX IF EXISTS meldingen_due_behandeling;
DROP INDEX IF EXISTS meldingen_due_afsluiting;
CREATE INDEX IF NOT EXISTS meldingen_due_r ON meldingen (behandeling_op)
    WHERE status = 'R' AND behandeling_op IS NOT NULL;
CREATE INDEX IF NOT EXISTS meldingen_due_b ON meldingen (afsluiting_op)
    WHERE status = 'B' AND afsluiting_op IS NOT NULL;
CREATE TABLE IF NOT EXISTS wijzigingen (
    volgnummer INTEGER PRIMARY KEY AUTOINCREMENT,
    nummer TEXT NOT NULL REFERENCES meldingen (nummer),
    moment INTEGER NOT NULL,
    soort TEXT NOT NULL,
    status TEXT NOT NULL,
    document_id TEXT,
    velden TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS meldingen_registratie AFTER INSERT ON meldingen BEGIN
    INSERT INTO wijzigingen (nummer, moment, soort, status, document_id, velden)
    VALUES (NEW.nummer, NEW.gewijzigd_op, 'REGISTRATIE', NEW.status, NEW.document_id, '');
END;
"""

Clock = Callable[[], dt.datetime]
_NEVER = 2**63 - 1


def to_micros(moment: dt.datetime) -> int:
    """A timezone-aware moment as whole microseconds since the epoch."""
    delta = moment.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> dt.datetime:
    """The inverse of ``to_micros``."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=value)


@dataclass(frozen=True, slots=True)
class Schedule:
    """What the municipality will do with a melding, and when (``municipality.py``)."""

    behandeling_op: int | None
    afsluiting_op: int | None
    afsluiting_status: DuoStatus
    afsluiting_reden: str | None


@dataclass(frozen=True, slots=True)
class NewMelding:
    """A melding as it arrives in ``MeldenRelatiefVerzuim``."""

    document_id: str
    brin: str
    vestiging: str
    bsn: str
    onderwijsnummer: str
    code: WireCode
    herhaal: bool
    begindatum: dt.date
    einddatum: dt.date | None
    leerlingnummer: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMelding:
    """A melding as DUO holds it. ``repr`` leaves out the pupil's identity."""

    nummer: str
    document_id: str
    brin: str
    vestiging: str
    bsn: str
    onderwijsnummer: str
    leerlingnummer: str | None
    code: WireCode
    herhaal: bool
    begindatum: dt.date
    einddatum: dt.date | None
    status: DuoStatus
    reden_afsluiting: str | None
    reden_intrekking: str | None
    geregistreerd_op: dt.datetime
    gewijzigd_op: dt.datetime
    registraties: int = 1

    def __repr__(self) -> str:
        return f"StoredMelding(nummer={self.nummer!r}, status={self.status.value!r})"


_COLUMNS = (
    "nummer, document_id, brin, vestiging, bsn, onderwijsnummer, leerlingnummer, code, herhaal, "
    "begindatum, einddatum, status, reden_afsluiting, reden_intrekking, geregistreerd_op, "
    "gewijzigd_op"
)
_DUE_COLUMNS = "volgnummer, nummer, status, afsluiting_op, afsluiting_status, afsluiting_reden"
_REGISTRATIES = (
    "(SELECT COUNT(*) FROM meldingen AS other WHERE other.brin = m.brin "
    "AND other.bsn = m.bsn AND other.onderwijsnummer = m.onderwijsnummer "
    "AND other.code = m.code AND other.begindatum = m.begindatum)"
)


class SimulatorStore:
    """DUO's register of the simulator in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a crash of the process (not a power cut), and the
        # event loop does not wait for an fsync on every registered melding.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        row = self._db.execute(
            "SELECT MAX(moment), (SELECT MAX(volgnummer) FROM meldingen) FROM wijzigingen"
        ).fetchone()
        self._last_moment: int = row[0] or 0
        self._last_number: int = row[1] or 0
        self._quiet_until: int | None = None
        """No municipality step is due before this moment (None: not known, ask the table)."""

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def now(self) -> int:
        """The clock now, in microseconds (not a change moment)."""
        return to_micros(self._clock())

    # ----- changes -----

    def register(self, melding: NewMelding, schedule: Callable[[str, int], Schedule]) -> str:
        """Register a new melding with status R; return its number (``VM`` + 8 digits)."""
        with self._one_statement():
            self._last_number += 1
            nummer = f"VM{self._last_number:08d}"
            moment = self._next_moment()
            plan = schedule(nummer, moment)
            self._insert(melding, nummer, DuoStatus.GEREGISTREERD, moment, plan)
            if plan.behandeling_op is not None and self._quiet_until is not None:
                self._quiet_until = min(self._quiet_until, plan.behandeling_op)
            return nummer

    def register_existing(self, melding: NewMelding, nummer: str, status: DuoStatus) -> None:
        """Put a melding made before this register existed (a school's history, sent before it
        used the gateway) under its own ``nummer`` and ``status``; the municipality leaves it
        as it is. Used by the demo so that R-EINDE changes to earlier meldingen find them."""
        with self._one_statement():
            self._last_number += 1
            self._insert(melding, nummer, status, self._next_moment(), None)

    def _insert(
        self,
        melding: NewMelding,
        nummer: str,
        status: DuoStatus,
        moment: int,
        plan: Schedule | None,
    ) -> None:
        """One row of the register, in one statement: its REGISTRATIE entry in the change log
        is written by the trigger ``meldingen_registratie``."""
        self._db.execute(
            "INSERT INTO meldingen (nummer, volgnummer, document_id, brin, vestiging, bsn, "
            "onderwijsnummer, leerlingnummer, code, herhaal, begindatum, einddatum, status, "
            "geregistreerd_op, gewijzigd_op, behandeling_op, afsluiting_op, "
            "afsluiting_status, afsluiting_reden) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                nummer,
                self._last_number,
                melding.document_id,
                melding.brin,
                melding.vestiging,
                melding.bsn,
                melding.onderwijsnummer,
                melding.leerlingnummer,
                melding.code.value,
                int(melding.herhaal),
                melding.begindatum.isoformat(),
                melding.einddatum.isoformat() if melding.einddatum else None,
                status.value,
                moment,
                moment,
                plan.behandeling_op if plan else None,
                plan.afsluiting_op if plan else None,
                plan.afsluiting_status.value if plan else None,
                plan.afsluiting_reden if plan else None,
            ),
        )

    def change(
        self,
        nummer: str,
        *,
        soort: str,
        document_id: str | None = None,
        status: DuoStatus | None = None,
        einddatum: dt.date | None = None,
        reden_afsluiting: str | None = None,
        reden_intrekking: str | None = None,
        velden: tuple[str, ...] = (),
    ) -> StoredMelding:
        """Apply one change to a melding (new status and/or einddatum and reasons), give it a
        new change moment and log it. ``soort`` is ``MUTATIE``, ``INTREKKING`` or ``STATUS``."""
        with self._transaction():
            current = self.get(nummer)
            if current is None:
                raise KeyError(nummer)
            self._quiet_until = None  # a new status can make another step due: ask again
            moment = self._next_moment()
            new_status = status or current.status
            self._db.execute(
                "UPDATE meldingen SET status = ?, einddatum = COALESCE(?, einddatum), "
                "reden_afsluiting = CASE WHEN ? = 'G' THEN COALESCE(?, reden_afsluiting) "
                "ELSE NULL END, reden_intrekking = COALESCE(?, reden_intrekking), "
                "gewijzigd_op = ? WHERE nummer = ?",
                (
                    new_status.value,
                    einddatum.isoformat() if einddatum else None,
                    new_status.value,
                    reden_afsluiting,
                    reden_intrekking,
                    moment,
                    nummer,
                ),
            )
            self._log(nummer, moment, soort, new_status, document_id, velden)
            changed = self.get(nummer)
            assert changed is not None
            return changed

    def due_transitions(self, now: int) -> list[tuple[str, DuoStatus, str | None]]:
        """The municipality's steps that are due at ``now``: (nummer, new status, reason).

        Asked on every request: the ``meldingen_due_*`` indexes keep it from reading the table,
        and the first moment a step can be due is kept, so that until then (and until a change
        of status) the table is not asked at all."""
        with self._lock:
            if self._quiet_until is not None and now < self._quiet_until:
                return []
            rows = self._db.execute(
                f"SELECT * FROM (SELECT {_DUE_COLUMNS} FROM meldingen "
                "WHERE status = 'R' AND behandeling_op <= ? "
                f"UNION ALL SELECT {_DUE_COLUMNS} FROM meldingen "
                "WHERE status = 'B' AND afsluiting_op <= ?) ORDER BY volgnummer",
                (now, now),
            ).fetchall()
            if not rows:
                self._quiet_until = self._first_due()
        steps: list[tuple[str, DuoStatus, str | None]] = []
        for _volgnummer, nummer, status, afsluiting, final, reden in rows:
            if status == "R":
                steps.append((nummer, DuoStatus.IN_BEHANDELING, None))
                if afsluiting is not None and afsluiting <= now:
                    steps.append((nummer, DuoStatus(final), reden))
            else:
                steps.append((nummer, DuoStatus(final), reden))
        return steps

    def _first_due(self) -> int:
        """The first moment a step of the municipality is due (past ones included); a moment
        after any other when none is planned."""
        row = self._db.execute(
            "SELECT (SELECT MIN(behandeling_op) FROM meldingen "
            "WHERE status = 'R' AND behandeling_op IS NOT NULL), "
            "(SELECT MIN(afsluiting_op) FROM meldingen "
            "WHERE status = 'B' AND afsluiting_op IS NOT NULL)"
        ).fetchone()
        return min((moment for moment in row if moment is not None), default=_NEVER)

    # ----- queries -----

    def get(self, nummer: str) -> StoredMelding | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS}, {_REGISTRATIES} FROM meldingen AS m WHERE nummer = ?",
                (nummer,),
            ).fetchone()
        return None if row is None else _melding(row)

    def by_document(self, document_id: str) -> StoredMelding | None:
        """The first melding registered from this document id, if any (``--dedupe``)."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS}, {_REGISTRATIES} FROM meldingen AS m "
                "WHERE document_id = ? ORDER BY volgnummer LIMIT 1",
                (document_id,),
            ).fetchone()
        return None if row is None else _melding(row)

    def changed_since(self, brin: str, after: int, limit: int) -> list[StoredMelding]:
        """The school's meldingen whose last change moment is after ``after``, oldest first,
        at most ``limit`` (each melding once, in its current state)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS}, {_REGISTRATIES} FROM meldingen AS m "
                "WHERE brin = ? AND gewijzigd_op > ? ORDER BY gewijzigd_op LIMIT ?",
                (brin, after, limit),
            ).fetchall()
        return [_melding(row) for row in rows]

    def all(self) -> list[StoredMelding]:
        """Every melding in registration order, with ``registraties`` filled in."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS}, {_REGISTRATIES} FROM meldingen AS m ORDER BY volgnummer"
            ).fetchall()
        return [_melding(row) for row in rows]

    def change_log(self, nummer: str) -> list[tuple[dt.datetime, str, DuoStatus, str]]:
        """The logged changes of one melding: (moment, soort, status, changed fields)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT moment, soort, status, velden FROM wijzigingen WHERE nummer = ? "
                "ORDER BY volgnummer",
                (nummer,),
            ).fetchall()
        return [(from_micros(m), soort, DuoStatus(s), velden) for m, soort, s, velden in rows]

    # ----- parts -----

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            saved = (self._last_moment, self._last_number)
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._last_moment, self._last_number = saved
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _one_statement(self) -> Iterator[None]:
        """For a change that is a single statement (atomic, and committed when it returns in
        autocommit mode): the lock, and the counters put back when it fails."""
        with self._lock:
            saved = (self._last_moment, self._last_number)
            try:
                yield
            except BaseException:
                self._last_moment, self._last_number = saved
                raise

    def _next_moment(self) -> int:
        """A change moment: the clock, but at least one microsecond after the last one."""
        self._last_moment = max(self.now(), self._last_moment + 1)
        return self._last_moment

    def _log(
        self,
        nummer: str,
        moment: int,
        soort: str,
        status: DuoStatus,
        document_id: str | None,
        velden: tuple[str, ...] = (),
    ) -> None:
        self._db.execute(
            "INSERT INTO wijzigingen (nummer, moment, soort, status, document_id, velden) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (nummer, moment, soort, status.value, document_id, ",".join(velden)),
        )


def _melding(row: tuple[object, ...]) -> StoredMelding:
    (
        nummer,
        document_id,
        brin,
        vestiging,
        bsn,
        onderwijsnummer,
        leerlingnummer,
        code,
        herhaal,
        begindatum,
        einddatum,
        status,
        reden_afsluiting,
        reden_intrekking,
        geregistreerd_op,
        gewijzigd_op,
        registraties,
    ) = row
    return StoredMelding(
        nummer=str(nummer),
        document_id=str(document_id),
        brin=str(brin),
        vestiging=str(vestiging),
        bsn=str(bsn),
        onderwijsnummer=str(onderwijsnummer),
        leerlingnummer=None if leerlingnummer is None else str(leerlingnummer),
        code=WireCode(str(code)),
        herhaal=bool(herhaal),
        begindatum=dt.date.fromisoformat(str(begindatum)),
        einddatum=None if einddatum is None else dt.date.fromisoformat(str(einddatum)),
        status=DuoStatus(str(status)),
        reden_afsluiting=None if reden_afsluiting is None else str(reden_afsluiting),
        reden_intrekking=None if reden_intrekking is None else str(reden_intrekking),
        geregistreerd_op=from_micros(_int(geregistreerd_op)),
        gewijzigd_op=from_micros(_int(gewijzigd_op)),
        registraties=_int(registraties),
    )


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value
