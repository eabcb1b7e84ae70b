"""The durable store: outbox, audit trail and reconciliation cursor (DESIGN.md 4).

SQLAlchemy 2 Core with Alembic migrations shipped in ``migrations/``; SQLite by default,
PostgreSQL for several workers. See ``README.md`` in this folder for tables, states and
transitions.
"""

from gateway.store.records import (
    AuditEntry,
    EnqueueResult,
    IdentiteitSoort,
    NewOutboxItem,
    Operation,
    OutboxRow,
    State,
)
from gateway.store.store import PENDING_STATES, Store, melden_key, migrate, open_store, redact

__all__ = [
    "PENDING_STATES",
    "AuditEntry",
    "EnqueueResult",
    "IdentiteitSoort",
    "NewOutboxItem",
    "Operation",
    "OutboxRow",
    "State",
    "Store",
    "melden_key",
    "migrate",
    "open_store",
    "redact",
]
