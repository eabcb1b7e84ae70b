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
    fields = _expect(element, DC0018)
    return LeveringNummer(
        kop=_kop(fields),
        verzoek_id=fields.req("IdentificatiecodeVerzoek"),
        nummer=fields.req("NummerMeldingRelatiefVerzuim"),
        status=DuoStatus(fields.req("StatusMelding")),
    )


def parse_dc0001(element: etree._Element) -> Bevestiging:
    """DC0001 ``Bevestiging``: the change or withdrawal is processed."""
    fields = _expect(element, DC0001)
    return Bevestiging(
        kop=_kop(fields),
        verzoek_id=fields.req("IdentificatiecodeVerzoek"),
        nummer=fields.req("NummerMeldingRelatiefVerzuim"),
        status=DuoStatus(fields.req("StatusMelding")),
    )


def parse_dc0002(element: etree._Element) -> Foutmelding:
    """DC0002 ``Foutmelding``: a business rejection with its errors (final, DOMAIN.md 3.1)."""
    fields = _expect(element, DC0002)
    fouten = tuple(_fout(_Fields(node)) for node in element.iterchildren(q("Fout")))
    return Foutmelding(
        kop=_kop(fields),
        verzoek_id=fields.opt("IdentificatiecodeVerzoek") or None,
        fouten=fouten,
    )


def parse_dc0011(element: etree._Element) -> LeveringMeldingen:
    """DC0011 ``LeveringMeldingRelatiefVerzuim``: one page of changed meldingen."""
    fields = _expect(element, DC0011)
    gevallen = tuple(
        _verzuimgeval(_Fields(node)) for node in element.iterchildren(q("Verzuimgeval"))
    )
    return LeveringMeldingen(
        kop=_kop(fields),
        verzoek_id=fields.req("IdentificatiecodeVerzoek"),
        gevallen=gevallen,
        volgend_selectiemoment=_moment(fields.req("VolgendSelectiemoment")),
        vervolg=fields.req("IndicatieVervolg") == "J",
    )


def parse_melden(element: etree._Element) -> MeldenVerzoek:
    """A ``MeldenRelatiefVerzuim`` request: the wire fields of the melding and its content."""
    fields = _expect(element, OP_MELDEN)
    instelling = fields.group("Onderwijsinstelling")
    spec_node = fields.child("Verzuimspecificatie")
    spec = _Fields(spec_node)
    totaal = spec.opt("TotaalAantalUren")
    einddatum = fields.opt("Einddatum")
    deelname = fields.find("Onderwijsdeelname")
    contact = fields.find("ExtraContactpersoon")
    adres = fields.find("AfwijkendAdres")
    melder = fields.group("Melder")
    inhoud = MeldingInhoud(
        vermoedelijke_reden=fields.req("VermoedelijkeReden"),
        ondernomen_acties=fields.req("OndernomenActies"),
        actie_gewenst=fields.req("ActieGewenst") == "J",
        toelichting_actie_gewenst=fields.opt("ToelichtingActieGewenst"),
        toelichting=fields.opt("Toelichting"),
        melder=Melder(
            naam=melder.req("Naam"),
            email=melder.req("Emailadres"),
            functie=melder.opt("Functie"),
            telefoon=melder.opt("Telefoonnummer"),
        ),
        extra_contactpersoon=None if contact is None else _contact(_Fields(contact)),
        telefoon_ouder_leerling=fields.opt("TelefoonnummerOuderLeerling"),
        afwijkend_adres=None if adres is None else _adres(_Fields(adres)),
        aanduiding_locatie=instelling.opt("AanduidingLocatie"),
        onderwijsdeelname=None if deelname is None else _deelname(_Fields(deelname)),
    )
    return MeldenVerzoek(
        kop=_kop(fields),
        brin=instelling.req("Brin"),
        vestiging=instelling.opt("Vestiging"),
        leerling=_leerling(fields.group("Leerling")),
        code=WireCode(fields.req("Verzuimsoort")),
        herhaal=fields.req("IndicatieHerhaalmelding") == "J",
        begindatum=dt.date.fromisoformat(fields.req("Begindatum")),
        einddatum=dt.date.fromisoformat(einddatum) if einddatum else None,
        eenheid=_TELWIJZE[spec.req("Telwijze")],
        uren=float(totaal) if totaal else None,
        dagen=tuple(_verzuimdag(node) for node in spec_node.iterchildren(q("Verzuimdag"))),
        inhoud=inhoud,
    )


