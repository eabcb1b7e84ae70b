"""Initial store: outbox, audit (append-only) and reconcile_cursor (DESIGN.md 4).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.schema import LIVE_STATES_SQL, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
)
_APPEND_ONLY_POSTGRESQL = (
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit is append-only'; END $$",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("brin", sa.String(4), nullable=False),
        sa.Column("vestiging", sa.String(2), nullable=False),
        sa.Column("leerlingnummer", sa.String(64), nullable=False),
        sa.Column("identiteit_soort", sa.String(16), nullable=False),
        sa.Column("identiteit", sa.String(9), nullable=False),
        sa.Column("code", sa.String(4), nullable=False),
        sa.Column("begindatum", sa.Date, nullable=False),
        sa.Column("einddatum", sa.Date, nullable=True),
        sa.Column("herhaal", sa.Boolean, nullable=False),
        sa.Column("target_nummer", sa.String(64), nullable=True),
        sa.Column("target_outbox_id", _ID, sa.ForeignKey("outbox.id"), nullable=True),
        sa.Column("natural_key", sa.String(255), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False, unique=True),
        sa.Column("xml", sa.LargeBinary, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=True),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("duo_errors", sa.Text, nullable=True),
        sa.Column("duo_nummer", sa.String(64), nullable=True),
        sa.Column("duo_status", sa.String(1), nullable=True),
        sa.Column("duo_reden", sa.String(200), nullable=True),
        sa.Column("duo_changed_at", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index(
        "ux_outbox_natural_key_live",
        "outbox",
        ["natural_key"],
        unique=True,
        sqlite_where=sa.text(LIVE_STATES_SQL),
        postgresql_where=sa.text(LIVE_STATES_SQL),
    )
    op.create_index("ix_outbox_state_due", "outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_state_lease", "outbox", ["state", "lease_until"])
    op.create_index("ix_outbox_duo_nummer", "outbox", ["duo_nummer"])
    op.create_index("ix_outbox_target_nummer", "outbox", ["target_nummer"])
    op.create_index("ix_outbox_match", "outbox", ["brin", "code", "begindatum"])

    op.create_table(
        "audit",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", _ID, sa.ForeignKey("outbox.id"), nullable=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("old_state", sa.String(16), nullable=True),
        sa.Column("new_state", sa.String(16), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_outbox_id", "audit", ["outbox_id"])

    op.create_table(
        "reconcile_cursor",
        sa.Column("brin", sa.String(4), primary_key=True),
        sa.Column("vestiging", sa.String(2), primary_key=True),
        sa.Column("selectiemoment", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )

    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _APPEND_ONLY_SQLITE, "postgresql": _APPEND_ONLY_POSTGRESQL}
    for statement in statements.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_no_change ON audit")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    op.drop_table("reconcile_cursor")
    op.drop_table("audit")
    op.drop_table("outbox")
