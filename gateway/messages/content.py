"""What a melding carries besides the canonical ``Melding`` (DOMAIN.md 3.3), and changes to it.

The rule book proposes a ``gateway.model.Melding`` (soort, dates, hours, days); the school adds the
texts and contacts below before it is sent. Identity fields never appear in a ``repr``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from gateway.model import Melder, Wijziging


class PupilIdentity(Protocol):
    """Anything that identifies a pupil: ``gateway.model.Student`` or ``Leerling`` (V01)."""

    @property
    def bsn(self) -> str: ...

    @property
    def onderwijsnummer(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Leerling:
    """A pupil as DUO knows it: a BSN or, without one, an onderwijsnummer (V01)."""

    bsn: str = field(default="", repr=False)
    onderwijsnummer: str = field(default="", repr=False)


class SoortOnderwijs(StrEnum):
    """Sector of the onderwijsdeelname (DOMAIN.md 3.3)."""

    VO = "VO"
    BVE = "BVE"


class Leerweg(StrEnum):
    """MBO leerweg (DOMAIN.md 3.3)."""

    BOL = "BOL"
    BBL = "BBL"


class RedenIntrekking(StrEnum):
    """Why the school withdraws a melding (V12). Our code list, see ``xsd/README.md``."""

    ONTERECHT = "ONTERECHT"
    DUBBEL = "DUBBEL"
    VERKEERDE_SOORT = "VERKEERDE_SOORT"
    VERKEERDE_LEERLING = "VERKEERDE_LEERLING"
    OVERIG = "OVERIG"


class RedenAfsluiting(StrEnum):
    """Why the municipality closed a melding (status G). Our code list, see ``xsd/README.md``."""

    TERUG_OP_SCHOOL = "TERUG_OP_SCHOOL"
    GESPREK = "GESPREK"
    HALT = "HALT"
    PROCES_VERBAAL = "PROCES_VERBAAL"
    ZORG = "ZORG"
    VERHUISD = "VERHUISD"
    UITGESCHREVEN = "UITGESCHREVEN"
    VRIJSTELLING = "VRIJSTELLING"
    OVERIG = "OVERIG"


@dataclass(frozen=True, slots=True)
class Onderwijsdeelname:
    """Sector, leerjaar (VO), niveau and leerweg (MBO), opleiding name (at most 40 characters)."""

    soort_onderwijs: SoortOnderwijs
    leerjaar: int | None = None
    niveau: int | None = None
    leerweg: Leerweg | None = None
    opleiding: str = ""


@dataclass(frozen=True, slots=True)
class Contactpersoon:
    """A second contact (mentor, care coordinator): name, function, phone, e-mail."""

    naam: str
    functie: str = ""
    telefoon: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Adres:
    """The pupil's address when it differs from the population register (afwijkend adres)."""

    straatnaam: str
    huisnummer: int
    postcode: str
    woonplaats: str
    toevoeging: str = ""


@dataclass(frozen=True, slots=True)
class MeldingInhoud:
    """The texts and contacts of one melding (DOMAIN.md 3.3; rules V04, V05, V06, V07, V11).

    ``melder`` overrides the school's default melder; ``aanduiding_locatie`` is the location name
    (at most 35 characters). Empty strings and None mean "not given" and are left out.
    """

    vermoedelijke_reden: str
    ondernomen_acties: str
    actie_gewenst: bool = True
    toelichting_actie_gewenst: str = ""
    toelichting: str = ""
    melder: Melder | None = None
    extra_contactpersoon: Contactpersoon | None = None
    telefoon_ouder_leerling: str = ""
    afwijkend_adres: Adres | None = None
    aanduiding_locatie: str = ""
    onderwijsdeelname: Onderwijsdeelname | None = None


@dataclass(frozen=True, slots=True)
class MeldingMutatie:
    """A change of a registered melding, identified by DUO's ``NummerMeldingRelatiefVerzuim``.

    At least one of the fields besides ``nummer`` is given (empty string / None = unchanged).
    """

    nummer: str
    einddatum: dt.date | None = None
    vermoedelijke_reden: str = ""
    ondernomen_acties: str = ""
    toelichting: str = ""

    @classmethod
    def from_wijziging(cls, wijziging: Wijziging) -> MeldingMutatie:
        """The change of R-EINDE: set the einddatum of an open LRV or RMC melding."""
        return cls(nummer=wijziging.nummer, einddatum=wijziging.einddatum)


@dataclass(frozen=True, slots=True)
class Intrekking:
    """A withdrawal: status I with a reason (V12), identified by DUO's melding number."""

    nummer: str
    reden: RedenIntrekking
    toelichting: str = ""
