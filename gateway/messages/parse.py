"""Typed results from documents of ``xsd/`` (DOMAIN.md 3.1).

Bytes from outside go through the one safe parser (``gateway.xml.parse_bytes``: no DTD, no
entities, no network, size limit) and are validated against the schema before any value is read.
Elements that were already parsed elsewhere (zeep hands over a SOAP body or a fault detail) are
validated too. A document of the wrong kind raises ``MessageError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TypeVar

from lxml import etree

from gateway.errors import MessageError, XmlIssue
from gateway.messages.content import (
    Adres,
    Contactpersoon,
    Intrekking,
    Leerling,
    Leerweg,
    MeldingInhoud,
    MeldingMutatie,
    Onderwijsdeelname,
    RedenAfsluiting,
    RedenIntrekking,
    SoortOnderwijs,
)
from gateway.messages.namespaces import (
    DC0001,
    DC0002,
    DC0011,
    DC0018,
    OP_AANVRAAG,
    OP_MELDEN,
    OP_MUTATIE,
    q,
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
from gateway.messages.schema import readable_path, validate
from gateway.model import DuoStatus, Eenheid, Melder, VerzuimDag, WireCode
from gateway.xml import MAX_DOCUMENT_BYTES, parse_bytes

_T = TypeVar("_T")
_TELWIJZE = {"LESUREN": Eenheid.LESUREN, "KLOKUREN": Eenheid.KLOKUREN}


def read_answer(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Answer:
    """Parse safely, validate and read one answer document (DC0001, DC0002, DC0011, DC0018)."""
    return answer_from_element(parse_bytes(data, max_bytes=max_bytes))


def answer_from_element(element: etree._Element) -> Answer:
    """Validate and read an already parsed answer element (e.g. a SOAP body or fault detail)."""
    return _dispatch(element, _ANSWERS, "antwoord")


def read_request(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Request:
    """Parse safely, validate and read one request document (the DUO simulator's side)."""
    return request_from_element(parse_bytes(data, max_bytes=max_bytes))


def request_from_element(element: etree._Element) -> Request:
    """Validate and read an already parsed request element."""
    return _dispatch(element, _REQUESTS, "verzoek")


def parse_dc0018(element: etree._Element) -> LeveringNummer:
    """DC0018 ``LeveringNummerMeldingRelatiefVerzuim``: DUO's number of the new melding."""
    _expect(element, DC0018)
    return LeveringNummer(
        kop=_kop(element),
        verzoek_id=_req(element, "IdentificatiecodeVerzoek"),
        nummer=_req(element, "NummerMeldingRelatiefVerzuim"),
        status=DuoStatus(_req(element, "StatusMelding")),
    )


def parse_dc0001(element: etree._Element) -> Bevestiging:
    """DC0001 ``Bevestiging``: the change or withdrawal is processed."""
    _expect(element, DC0001)
    return Bevestiging(
        kop=_kop(element),
        verzoek_id=_req(element, "IdentificatiecodeVerzoek"),
        nummer=_req(element, "NummerMeldingRelatiefVerzuim"),
        status=DuoStatus(_req(element, "StatusMelding")),
    )


def parse_dc0002(element: etree._Element) -> Foutmelding:
    """DC0002 ``Foutmelding``: a business rejection with its errors (final, DOMAIN.md 3.1)."""
    _expect(element, DC0002)
    fouten = tuple(
        Fout(
            code=_req(node, "Foutcode"),
            omschrijving=_req(node, "Foutomschrijving"),
            element=_opt(node, "Element"),
        )
        for node in element.iterchildren(q("Fout"))
    )
    return Foutmelding(
        kop=_kop(element),
        verzoek_id=_opt(element, "IdentificatiecodeVerzoek") or None,
        fouten=fouten,
    )


def parse_dc0011(element: etree._Element) -> LeveringMeldingen:
    """DC0011 ``LeveringMeldingRelatiefVerzuim``: one page of changed meldingen."""
    _expect(element, DC0011)
    gevallen = tuple(_verzuimgeval(node) for node in element.iterchildren(q("Verzuimgeval")))
    return LeveringMeldingen(
        kop=_kop(element),
        verzoek_id=_req(element, "IdentificatiecodeVerzoek"),
        gevallen=gevallen,
        volgend_selectiemoment=_moment(_req(element, "VolgendSelectiemoment")),
        vervolg=_req(element, "IndicatieVervolg") == "J",
    )


def parse_melden(element: etree._Element) -> MeldenVerzoek:
    """A ``MeldenRelatiefVerzuim`` request: the wire fields of the melding and its content."""
    _expect(element, OP_MELDEN)
    instelling = _child(element, "Onderwijsinstelling")
    spec = _child(element, "Verzuimspecificatie")
    totaal = _opt(spec, "TotaalAantalUren")
    einddatum = _opt(element, "Einddatum")
    deelname = element.find(q("Onderwijsdeelname"))
    contact = element.find(q("ExtraContactpersoon"))
    adres = element.find(q("AfwijkendAdres"))
    melder = _child(element, "Melder")
    inhoud = MeldingInhoud(
        vermoedelijke_reden=_req(element, "VermoedelijkeReden"),
        ondernomen_acties=_req(element, "OndernomenActies"),
        actie_gewenst=_req(element, "ActieGewenst") == "J",
        toelichting_actie_gewenst=_opt(element, "ToelichtingActieGewenst"),
        toelichting=_opt(element, "Toelichting"),
        melder=Melder(
            naam=_req(melder, "Naam"),
            email=_req(melder, "Emailadres"),
            functie=_opt(melder, "Functie"),
            telefoon=_opt(melder, "Telefoonnummer"),
        ),
        extra_contactpersoon=None if contact is None else _contact(contact),
        telefoon_ouder_leerling=_opt(element, "TelefoonnummerOuderLeerling"),
        afwijkend_adres=None if adres is None else _adres(adres),
        aanduiding_locatie=_opt(instelling, "AanduidingLocatie"),
        onderwijsdeelname=None if deelname is None else _deelname(deelname),
    )
    return MeldenVerzoek(
        kop=_kop(element),
        brin=_req(instelling, "Brin"),
        vestiging=_opt(instelling, "Vestiging"),
        leerling=_leerling(_child(element, "Leerling")),
        code=WireCode(_req(element, "Verzuimsoort")),
        herhaal=_req(element, "IndicatieHerhaalmelding") == "J",
        begindatum=dt.date.fromisoformat(_req(element, "Begindatum")),
        einddatum=dt.date.fromisoformat(einddatum) if einddatum else None,
        eenheid=_TELWIJZE[_req(spec, "Telwijze")],
        uren=float(totaal) if totaal else None,
        dagen=tuple(_verzuimdag(node) for node in spec.iterchildren(q("Verzuimdag"))),
        inhoud=inhoud,
    )


def parse_mutatie(element: etree._Element) -> MutatieVerzoek:
    """A ``MutatieMeldingRelatiefVerzuim`` request: a change or a withdrawal."""
    _expect(element, OP_MUTATIE)
    instelling = _child(element, "Onderwijsinstelling")
    nummer = _req(element, "NummerMeldingRelatiefVerzuim")
    change = element.find(q("Wijziging"))
    wijziging: MeldingMutatie | Intrekking
    if change is not None:
        einddatum = _opt(change, "Einddatum")
        wijziging = MeldingMutatie(
            nummer=nummer,
            einddatum=dt.date.fromisoformat(einddatum) if einddatum else None,
            vermoedelijke_reden=_opt(change, "VermoedelijkeReden"),
            ondernomen_acties=_opt(change, "OndernomenActies"),
            toelichting=_opt(change, "Toelichting"),
        )
    else:
        withdrawal = _child(element, "Intrekking")
        wijziging = Intrekking(
            nummer=nummer,
            reden=RedenIntrekking(_req(withdrawal, "RedenIntrekking")),
            toelichting=_opt(withdrawal, "ToelichtingIntrekking"),
        )
    return MutatieVerzoek(
        kop=_kop(element),
        brin=_req(instelling, "Brin"),
        vestiging=_opt(instelling, "Vestiging"),
        wijziging=wijziging,
    )


def parse_aanvraag(element: etree._Element) -> AanvraagVerzoek:
    """An ``AanvraagGewijzigdeMeldingRelatiefVerzuim`` request."""
    _expect(element, OP_AANVRAAG)
    instelling = _child(element, "Onderwijsinstelling")
    return AanvraagVerzoek(
        kop=_kop(element),
        brin=_req(instelling, "Brin"),
        vestiging=_opt(instelling, "Vestiging"),
        selectiemoment=_moment(_req(element, "Selectiemoment")),
    )


_ANSWERS: dict[str, Callable[[etree._Element], Answer]] = {
    q(DC0001): parse_dc0001,
    q(DC0002): parse_dc0002,
    q(DC0011): parse_dc0011,
    q(DC0018): parse_dc0018,
}
_REQUESTS: dict[str, Callable[[etree._Element], Request]] = {
    q(OP_MELDEN): parse_melden,
    q(OP_MUTATIE): parse_mutatie,
    q(OP_AANVRAAG): parse_aanvraag,
}


# ----- parts -----


def _dispatch(
    element: etree._Element, table: Mapping[str, Callable[[etree._Element], _T]], kind: str
) -> _T:
    parser = table.get(element.tag) if isinstance(element.tag, str) else None
    if parser is None:
        name = etree.QName(element).text if isinstance(element.tag, str) else "?"
        raise MessageError(
            f"onverwacht {kind}",
            (XmlIssue(readable_path(element), f"geen {kind} van de machinekoppeling: {name}"),),
        )
    return parser(element)


def _expect(element: etree._Element, name: str) -> None:
    """The element is the named document and valid against the schema, or MessageError."""
    if element.tag != q(name):
        found = etree.QName(element).localname
        issue = XmlIssue(readable_path(element), f"verwacht {name}, gekregen {found}")
        raise MessageError(f"verwacht {name}", (issue,))
    validate(element)


def _kop(element: etree._Element) -> Bedrijfsdocumentkop:
    return Bedrijfsdocumentkop(
        document_id=_req(element, "IdentificatiecodeBedrijfsdocument"),
        verzender=_req(element, "VerzendendeInstantie"),
        ontvanger=_req(element, "OntvangendeInstantie"),
        datumtijd=_moment(_req(element, "DatumTijdBedrijfsdocument")),
    )


def _verzuimgeval(node: etree._Element) -> Verzuimgeval:
    einddatum = _opt(node, "Einddatum")
    afsluiting = _opt(node, "RedenAfsluiting")
    intrekking = _opt(node, "RedenIntrekking")
    return Verzuimgeval(
        nummer=_req(node, "NummerMeldingRelatiefVerzuim"),
        leerling=_leerling(_child(node, "Leerling")),
        code=WireCode(_req(node, "Verzuimsoort")),
        begindatum=dt.date.fromisoformat(_req(node, "Begindatum")),
        einddatum=dt.date.fromisoformat(einddatum) if einddatum else None,
        status=DuoStatus(_req(node, "StatusMelding")),
        reden_afsluiting=RedenAfsluiting(afsluiting) if afsluiting else None,
        reden_intrekking=RedenIntrekking(intrekking) if intrekking else None,
        laatste_wijziging=_moment(_req(node, "DatumTijdLaatsteWijziging")),
    )


def _verzuimdag(node: etree._Element) -> VerzuimDag:
    return VerzuimDag(
        datum=dt.date.fromisoformat(_req(node, "Datum")),
        hele_dag=node.find(q("HeleDag")) is not None,
        lesuren=tuple(int(lesuur.text or "0") for lesuur in node.iterchildren(q("Lesuur"))),
        uren=float(_req(node, "AantalUren")),
    )


def _leerling(node: etree._Element) -> Leerling:
    return Leerling(
        bsn=_opt(node, "Burgerservicenummer"), onderwijsnummer=_opt(node, "Onderwijsnummer")
    )


def _deelname(node: etree._Element) -> Onderwijsdeelname:
    leerjaar, niveau, leerweg = _opt(node, "Leerjaar"), _opt(node, "Niveau"), _opt(node, "Leerweg")
    return Onderwijsdeelname(
        soort_onderwijs=SoortOnderwijs(_req(node, "SoortOnderwijs")),
        leerjaar=int(leerjaar) if leerjaar else None,
        niveau=int(niveau) if niveau else None,
        leerweg=Leerweg(leerweg) if leerweg else None,
        opleiding=_opt(node, "Opleiding"),
    )


def _contact(node: etree._Element) -> Contactpersoon:
    return Contactpersoon(
        naam=_req(node, "Naam"),
        functie=_opt(node, "Functie"),
        telefoon=_opt(node, "Telefoonnummer"),
        email=_opt(node, "Emailadres"),
    )


def _adres(node: etree._Element) -> Adres:
    return Adres(
        straatnaam=_req(node, "Straatnaam"),
        huisnummer=int(_req(node, "Huisnummer")),
        toevoeging=_opt(node, "Huisnummertoevoeging"),
        postcode=_req(node, "Postcode"),
        woonplaats=_req(node, "Woonplaats"),
    )


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _child(element: etree._Element, name: str) -> etree._Element:
    child = element.find(q(name))
    if child is None:  # cannot happen after validation; kept for a clear error all the same
        raise MessageError("element ontbreekt", (XmlIssue(readable_path(element), name),))
    return child


def _req(element: etree._Element, name: str) -> str:
    return _child(element, name).text or ""


def _opt(element: etree._Element, name: str) -> str:
    return element.findtext(q(name)) or ""
