"""The DUO message layer (DOMAIN.md 3): canonical model -> validated XML, and answers -> typed
results. Pure: no I/O and no clock; "now" and document ids are arguments.

Build a request with ``build_melden``, ``build_mutatie``, ``build_intrekking`` or
``build_aanvraag``; read an answer with ``read_answer`` (bytes) or ``answer_from_element``.
Every document is validated against ``xsd/`` before it is returned or read.
"""

from gateway.messages.answers import (
    build_bevestiging,
    build_foutmelding,
    build_levering_meldingen,
    build_levering_nummer,
)
from gateway.messages.build import build_aanvraag, build_intrekking, build_melden, build_mutatie
from gateway.messages.content import (
    Adres,
    Contactpersoon,
    Intrekking,
    Leerling,
    Leerweg,
    MeldingInhoud,
    MeldingMutatie,
    Onderwijsdeelname,
    PupilIdentity,
    RedenAfsluiting,
    RedenIntrekking,
    SoortOnderwijs,
)
from gateway.messages.parse import (
    answer_from_element,
    parse_aanvraag,
    parse_dc0001,
    parse_dc0002,
    parse_dc0011,
    parse_dc0018,
    parse_melden,
    parse_mutatie,
    read_answer,
    read_request,
    request_from_element,
)
from gateway.messages.results import (
    AanvraagVerzoek,
    Answer,
    Bedrijfsdocumentkop,
    Bevestiging,
    Fout,
    Foutmelding,
    LeveringMeldingen,
    LeveringNummer,
    MeldenVerzoek,
    MutatieVerzoek,
    Request,
    Verzuimgeval,
)
from gateway.messages.schema import schema_path, validate, wsdl_path, xsd_dir

__all__ = [
    "AanvraagVerzoek",
    "Adres",
    "Answer",
    "Bedrijfsdocumentkop",
    "Bevestiging",
    "Contactpersoon",
    "Fout",
    "Foutmelding",
    "Intrekking",
    "Leerling",
    "Leerweg",
    "LeveringMeldingen",
    "LeveringNummer",
    "MeldenVerzoek",
    "MeldingInhoud",
    "MeldingMutatie",
    "MutatieVerzoek",
    "Onderwijsdeelname",
    "PupilIdentity",
    "RedenAfsluiting",
    "RedenIntrekking",
    "Request",
    "SoortOnderwijs",
    "Verzuimgeval",
    "answer_from_element",
    "build_aanvraag",
    "build_bevestiging",
    "build_foutmelding",
    "build_intrekking",
    "build_levering_meldingen",
    "build_levering_nummer",
    "build_melden",
    "build_mutatie",
    "parse_aanvraag",
    "parse_dc0001",
    "parse_dc0002",
    "parse_dc0011",
    "parse_dc0018",
    "parse_melden",
    "parse_mutatie",
    "read_answer",
    "read_request",
    "request_from_element",
    "schema_path",
    "validate",
    "wsdl_path",
    "xsd_dir",
]
