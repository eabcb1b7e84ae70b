"""The store's schema: migrations from empty, idempotent, equal to ``schema.py``; SQLite settings;
the append-only audit table; the PostgreSQL form of the claim (DESIGN.md 2 "storage", 4)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from store_builders import T0, new_item, store_at

from gateway.store import State, Store, open_store
from gateway.store.schema import metadata


def test_migrations_run_from_empty_and_are_idempotent(tmp_path: Path) -> None:
    first = store_at(tmp_path)
    first.enqueue(new_item(), T0, "test")
    first.close()
    again = store_at(tmp_path)  # migrating a database at head changes nothing
    assert again.counts()[State.QUEUED] == 1
    with again.engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).all() == [
            ("0001",)
        ]
    again.close()


def test_migrated_schema_equals_schema_module(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    store.close()
    assert diff == []


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    store.close()


def test_foreign_key_of_target_is_enforced(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    with pytest.raises(DBAPIError):
        store.enqueue(new_item(target_outbox_id=999), T0, "test")
    store.close()


def test_audit_is_append_only(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    store.enqueue(new_item(), T0, "test")
    store.close()
    connection = sqlite3.connect(tmp_path / "verzuim.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("DELETE FROM audit")
    connection.close()


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    with pytest.raises(ValueError, match="naive"):
        store.enqueue(new_item(), dt.datetime(2024, 10, 1, 8, 0), "test")
    store.close()


def test_claim_query_on_postgresql_locks_with_skip_locked() -> None:
    sql = str(
        Store._due_query(T0, 10).compile(
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        )
    )
    assert "FOR UPDATE OF outbox SKIP LOCKED" in sql


def test_open_store_default_url_is_a_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    open_store().close()
    assert (tmp_path / "verzuim.db").exists()