def parse_mutatie(element: etree._Element) -> MutatieVerzoek:
    """A ``MutatieMeldingRelatiefVerzuim`` request: a change or a withdrawal."""
    fields = _expect(element, OP_MUTATIE)
    instelling = fields.group("Onderwijsinstelling")
    nummer = fields.req("NummerMeldingRelatiefVerzuim")
    change_node = fields.find("Wijziging")
    wijziging: MeldingMutatie | Intrekking
    if change_node is not None:
        change = _Fields(change_node)
        einddatum = change.opt("Einddatum")
        wijziging = MeldingMutatie(
            nummer=nummer,
            einddatum=dt.date.fromisoformat(einddatum) if einddatum else None,
            vermoedelijke_reden=change.opt("VermoedelijkeReden"),
            ondernomen_acties=change.opt("OndernomenActies"),
            toelichting=change.opt("Toelichting"),
        )
    else:
        withdrawal = fields.group("Intrekking")
        wijziging = Intrekking(
            nummer=nummer,
            reden=RedenIntrekking(withdrawal.req("RedenIntrekking")),
            toelichting=withdrawal.opt("ToelichtingIntrekking"),
        )
    return MutatieVerzoek(
        kop=_kop(fields),
        brin=instelling.req("Brin"),
        vestiging=instelling.opt("Vestiging"),
        wijziging=wijziging,
    )


