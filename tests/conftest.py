"""Make ``tests/builders.py`` importable as ``builders``; the PostgreSQL fixtures (``pg_server``,
``pg_url``, ``store_url`` over both backends)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


# ----- PostgreSQL (tests/pg_server.py): a throwaway server per session, a database per test -----

from pg_server import MISSING, PgServer, find_bin_dir, running_server

STORE_BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for this test session; skips (saying what to install) without one."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(MISSING)
    with running_server(bin_dir) as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=STORE_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL, once per backend: an SQLite file in ``tmp_path``, or a new PostgreSQL
    database (skipped when PostgreSQL is not installed)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'verzuim.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url
