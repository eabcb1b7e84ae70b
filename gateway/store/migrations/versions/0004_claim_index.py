"""An index for the claim's "earlier request for the same melding" check (DESIGN.md 4).

``Store.claim`` lets a change or withdrawal wait while an earlier request for the same melding is
queued, being sent or unresolved. That check looks up other rows by ``target_nummer`` (indexed
since 0001) or by ``target_outbox_id`` (indexed here); without the index every claim scanned the
whole outbox once per candidate row.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_target_outbox_id", "outbox", ["target_outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_target_outbox_id", table_name="outbox")
