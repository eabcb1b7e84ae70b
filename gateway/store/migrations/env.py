"""Alembic environment of the durable store (run by ``gateway.store.open_store``).

The store hands Alembic an open connection inside a write transaction
(``config.attributes["connection"]``), so that two processes opening the same database at once
migrate it one after the other. Run from the command line, ``sqlalchemy.url`` is used instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from gateway.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Migrate over the given connection, or over a new one to ``sqlalchemy.url``."""
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("geen database: zet sqlalchemy.url of geef een verbinding mee")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run()
