"""Typed results of parsing a document of ``xsd/`` (DOMAIN.md 3.1).

Answers (DC0001, DC0002, DC0011, DC0018) are what the transport hands to the outbox; requests are
what the DUO simulator receives and what the round-trip tests read back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.messages.content import (
    Intrekking,
    Leerling,
    MeldingInhoud,
    MeldingMutatie,
    RedenAfsluiting,
    RedenIntrekking,
)
from gateway.model import DuoStatus, Eenheid, VerzuimDag, WireCode


@dataclass(frozen=True, slots=True)
class Bedrijfsdocumentkop:
    """The business-document header of every request and answer (DOMAIN.md 3.1)."""

    document_id: str
    verzender: str
    ontvanger: str
    datumtijd: dt.datetime


# ----- answers -----


@dataclass(frozen=True, slots=True)
class LeveringNummer:
    """DC0018: DUO registered the melding under ``nummer``."""

    kop: Bedrijfsdocumentkop
    verzoek_id: str
    nummer: str
    status: DuoStatus


@dataclass(frozen=True, slots=True)
class Bevestiging:
    """DC0001: DUO processed the change or withdrawal; ``status`` is the melding's status now."""

    kop: Bedrijfsdocumentkop
    verzoek_id: str
    nummer: str
    status: DuoStatus


@dataclass(frozen=True, slots=True)
class Fout:
    """One error of a DC0002: DUO's code, its text and, when given, the element concerned."""

    code: str
    omschrijving: str
    element: str = ""


@dataclass(frozen=True, slots=True)
class Foutmelding:
    """DC0002: a business rejection. Final: never retried (DOMAIN.md 3.1)."""

    kop: Bedrijfsdocumentkop
    verzoek_id: str | None
    fouten: tuple[Fout, ...]


@dataclass(frozen=True, slots=True)
class Verzuimgeval:
    """One melding as DUO knows it now (an item of DC0011)."""

    nummer: str
    leerling: Leerling
    code: WireCode
    begindatum: dt.date
    einddatum: dt.date | None
    status: DuoStatus
    reden_afsluiting: RedenAfsluiting | None
    reden_intrekking: RedenIntrekking | None
    laatste_wijziging: dt.datetime


@dataclass(frozen=True, slots=True)
class LeveringMeldingen:
    """DC0011: one page of changed meldingen; ask again from ``volgend_selectiemoment`` while
    ``vervolg`` is true."""

    kop: Bedrijfsdocumentkop
    verzoek_id: str
    gevallen: tuple[Verzuimgeval, ...]
    volgend_selectiemoment: dt.datetime
    vervolg: bool


Answer = LeveringNummer | Bevestiging | Foutmelding | LeveringMeldingen


# ----- requests -----


@dataclass(frozen=True, slots=True)
class MeldenVerzoek:
    """A ``MeldenRelatiefVerzuim`` request read back: the wire fields of the melding."""

    kop: Bedrijfsdocumentkop
    brin: str
    vestiging: str
    leerling: Leerling
    code: WireCode
    herhaal: bool
    begindatum: dt.date
    einddatum: dt.date | None
    eenheid: Eenheid
    uren: float | None
    dagen: tuple[VerzuimDag, ...]
    inhoud: MeldingInhoud


@dataclass(frozen=True, slots=True)
class MutatieVerzoek:
    """A ``MutatieMeldingRelatiefVerzuim`` request read back: a change or a withdrawal."""

    kop: Bedrijfsdocumentkop
    brin: str
    vestiging: str
    wijziging: MeldingMutatie | Intrekking


@dataclass(frozen=True, slots=True)
class AanvraagVerzoek:
    """An ``AanvraagGewijzigdeMeldingRelatiefVerzuim`` request read back."""

    kop: Bedrijfsdocumentkop
    brin: str
    vestiging: str
    selectiemoment: dt.datetime


Request = MeldenVerzoek | MutatieVerzoek | AanvraagVerzoek
