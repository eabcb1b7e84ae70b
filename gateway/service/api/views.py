"""Outbox rows as the API shows them: the fields of ``verzuim outbox list`` (never a BSN or the
XML) plus the school, DUO's answer and the history from the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.service.jobs import row_summary
from gateway.store import AuditEntry, OutboxRow


def href(outbox_id: int) -> str:
    return f"/v1/meldingen/{outbox_id}"


def row_view(row: OutboxRow) -> dict[str, Any]:
    """One row in a list."""
    return {
        **row_summary(row),
        "brin": row.brin,
        "vestiging": row.vestiging,
        "doel_id": row.target_outbox_id,
        "href": href(row.id),
    }


def detail_view(
    row: OutboxRow, history: Sequence[AuditEntry], requests: Sequence[OutboxRow]
) -> dict[str, Any]:
    """One row with DUO's error codes, the changes and withdrawals queued for it, and its
    history (who, when, old and new state)."""
    return {
        **row_view(row),
        "duo_fouten": [{"code": code, "tekst": text} for code, text in row.duo_errors],
        "verzoeken": [
            {
                "id": item.id,
                "actie": item.operation.value,
                "toestand": item.state.value,
                "href": href(item.id),
            }
            for item in requests
        ],
        "geschiedenis": [
            {
                "tijdstip": entry.at.isoformat(),
                "door": entry.actor,
                "gebeurtenis": entry.event,
                "oude_toestand": entry.old_state.value if entry.old_state else None,
                "nieuwe_toestand": entry.new_state.value if entry.new_state else None,
                "details": dict(entry.detail),
            }
            for entry in history
        ],
    }