def parse_aanvraag(element: etree._Element) -> AanvraagVerzoek:
    """An ``AanvraagGewijzigdeMeldingRelatiefVerzuim`` request."""
    fields = _expect(element, OP_AANVRAAG)
    instelling = fields.group("Onderwijsinstelling")
    return AanvraagVerzoek(
        kop=_kop(fields),
        brin=instelling.req("Brin"),
        vestiging=instelling.opt("Vestiging"),
        selectiemoment=_moment(fields.req("Selectiemoment")),
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


def _expect(element: etree._Element, name: str) -> _Fields:
    """The element is the named document and valid against the schema, or MessageError; its
    fields."""
    if element.tag != q(name):
        found = etree.QName(element).localname
        issue = XmlIssue(readable_path(element), f"verwacht {name}, gekregen {found}")
        raise MessageError(f"verwacht {name}", (issue,))
    validate(element)
    return _Fields(element)


class _ClarkNames(dict[str, str]):
    """``q(name)`` of each local name asked for, made once: the same string object every time,
    so its hash is computed once too (a dict lookup per field instead of a new string)."""

    def __missing__(self, name: str) -> str:
        clark = self[name] = q(name)
        return clark


_CLARK = _ClarkNames()


class _Fields:
    """The child elements of one element by name, the first of each name (what ``find`` gives),
    collected in one pass over the children: a document is read field by field, and a ``find``
    per field walked the children again each time. Only after schema validation, so a required
    field is there (``child`` still raises ``MessageError`` if not)."""

    __slots__ = ("_children", "_element")

    def __init__(self, element: etree._Element) -> None:
        children: dict[object, etree._Element] = {}
        for child in element.iterchildren(etree.Element):
            children.setdefault(child.tag, child)
        self._element = element
        self._children = children

    def find(self, name: str) -> etree._Element | None:
        return self._children.get(_CLARK[name])

    def child(self, name: str) -> etree._Element:
        child = self._children.get(_CLARK[name])
        if child is None:  # cannot happen after validation; kept for a clear error all the same
            raise MessageError("element ontbreekt", (XmlIssue(readable_path(self._element), name),))
        return child

    def group(self, name: str) -> _Fields:
        """The fields of the required child ``name``."""
        return _Fields(self.child(name))

    def req(self, name: str) -> str:
        return self.child(name).text or ""

    def opt(self, name: str) -> str:
        child = self._children.get(_CLARK[name])
        return "" if child is None else child.text or ""


def _kop(fields: _Fields) -> Bedrijfsdocumentkop:
    return Bedrijfsdocumentkop(
        document_id=fields.req("IdentificatiecodeBedrijfsdocument"),
        verzender=fields.req("VerzendendeInstantie"),
        ontvanger=fields.req("OntvangendeInstantie"),
        datumtijd=_moment(fields.req("DatumTijdBedrijfsdocument")),
    )


def _fout(fields: _Fields) -> Fout:
    return Fout(
        code=fields.req("Foutcode"),
        omschrijving=fields.req("Foutomschrijving"),
        element=fields.opt("Element"),
    )


def _verzuimgeval(fields: _Fields) -> Verzuimgeval:
    einddatum = fields.opt("Einddatum")
    afsluiting = fields.opt("RedenAfsluiting")
    intrekking = fields.opt("RedenIntrekking")
    return Verzuimgeval(
        nummer=fields.req("NummerMeldingRelatiefVerzuim"),
        leerling=_leerling(fields.group("Leerling")),
        code=WireCode(fields.req("Verzuimsoort")),
        begindatum=dt.date.fromisoformat(fields.req("Begindatum")),
        einddatum=dt.date.fromisoformat(einddatum) if einddatum else None,
        status=DuoStatus(fields.req("StatusMelding")),
        reden_afsluiting=RedenAfsluiting(afsluiting) if afsluiting else None,
        reden_intrekking=RedenIntrekking(intrekking) if intrekking else None,
        laatste_wijziging=_moment(fields.req("DatumTijdLaatsteWijziging")),
    )


_DATUM, _HELE_DAG, _LESUUR, _AANTAL_UREN = q("Datum"), q("HeleDag"), q("Lesuur"), q("AantalUren")


def _verzuimdag(node: etree._Element) -> VerzuimDag:
    """One ``Verzuimdag`` in one pass over its children (a melding has one per absent day):
    ``Datum``, ``HeleDag`` or ``Lesuur`` elements, ``AantalUren``."""
    datum = uren = None
    hele_dag = False
    lesuren: list[int] = []
    for child in node.iterchildren(etree.Element):
        tag = child.tag
        if tag == _LESUUR:
            lesuren.append(int(child.text or "0"))
        elif tag == _DATUM:
            datum = datum if datum is not None else child.text or ""
        elif tag == _AANTAL_UREN:
            uren = uren if uren is not None else child.text or ""
        elif tag == _HELE_DAG:
            hele_dag = True
    if datum is None or uren is None:  # cannot happen after validation
        missing = "Datum" if datum is None else "AantalUren"
        raise MessageError("element ontbreekt", (XmlIssue(readable_path(node), missing),))
    return VerzuimDag(
        datum=dt.date.fromisoformat(datum),
        hele_dag=hele_dag,
        lesuren=tuple(lesuren),
        uren=float(uren),
    )


def _leerling(fields: _Fields) -> Leerling:
    return Leerling(
        bsn=fields.opt("Burgerservicenummer"), onderwijsnummer=fields.opt("Onderwijsnummer")
    )


def _deelname(fields: _Fields) -> Onderwijsdeelname:
    leerjaar, niveau = fields.opt("Leerjaar"), fields.opt("Niveau")
    leerweg = fields.opt("Leerweg")
    return Onderwijsdeelname(
        soort_onderwijs=SoortOnderwijs(fields.req("SoortOnderwijs")),
        leerjaar=int(leerjaar) if leerjaar else None,
        niveau=int(niveau) if niveau else None,
        leerweg=Leerweg(leerweg) if leerweg else None,
        opleiding=fields.opt("Opleiding"),
    )


def _contact(fields: _Fields) -> Contactpersoon:
    return Contactpersoon(
        naam=fields.req("Naam"),
        functie=fields.opt("Functie"),
        telefoon=fields.opt("Telefoonnummer"),
        email=fields.opt("Emailadres"),
    )


def _adres(fields: _Fields) -> Adres:
    return Adres(
        straatnaam=fields.req("Straatnaam"),
        huisnummer=int(fields.req("Huisnummer")),
        toevoeging=fields.opt("Huisnummertoevoeging"),
        postcode=fields.req("Postcode"),
        woonplaats=fields.req("Woonplaats"),
    )


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
