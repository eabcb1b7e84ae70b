"""The store's schema on SQLite and PostgreSQL: migrations from empty, idempotent, equal to
``schema.py``; SQLite settings; the append-only audit table (triggers on both); timestamptz on
PostgreSQL; the claim's ``FOR UPDATE SKIP LOCKED`` (DESIGN.md 2 "storage", 4)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from importlib.resources import as_file, files
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from store_builders import T0, new_item, store_at

from gateway.store import State, open_store
from gateway.store.schema import metadata
from gateway.store.store import DUE_ROWS


def _head() -> str:
    with as_file(files("gateway.store") / "migrations") as location:
        config = Config()
        config.set_main_option("script_location", str(location))
        head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrations_run_from_empty_and_are_idempotent(store_url: str) -> None:
    first = open_store(store_url)
    first.enqueue(new_item(), T0, "test")
    first.close()
    again = open_store(store_url)  # migrating a database at head changes nothing
    assert again.counts()[State.QUEUED] == 1
    with again.engine.connect() as connection:
        versions = connection.execute(text("select version_num from alembic_version")).all()
    assert versions == [(_head(),)]
    again.close()


def test_migrated_schema_equals_schema_module(store_url: str) -> None:
    store = open_store(store_url)
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


def test_foreign_key_of_target_is_enforced(store_url: str) -> None:
    store = open_store(store_url)
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


def test_audit_is_append_only_on_postgresql(pg_url: str) -> None:
    store = open_store(pg_url)
    store.enqueue(new_item(), T0, "test")
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))
    assert [entry.actor for entry in store.audit_trail(1)] == ["test"]
    store.close()


def test_postgresql_keeps_timestamps_as_timestamptz_in_utc(pg_url: str) -> None:
    store = open_store(pg_url)
    amsterdam = dt.timezone(dt.timedelta(hours=2))
    created = store.enqueue(new_item(), T0.astimezone(amsterdam), "test").outbox_id
    with store.engine.connect() as connection:
        types = dict(
            connection.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = 'outbox' AND column_name LIKE '%_at'"
                )
            ).all()
        )
    assert set(types.values()) == {"timestamp with time zone"}
    assert len(types) == 4  # next_attempt_at, duo_changed_at, created_at, updated_at
    row = store.get(created)
    assert row is not None
    assert row.created_at == T0
    assert row.created_at.utcoffset() == dt.timedelta(0)
    store.close()


def test_postgresql_claim_skips_rows_another_transaction_holds(pg_url: str) -> None:
    """SKIP LOCKED for real: while one transaction holds the oldest due row (as a claim in
    progress does), another claim takes the next row instead of waiting or taking it too."""
    store = open_store(pg_url)
    first = store.enqueue(new_item("1"), T0, "sis").outbox_id
    second = store.enqueue(new_item("2"), T0 + dt.timedelta(seconds=1), "sis").outbox_id
    later = T0 + dt.timedelta(minutes=1)
    with store.engine.connect() as holder, holder.begin():
        locked = holder.execute(DUE_ROWS, {"b_now": later, "b_limit": 1}).scalars().all()
        assert locked == [first]
        claimed = store.claim("w2", later, dt.timedelta(minutes=5), 2)
        assert [row.id for row in claimed] == [second]
    (rest,) = store.claim("w3", later, dt.timedelta(minutes=5), 2)
    assert rest.id == first
    store.close()


def test_postgresql_migration_downgrades_to_empty(pg_url: str) -> None:
    open_store(pg_url).close()
    engine = create_engine(pg_url)
    with as_file(files("gateway.store") / "migrations") as location, engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(location))
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        functions = connection.execute(
            text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_append_only'")
        ).scalar_one()
        assert set(tables) == {"alembic_version"}
        assert functions == 0
    engine.dispose()
    open_store(pg_url).close()  # and up again


def test_naive_datetimes_are_refused(store_url: str) -> None:
    store = open_store(store_url)
    with pytest.raises(ValueError, match="naive"):
        store.enqueue(new_item(), dt.datetime(2024, 10, 1, 8, 0), "test")
    store.close()


def test_claim_query_on_postgresql_locks_with_skip_locked() -> None:
    sql = str(
        DUE_ROWS.compile(
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
