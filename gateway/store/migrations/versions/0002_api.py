"""HTTP API: hashed API keys scoped to BRINs, and stored answers of Idempotency-Key requests.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("brins", sa.Text, nullable=False),
        sa.Column("naam", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "idempotency",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("api_key_id", _ID, sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("idem_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("response_body", sa.LargeBinary, nullable=True),
        sa.Column("location", sa.String(500), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ux_idempotency_key", "idempotency", ["api_key_id", "idem_key"], unique=True)
    op.create_index("ix_idempotency_created_at", "idempotency", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency")
    op.drop_table("api_keys")
