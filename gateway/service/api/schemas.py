"""Request bodies of the HTTP API as pydantic models (served in ``/openapi.json``).

They mirror the canonical model (``gateway/model.py``) and the melding JSON of ``verzuim build``
(``gateway/messages/melding_json.py``): the same keys, the same Dutch DUO terms. Types and
shapes are checked here (a wrong item gets 422 with its path, e.g. ``body.registraties[3].datum``);
the rules of DOMAIN.md (V01-V13) are checked after, so every broken rule is listed at once.
Unknown keys are refused, as in the school file: a typo would otherwise be ignored silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from gateway.messages.content import Leerweg, RedenIntrekking, SoortOnderwijs
from gateway.model import Categorie, Eenheid, Soort, Status, WireCode

_STRICT = ConfigDict(extra="forbid")
Id = Annotated[str, Field(min_length=1, max_length=64)]
Short = Annotated[str, Field(max_length=200)]
Time = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:30"])]


class StudentIn(BaseModel):
    """A pupil (``gateway.model.Student``): a BSN or, without one, an onderwijsnummer (V01)."""

    model_config = _STRICT
    leerlingnummer: Id
    geboortedatum: dt.date
    bsn: Short = ""
    onderwijsnummer: Short = ""
    startkwalificatie: bool = False


class RegistrationIn(BaseModel):
    """One lesson or time block (``gateway.model.Registration``), local time.

    ``geoorloofd``: true, false or null (= not yet known: counts, W-ONBEKEND). ``categorie``, or
    else ``redencode`` mapped through the school's ``[redencodes]``.
    """

    model_config = _STRICT
    leerlingnummer: Id
    datum: dt.date
    begintijd: Time
    eindtijd: Time
    status: Status
    geoorloofd: bool | None = None
    categorie: Categorie | None = None
    redencode: Short = ""
    lesuur: Annotated[int, Field(ge=1, le=12)] | None = None
    bron_id: Short = ""


class KnownMeldingIn(BaseModel):
    """A melding sent before the gateway knew it (``--history``; ``gateway.model.KnownMelding``)."""

    model_config = _STRICT
    leerlingnummer: Id
    code: WireCode
    begindatum: dt.date
    einddatum: dt.date | None = None
    status: Annotated[str, Field(pattern=r"^[RBGKID]$")] = "R"
    herhaal: bool = False
    nummer: Short = ""


class PrecheckIn(BaseModel):
    """``POST /v1/precheck``: one school's pupils and registrations; nothing is stored."""

    model_config = _STRICT
    brin: Annotated[str, Field(max_length=8, examples=["99XX"])]
    peildatum: dt.date | None = None
    leerlingen: Annotated[list[StudentIn], Field(max_length=100_000)]
    registraties: Annotated[list[RegistrationIn], Field(max_length=2_000_000)]
    historie: Annotated[list[KnownMeldingIn], Field(max_length=100_000)] = []
    bekende_meldingen: bool = Field(
        default=True,
        description="ook de meldingen die de gateway al kent (outbox), zoals verzuim queue",
    )


class DagIn(BaseModel):
    """One day of the verzuimspecificatie (``gateway.model.VerzuimDag``)."""

    model_config = _STRICT
    datum: dt.date
    hele_dag: bool = False
    lesuren: Annotated[list[Annotated[int, Field(ge=1, le=12)]], Field(max_length=12)] = []
    uren: Annotated[float, Field(ge=0, le=24)]


class MelderIn(BaseModel):
    model_config = _STRICT
    naam: Short
    email: Short
    functie: Short = ""
    telefoon: Short = ""


class ContactIn(BaseModel):
    model_config = _STRICT
    naam: Short
    functie: Short = ""
    telefoon: Short = ""
    email: Short = ""


class AdresIn(BaseModel):
    model_config = _STRICT
    straatnaam: Short
    huisnummer: Annotated[int, Field(ge=1, le=99999)]
    toevoeging: Short = ""
    postcode: Short
    woonplaats: Short


class DeelnameIn(BaseModel):
    model_config = _STRICT
    soort_onderwijs: SoortOnderwijs
    leerjaar: Annotated[int, Field(ge=1, le=12)] | None = None
    niveau: Annotated[int, Field(ge=1, le=4)] | None = None
    leerweg: Leerweg | None = None
    opleiding: Short = ""


class MeldingIn(BaseModel):
    """``POST /v1/meldingen``: a melding composed by the SIS.

    The keys of ``verzuim build``'s melding JSON plus the school (``brin``, optional
    ``vestiging``) and what V10 needs about the pupil (``geboortedatum``,
    ``startkwalificatie``; used for the check, not stored). ``soort`` and ``eenheid`` follow
    from the code and the school when left out.
    """

    model_config = _STRICT
    brin: Annotated[str, Field(max_length=8, examples=["99XX"])]
    vestiging: Annotated[str, Field(max_length=8)] | None = None
    leerlingnummer: Id
    geboortedatum: dt.date
    startkwalificatie: bool = False
    bsn: Short = ""
    onderwijsnummer: Short = ""
    code: WireCode
    soort: Soort | None = None
    begindatum: dt.date
    einddatum: dt.date | None = None
    eenheid: Eenheid | None = None
    uren: Annotated[float, Field(ge=0, le=10_000)] | None = None
    herhaal: bool = False
    dagen: Annotated[list[DagIn], Field(max_length=400)] = []
    regels: Annotated[list[Short], Field(max_length=20)] = []
    uiterste_meldingsdatum: dt.date | None = None
    vermoedelijke_reden: str
    ondernomen_acties: str
    actie_gewenst: bool = True
    toelichting_actie_gewenst: str = ""
    toelichting: str = ""
    melder: MelderIn | None = None
    extra_contactpersoon: ContactIn | None = None
    telefoon_ouder_leerling: Short = ""
    afwijkend_adres: AdresIn | None = None
    aanduiding_locatie: Short = ""
    onderwijsdeelname: DeelnameIn | None = None


class WijzigingIn(BaseModel):
    """``POST /v1/meldingen/{id}/wijziging``: at least one of the four."""

    model_config = _STRICT
    einddatum: dt.date | None = None
    vermoedelijke_reden: str | None = None
    ondernomen_acties: str | None = None
    toelichting: str | None = None


class IntrekkingIn(BaseModel):
    """``POST /v1/meldingen/{id}/intrekking``: the reason (V12) and an optional explanation."""

    model_config = _STRICT
    reden: RedenIntrekking
    toelichting: str = ""
