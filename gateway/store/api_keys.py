"""API keys of the HTTP API (issue 6): shown once, stored hashed, scoped to BRINs.

A key looks like ``vzk_<prefix>_<secret>``: the 8-hex ``prefix`` names the key (``verzuim apikey
list``, ``revoke``, log lines) and is stored as it is; the whole key is stored only as its
SHA-256 digest. A key carries 256 random bits, so a plain digest is as strong as a slow hash
would be; the digests are compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from gateway.errors import InputError
from gateway.numbers import is_brin
from gateway.store.schema import api_keys
from gateway.store.store import _IMMEDIATE

KEY_PREFIX = "vzk_"
_KEY = re.compile(r"vzk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key as stored (never the key itself): the BRINs it may report for."""

    id: int
    prefix: str
    brins: tuple[str, ...]
    naam: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def key_digest(key: str) -> str:
    """The stored form of a key: its SHA-256 digest in hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that takes SQLite's write lock at once (as ``Store`` does)."""
    with engine.connect() as connection:
        connection.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            yield connection


class ApiKeyStore:
    """Create, list, revoke and check API keys (table ``api_keys``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, brins: Iterable[str], naam: str, now: dt.datetime) -> tuple[ApiKey, str]:
        """A new key for ``brins``; returns the record and the key, which is not stored and
        cannot be shown again."""
        wanted = sorted(set(brins))
        if not wanted:
            raise InputError("geef minstens een BRIN (--brin 99XX)")
        wrong = [brin for brin in wanted if not is_brin(brin)]
        if wrong:
            raise InputError(
                f"ongeldige BRIN {', '.join(wrong)}: 2 cijfers + 2 hoofdletters/cijfers (V13)"
            )
        if len(naam) > 200:
            raise InputError("--naam: hoogstens 200 tekens")
        with write_transaction(self._engine) as connection:
            while True:
                prefix = secrets.token_hex(4)
                taken = connection.execute(
                    select(api_keys.c.id).where(api_keys.c.prefix == prefix)
                ).first()
                if taken is None:
                    break
            key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
            new_id = connection.execute(
                insert(api_keys)
                .values(
                    prefix=prefix,
                    key_hash=key_digest(key),
                    brins=",".join(wanted),
                    naam=naam,
                    created_at=now,
                    revoked_at=None,
                )
                .returning(api_keys.c.id)
            ).scalar_one()
        record = ApiKey(new_id, prefix, tuple(wanted), naam, now.astimezone(dt.UTC), None)
        return record, key

    def list(self) -> list[ApiKey]:
        """Every key, oldest first (revoked ones too)."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(api_keys).order_by(api_keys.c.id)).all()
        return [_to_key(row) for row in rows]

    def revoke(self, prefix: str, now: dt.datetime) -> bool:
        """Revoke the key named by ``prefix``; False when there is no such active key."""
        with write_transaction(self._engine) as connection:
            changed = connection.execute(
                update(api_keys)
                .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
        return bool(changed)

    def authenticate(self, presented: str) -> ApiKey | None:
        """The active key ``presented`` is, or None (malformed, unknown, revoked or wrong)."""
        match = _KEY.fullmatch(presented)
        digest = key_digest(presented)
        row = None
        if match is not None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(api_keys).where(api_keys.c.prefix == match[1])
                ).first()
        stored = row.key_hash if row is not None else _DUMMY_HASH
        if not hmac.compare_digest(stored, digest) or row is None:
            return None
        key = _to_key(row)
        return key if key.active else None


def _to_key(row: Row[Any]) -> ApiKey:
    mapping = row._mapping
    return ApiKey(
        id=mapping["id"],
        prefix=mapping["prefix"],
        brins=tuple(part for part in mapping["brins"].split(",") if part),
        naam=mapping["naam"],
        created_at=mapping["created_at"],
        revoked_at=mapping["revoked_at"],
    )
