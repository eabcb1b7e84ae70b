"""Plain records of the durable store: what goes into the outbox and what comes out.

The store holds plain values (DESIGN.md 1: "the store sits beside them and holds plain
records"); it imports nothing from the message or transport layers. The states and their
transitions are the reliability model of DESIGN.md 4; the DUO statuses are those of DOMAIN.md 3.2.

A pupil's identity (BSN or onderwijsnummer) is stored, because the request XML carries it anyway
and reconciliation must match DUO's answers on it, but it never appears in ``repr``, in
``last_error`` or in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from gateway.model import DuoStatus, WireCode


class State(StrEnum):
    """State of an outbox row (DESIGN.md 4; see ``gateway/store/README.md`` for the diagram).

    - ``queued``: new, or due for another attempt at ``next_attempt_at``.
    - ``sending``: claimed by a worker under a lease (``lease_owner``, ``lease_until``).
    - ``accepted``: DUO answered DC0018 (melden) or DC0001 (mutatie, intrekken). Final.
    - ``rejected``: DUO answered DC0002. Final: never retried (DOMAIN.md 3.1).
    - ``unknown``: the request may have reached DUO (timeout, broken connection, lease ran
      out): reconciled with ``AanvraagGewijzigdeMeldingRelatiefVerzuim`` before anything is sent
      again.
    - ``security``: a security error (certificate, signature); kept until an operator releases
      it, which makes it ``unknown`` (so it is reconciled, never resent blindly).
    """

    QUEUED = "queued"
    SENDING = "sending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    SECURITY = "security"


class Operation(StrEnum):
    """The DUO operation an outbox row performs (DOMAIN.md 3.1)."""

    MELDEN = "melden"  # MeldenRelatiefVerzuim
    MUTATIE = "mutatie"  # MutatieMeldingRelatiefVerzuim, a change
    INTREKKEN = "intrekken"  # MutatieMeldingRelatiefVerzuim, a withdrawal (status I)


class IdentiteitSoort(StrEnum):
    """Which number identifies the pupil at DUO (DOMAIN.md 3.3, V01)."""

    BSN = "bsn"
    ONDERWIJSNUMMER = "onderwijsnummer"


@dataclass(frozen=True, slots=True)
class NewOutboxItem:
    """A validated request document to enqueue (DESIGN.md 4: written with its document id).

    For ``melden`` the melding fields are the melding's own. For ``mutatie`` and ``intrekken``
    ``leerlingnummer``, ``code`` and ``begindatum`` are those of the melding changed, which is
    named by ``target_nummer`` (DUO's NummerMeldingRelatiefVerzuim) and, when the gateway sent it,
    ``target_outbox_id``; ``einddatum`` of a mutatie is the new einddatum it sets (or None).

    ``payload`` holds the melding or change fields for display (no BSN); ``xml`` the document
    exactly as it will be sent; ``document_id`` its IdentificatiecodeBedrijfsdocument, which is
    also the idempotency key towards DUO.
    """

    operation: Operation
    brin: str
    vestiging: str
    leerlingnummer: str
    identiteit_soort: IdentiteitSoort
    identiteit: str = field(repr=False)
    code: WireCode
    begindatum: dt.date
    einddatum: dt.date | None
    document_id: str
    xml: bytes = field(repr=False)
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)
    herhaal: bool = False
    target_nummer: str | None = None
    target_outbox_id: int | None = None

    @property
    def natural_key(self) -> str:
        """The request's natural key; enqueue is idempotent on it (DESIGN.md 4).

        ``melden``: school, pupil, soort and begindatum (DOMAIN.md: "pupil, soort, begindatum").
        ``intrekken``: the same plus the melding withdrawn. ``mutatie``: the same plus a digest of
        the change (``payload``), so the same change is queued once and a later, different change
        of the same melding is a new request.
        """
        parts = [
            self.operation.value,
            self.brin,
            self.leerlingnummer,
            self.code.value,
            self.begindatum.isoformat(),
        ]
        if self.operation is not Operation.MELDEN:
            target = self.target_nummer or f"#{self.target_outbox_id or ''}"
            parts.append(target)
        if self.operation is Operation.MUTATIE:
            change = json.dumps(self.payload, sort_keys=True, default=str, ensure_ascii=False)
            parts.append(hashlib.sha256(change.encode("utf-8")).hexdigest()[:16])
        return "|".join(parts)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One row of the outbox as stored (DESIGN.md 4). Datetimes are timezone-aware UTC."""

    id: int
    operation: Operation
    brin: str
    vestiging: str
    leerlingnummer: str
    identiteit_soort: IdentiteitSoort
    identiteit: str = field(repr=False)
    code: WireCode
    begindatum: dt.date
    einddatum: dt.date | None
    herhaal: bool
    target_nummer: str | None
    target_outbox_id: int | None
    natural_key: str
    document_id: str
    xml: bytes = field(repr=False)
    payload: Mapping[str, Any] = field(repr=False)
    state: State
    attempts: int
    next_attempt_at: dt.datetime | None
    lease_owner: str | None
    lease_until: dt.datetime | None
    last_error: str | None
    duo_errors: tuple[tuple[str, str], ...]
    duo_nummer: str | None
    duo_status: DuoStatus | None
    duo_reden: str | None
    duo_changed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """What ``Store.enqueue`` did: ``created`` is False when the natural key was already live
    (then ``outbox_id`` and ``state`` are those of the existing row)."""

    outbox_id: int
    created: bool
    state: State


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One appended audit row: who, when, what, old and new state (DESIGN.md 4).

    ``detail`` never contains a BSN or onderwijsnummer."""

    id: int
    outbox_id: int | None
    at: dt.datetime
    actor: str
    event: str
    old_state: State | None
    new_state: State | None
    detail: Mapping[str, Any]
