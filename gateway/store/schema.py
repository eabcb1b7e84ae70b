"""Table definitions (SQLAlchemy Core) of the durable store; the migrations create the same.

``tests/test_store_migrations.py`` compares these tables with what the migrations built, so the
two cannot drift apart. Datetimes are stored as UTC (``UtcDateTime``): timezone-aware in Python,
``timestamptz`` on PostgreSQL, ISO text on SQLite.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

#: Integer primary keys: 64-bit on PostgreSQL, the rowid alias on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

#: States whose natural key is "live": one live row per natural key (DESIGN.md 4). A rejected
#: request is final and does not block a corrected one.
LIVE_STATES_SQL = "state <> 'rejected'"


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime. Naive datetimes are refused: "now" always comes from the
    caller with its zone, and the store never guesses one."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass a timezone-aware datetime")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("operation", String(16), nullable=False),
    Column("brin", String(4), nullable=False),
    Column("vestiging", String(2), nullable=False),
    Column("leerlingnummer", String(64), nullable=False),
    Column("identiteit_soort", String(16), nullable=False),
    Column("identiteit", String(9), nullable=False),
    Column("code", String(4), nullable=False),
    Column("begindatum", Date, nullable=False),
    Column("einddatum", Date, nullable=True),
    Column("herhaal", Boolean, nullable=False),
    Column("target_nummer", String(64), nullable=True),
    Column("target_outbox_id", Id, ForeignKey("outbox.id"), nullable=True),
    Column("natural_key", String(255), nullable=False),
    Column("document_id", String(36), nullable=False, unique=True),
    Column("xml", LargeBinary, nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("duo_errors", Text, nullable=True),
    Column("duo_nummer", String(64), nullable=True),
    Column("duo_status", String(1), nullable=True),
    Column("duo_reden", String(200), nullable=True),
    Column("duo_changed_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

Index(
    "ux_outbox_natural_key_live",
    outbox.c.natural_key,
    unique=True,
    sqlite_where=text(LIVE_STATES_SQL),
    postgresql_where=text(LIVE_STATES_SQL),
)
Index("ix_outbox_state_due", outbox.c.state, outbox.c.next_attempt_at)
Index("ix_outbox_state_lease", outbox.c.state, outbox.c.lease_until)
Index("ix_outbox_duo_nummer", outbox.c.duo_nummer)
Index("ix_outbox_target_nummer", outbox.c.target_nummer)
Index("ix_outbox_target_outbox_id", outbox.c.target_outbox_id)  # migration 0004
Index("ix_outbox_match", outbox.c.brin, outbox.c.code, outbox.c.begindatum)

audit = Table(
    "audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("outbox_id", Id, ForeignKey("outbox.id"), nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("event", String(32), nullable=False),
    Column("old_state", String(16), nullable=True),
    Column("new_state", String(16), nullable=True),
    Column("detail", Text, nullable=False),
)
Index("ix_audit_outbox_id", audit.c.outbox_id)

reconcile_cursor = Table(
    "reconcile_cursor",
    metadata,
    Column("brin", String(4), primary_key=True),
    Column("vestiging", String(2), primary_key=True),
    Column("selectiemoment", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# --- HTTP API (issue 6, migration 0002) ---

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("brins", Text, nullable=False),
    Column("naam", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("api_key_id", Id, ForeignKey("api_keys.id"), nullable=False),
    Column("idem_key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("location", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ux_idempotency_key", idempotency.c.api_key_id, idempotency.c.idem_key, unique=True)
Index("ix_idempotency_created_at", idempotency.c.created_at)

# --- scheduled sync (issue 6, migration 0003) ---

sync_lease = Table(
    "sync_lease",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
"""Who runs the sync of a school (``gateway/service/sync_lease.py``): one row per school, renewed
while its sync runs; a crashed holder's row expires and the next sync takes it over."""
