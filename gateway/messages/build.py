"""Request documents from the canonical model (DOMAIN.md 3.1, 3.3): pure, no I/O, no clock.

Each ``build_*`` function takes the canonical objects plus the header values (document id,
sender, now) as arguments, builds the document with lxml (never by string formatting), validates
it against ``xsd/`` and returns the root element. Anything that cannot be sent raises
``MessageError`` with the element path: a control character (V06), a pupil without a valid
identity (V01), a 16-uur melding without einddatum (V02), actie gewenst = no without an
explanation (V11), or anything the schema refuses.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import uuid

from lxml import etree

from gateway.errors import MessageError, XmlIssue
from gateway.messages.content import (
    Adres,
    Contactpersoon,
    Intrekking,
    MeldingInhoud,
    MeldingMutatie,
    Onderwijsdeelname,
    PupilIdentity,
)
from gateway.messages.namespaces import (
    NSMAP,
    OP_AANVRAAG,
    OP_MELDEN,
    OP_MUTATIE,
    RECEIVER_DUO,
    q,
)
from gateway.messages.schema import validate
from gateway.messages.text import (
    check_text,
    format_uren,
    format_utc,
    has_control_character,
)
from gateway.model import Eenheid, Melder, Melding, SchoolConfig, WireCode
from gateway.numbers import identity_problem, is_bsn, is_onderwijsnummer

_SUB = etree.SubElement
_copy = copy.copy

_LESUUR = q("Lesuur")
_MELDER = q("Melder")
_ONDERWIJSNUMMER = q("Onderwijsnummer")
_ZESTIEN_UUR = (WireCode.V3, WireCode.V4)
_TELWIJZE = {Eenheid.LESUREN: "LESUREN", Eenheid.KLOKUREN: "KLOKUREN"}


def build_melden(
    melding: Melding,
    student: PupilIdentity,
    school: SchoolConfig,
    inhoud: MeldingInhoud,
    *,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    sender: str | None = None,
    receiver: str = RECEIVER_DUO,
) -> etree._Element:
    """``MeldenRelatiefVerzuim`` for one melding, validated (answer: DC0018 or DC0002).

    ``sender`` defaults to the school's BRIN; ``now`` must carry a time zone. The document is a
    deep copy of a prebuilt template (every element once, in schema order) whose elements are
    filled in or removed: copying is about three times cheaper than creating each element, and
    this is the hot path of a batch (``benchmarks/messages.py``).
    """
    base = "/" + OP_MELDEN
    _check_melding(melding, inhoud, base)
    melder_data = inhoud.melder or school.melder
    sender = sender or school.brin
    _check_texts(student, school, inhoud, melder_data, (str(document_id), sender, receiver))
    root = _copy(_melden_template(min(len(melding.dagen), _PREBUILT_DAYS)))  # a deep copy
    (
        kenmerk,
        verzender,
        ontvanger,
        datumtijd,
        instelling,
        leerling,
        deelname,
        soort,
        herhaal,
        begin,
        eind,
        spec,
        reden,
        acties,
        actie,
        toelichting_actie,
        toelichting,
        melder,
        contact,
        telefoon_ouder,
        adres,
    ) = root
    kenmerk.text = str(document_id)
    verzender.text = sender
    ontvanger.text = receiver
    datumtijd.text = format_utc(now, f"{base}/DatumTijdBedrijfsdocument")
    brin, vestiging, locatie = instelling
    brin.text = school.brin
    _put(instelling, vestiging, school.vestiging)
    _put(instelling, locatie, inhoud.aanduiding_locatie)
    _leerling(leerling[0], student, base)
    if inhoud.onderwijsdeelname is None:
        root.remove(deelname)
    else:
        _deelname(deelname, inhoud.onderwijsdeelname)
    soort.text = melding.code.value
    herhaal.text = "J" if melding.herhaal else "N"
    begin.text = melding.begindatum.isoformat()
    _put(root, eind, melding.einddatum.isoformat() if melding.einddatum else "")
    _specificatie(spec, melding)
    reden.text = inhoud.vermoedelijke_reden
    acties.text = inhoud.ondernomen_acties
    actie.text = "J" if inhoud.actie_gewenst else "N"
    _put(root, toelichting_actie, inhoud.toelichting_actie_gewenst)
    _put(root, toelichting, inhoud.toelichting)
    _contact(melder, melder_data.naam, melder_data.functie, melder_data.telefoon, melder_data.email)
    if inhoud.extra_contactpersoon is None:
        root.remove(contact)
    else:
        extra = inhoud.extra_contactpersoon
        _contact(contact, extra.naam, extra.functie, extra.telefoon, extra.email)
    _put(root, telefoon_ouder, inhoud.telefoon_ouder_leerling)
    if inhoud.afwijkend_adres is None:
        root.remove(adres)
    else:
        _adres(adres, inhoud.afwijkend_adres)
    validate(root)
    return root


def build_mutatie(
    mutatie: MeldingMutatie,
    school: SchoolConfig,
    *,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    sender: str | None = None,
    receiver: str = RECEIVER_DUO,
) -> etree._Element:
    """``MutatieMeldingRelatiefVerzuim`` that changes a registered melding (answer: DC0001 or
    DC0002): einddatum (R-EINDE), vermoedelijke reden, ondernomen acties and/or toelichting."""
    base = f"/{OP_MUTATIE}/Wijziging"
    if not (
        mutatie.einddatum
        or mutatie.vermoedelijke_reden
        or mutatie.ondernomen_acties
        or mutatie.toelichting
    ):
        raise MessageError(
            "mutatie zonder wijziging",
            (XmlIssue(base, "geef einddatum, vermoedelijke reden, acties of toelichting"),),
        )
    root = _mutatie_root(mutatie.nummer, school, document_id, now, sender, receiver)
    node = _SUB(root, q("Wijziging"))
    if mutatie.einddatum is not None:
        _text(node, "Einddatum", mutatie.einddatum.isoformat())
    _block(node, "VermoedelijkeReden", mutatie.vermoedelijke_reden, base)
    _block(node, "OndernomenActies", mutatie.ondernomen_acties, base)
    _block(node, "Toelichting", mutatie.toelichting, base)
    validate(root)
    return root


def build_intrekking(
    intrekking: Intrekking,
    school: SchoolConfig,
    *,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    sender: str | None = None,
    receiver: str = RECEIVER_DUO,
) -> etree._Element:
    """``MutatieMeldingRelatiefVerzuim`` that withdraws a melding: status I and a reason (V12).

    Whether the melding may still be withdrawn (not G or I) is the caller's check (V12)."""
    base = f"/{OP_MUTATIE}/Intrekking"
    root = _mutatie_root(intrekking.nummer, school, document_id, now, sender, receiver)
    node = _SUB(root, q("Intrekking"))
    _text(node, "StatusMelding", "I")
    _text(node, "RedenIntrekking", intrekking.reden.value)
    _block(node, "ToelichtingIntrekking", intrekking.toelichting, base)
    validate(root)
    return root


def build_aanvraag(
    school: SchoolConfig,
    selectiemoment: dt.datetime,
    *,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    sender: str | None = None,
    receiver: str = RECEIVER_DUO,
) -> etree._Element:
    """``AanvraagGewijzigdeMeldingRelatiefVerzuim``: this school's meldingen changed since
    ``selectiemoment`` (answer: DC0011, paged, or DC0002)."""
    base = "/" + OP_AANVRAAG
    root = etree.Element(q(OP_AANVRAAG), nsmap=NSMAP)
    _kop(root, document_id, sender or school.brin, receiver, now, base)
    _onderwijsinstelling(root, school, "", base)
    _text(root, "Selectiemoment", format_utc(selectiemoment, f"{base}/Selectiemoment"))
    validate(root)
    return root


# ----- parts -----


def _check_melding(melding: Melding, inhoud: MeldingInhoud, base: str) -> None:
    if melding.code in _ZESTIEN_UUR and melding.einddatum is None:
        raise MessageError(
            "16-uurmelding zonder einddatum",
            (XmlIssue(f"{base}/Einddatum", "verplicht bij een 16-uurmelding (V02)"),),
        )
    if not inhoud.actie_gewenst and not inhoud.toelichting_actie_gewenst.strip():
        raise MessageError(
            "actie gewenst = nee zonder toelichting",
            (XmlIssue(f"{base}/ToelichtingActieGewenst", "verplicht als ActieGewenst N is (V11)"),),
        )


def _kop(
    root: etree._Element,
    document_id: str | uuid.UUID,
    sender: str,
    receiver: str,
    now: dt.datetime,
    base: str,
) -> None:
    _text(root, "IdentificatiecodeBedrijfsdocument", str(document_id))
    _text(root, "VerzendendeInstantie", sender)
    _text(root, "OntvangendeInstantie", receiver)
    _text(root, "DatumTijdBedrijfsdocument", format_utc(now, f"{base}/DatumTijdBedrijfsdocument"))


def _onderwijsinstelling(
    root: etree._Element, school: SchoolConfig, locatie: str, base: str
) -> None:
    node = _SUB(root, q("Onderwijsinstelling"))
    _text(node, "Brin", school.brin)
    if school.vestiging:
        _text(node, "Vestiging", school.vestiging)
    _line(node, "AanduidingLocatie", locatie, f"{base}/Onderwijsinstelling")


def _mutatie_root(
    nummer: str,
    school: SchoolConfig,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    sender: str | None,
    receiver: str,
) -> etree._Element:
    base = "/" + OP_MUTATIE
    root = etree.Element(q(OP_MUTATIE), nsmap=NSMAP)
    _kop(root, document_id, sender or school.brin, receiver, now, base)
    _onderwijsinstelling(root, school, "", base)
    _text(root, "NummerMeldingRelatiefVerzuim", nummer)
    return root


def _leerling(node: etree._Element, student: PupilIdentity, base: str) -> None:
    """V01: a valid BSN wins; without one, a valid onderwijsnummer. The number is never quoted."""
    if student.bsn and is_bsn(student.bsn):
        node.text = student.bsn
    elif student.onderwijsnummer and is_onderwijsnummer(student.onderwijsnummer):
        node.tag = _ONDERWIJSNUMMER
        node.text = student.onderwijsnummer
    else:
        problem = identity_problem(student.bsn, student.onderwijsnummer) or "ongeldig"
        raise MessageError(
            "leerling niet geïdentificeerd (V01)",
            (XmlIssue(f"{base}/Leerling", f"{problem} (V01)"),),
        )


def _deelname(node: etree._Element, deelname: Onderwijsdeelname) -> None:
    soort, leerjaar, niveau, leerweg, opleiding = node
    soort.text = deelname.soort_onderwijs.value
    _put(node, leerjaar, "" if deelname.leerjaar is None else str(deelname.leerjaar))
    _put(node, niveau, "" if deelname.niveau is None else str(deelname.niveau))
    _put(node, leerweg, "" if deelname.leerweg is None else deelname.leerweg.value)
    _put(node, opleiding, deelname.opleiding)


def _specificatie(spec: etree._Element, melding: Melding) -> None:
    """Per day: the date, then the whole day or the lesson numbers, then the hours counted.

    A whole day carries no lesson numbers on the wire ("either", DOMAIN.md 3.3). The template
    already holds one whole day per day of the melding (up to ``_PREBUILT_DAYS``, more are
    appended); a day with lesson numbers turns its ``HeleDag`` into the first ``Lesuur``.
    """
    dagen = melding.dagen
    for _ in range(len(dagen) - _PREBUILT_DAYS):
        spec.append(_copy(_day_template()))
    telwijze, totaal, *days = spec
    telwijze.text = _TELWIJZE[melding.eenheid]
    _put(spec, totaal, "" if melding.uren is None else format_uren(melding.uren))
    for dag, day in zip(dagen, days, strict=True):
        datum, hele_dag, uren = day
        datum.text = dag.datum.isoformat()
        uren.text = f"{dag.uren:.2f}"
        if dag.hele_dag:
            continue
        lesuren = dag.lesuren
        if not lesuren:
            day.remove(hele_dag)
            continue
        hele_dag.tag = _LESUUR
        hele_dag.text = str(lesuren[0])
        for number in lesuren[1:]:
            lesuur = day.makeelement(_LESUUR)
            lesuur.text = str(number)
            uren.addprevious(lesuur)


def _contact(node: etree._Element, naam: str, functie: str, telefoon: str, email: str) -> None:
    """Melder or ExtraContactpersoon: Naam, Functie, Telefoonnummer, Emailadres."""
    naam_el, functie_el, telefoon_el, email_el = node
    naam_el.text = naam
    _put(node, functie_el, functie)
    _put(node, telefoon_el, telefoon)
    _put(node, email_el, email, required=node.tag == _MELDER)


def _adres(node: etree._Element, adres: Adres) -> None:
    straat, huisnummer, toevoeging, postcode, woonplaats = node
    straat.text = adres.straatnaam
    huisnummer.text = str(adres.huisnummer)
    _put(node, toevoeging, adres.toevoeging)
    postcode.text = adres.postcode
    woonplaats.text = adres.woonplaats


def _check_texts(
    student: PupilIdentity,
    school: SchoolConfig,
    inhoud: MeldingInhoud,
    melder: Melder,
    header: tuple[str, str, str],
) -> None:
    """V06 for every text of a melding at once: one search over all one-line values and one over
    all free texts; only on a hit is the field looked up, so the error names its path."""
    contact = inhoud.extra_contactpersoon or _NO_CONTACT
    adres = inhoud.afwijkend_adres or _NO_ADRES
    opleiding = inhoud.onderwijsdeelname.opleiding if inhoud.onderwijsdeelname else ""
    lines = (
        *header,
        school.brin,
        school.vestiging,
        inhoud.aanduiding_locatie,
        student.bsn,
        student.onderwijsnummer,
        opleiding,
        melder.naam,
        melder.functie,
        melder.telefoon,
        melder.email,
        contact.naam,
        contact.functie,
        contact.telefoon,
        contact.email,
        inhoud.telefoon_ouder_leerling,
        adres.straatnaam,
        adres.toevoeging,
        adres.postcode,
        adres.woonplaats,
    )
    blocks = (
        inhoud.vermoedelijke_reden,
        inhoud.ondernomen_acties,
        inhoud.toelichting_actie_gewenst,
        inhoud.toelichting,
    )
    if has_control_character("".join(lines)):
        for value, path in zip(lines, _LINE_PATHS, strict=True):
            check_text(value, path)
    if has_control_character("".join(blocks), multiline=True):
        for value, path in zip(blocks, _BLOCK_PATHS, strict=True):
            check_text(value, path, multiline=True)


_NO_CONTACT = Contactpersoon(naam="")
_NO_ADRES = Adres(straatnaam="", huisnummer=0, postcode="", woonplaats="")
_LINE_PATHS = tuple(
    f"/{OP_MELDEN}/{name}"
    for name in (
        "IdentificatiecodeBedrijfsdocument",
        "VerzendendeInstantie",
        "OntvangendeInstantie",
        "Onderwijsinstelling/Brin",
        "Onderwijsinstelling/Vestiging",
        "Onderwijsinstelling/AanduidingLocatie",
        "Leerling",
        "Leerling",
        "Onderwijsdeelname/Opleiding",
        "Melder/Naam",
        "Melder/Functie",
        "Melder/Telefoonnummer",
        "Melder/Emailadres",
        "ExtraContactpersoon/Naam",
        "ExtraContactpersoon/Functie",
        "ExtraContactpersoon/Telefoonnummer",
        "ExtraContactpersoon/Emailadres",
        "TelefoonnummerOuderLeerling",
        "AfwijkendAdres/Straatnaam",
        "AfwijkendAdres/Huisnummertoevoeging",
        "AfwijkendAdres/Postcode",
        "AfwijkendAdres/Woonplaats",
    )
)
_BLOCK_PATHS = tuple(
    f"/{OP_MELDEN}/{name}"
    for name in ("VermoedelijkeReden", "OndernomenActies", "ToelichtingActieGewenst", "Toelichting")
)


def _put(
    parent: etree._Element, child: etree._Element, value: str, *, required: bool = False
) -> None:
    """Fill an element of the template, or remove it when the value is empty and optional."""
    if value or required:
        child.text = value
    else:
        parent.remove(child)


_MELDEN_LAYOUT: tuple[str | tuple[str, tuple[str, ...]], ...] = (
    "IdentificatiecodeBedrijfsdocument",
    "VerzendendeInstantie",
    "OntvangendeInstantie",
    "DatumTijdBedrijfsdocument",
    ("Onderwijsinstelling", ("Brin", "Vestiging", "AanduidingLocatie")),
    ("Leerling", ("Burgerservicenummer",)),
    ("Onderwijsdeelname", ("SoortOnderwijs", "Leerjaar", "Niveau", "Leerweg", "Opleiding")),
    "Verzuimsoort",
    "IndicatieHerhaalmelding",
    "Begindatum",
    "Einddatum",
    ("Verzuimspecificatie", ("Telwijze", "TotaalAantalUren")),
    "VermoedelijkeReden",
    "OndernomenActies",
    "ActieGewenst",
    "ToelichtingActieGewenst",
    "Toelichting",
    ("Melder", ("Naam", "Functie", "Telefoonnummer", "Emailadres")),
    ("ExtraContactpersoon", ("Naam", "Functie", "Telefoonnummer", "Emailadres")),
    "TelefoonnummerOuderLeerling",
    (
        "AfwijkendAdres",
        ("Straatnaam", "Huisnummer", "Huisnummertoevoeging", "Postcode", "Woonplaats"),
    ),
)
"""Every element of a MeldenRelatiefVerzuim once, in the order of verzuim-melding-v1.xsd."""


_PREBUILT_DAYS = 31
"""Templates exist for 0 to 31 days; a longer specification appends copies of one day."""


@functools.cache
def _melden_template(days: int) -> etree._Element:
    """Every element of ``_MELDEN_LAYOUT`` once, and ``days`` whole days in the specificatie."""
    root = etree.Element(q(OP_MELDEN), nsmap=NSMAP)
    for item in _MELDEN_LAYOUT:
        if isinstance(item, str):
            _SUB(root, q(item))
            continue
        section = _SUB(root, q(item[0]))
        for name in item[1]:
            _SUB(section, q(name))
        if item[0] == "Verzuimspecificatie":
            for _ in range(days):
                section.append(_copy(_day_template()))
    return root


@functools.cache
def _day_template() -> etree._Element:
    """One whole day: ``Datum``, ``HeleDag`` = J, ``AantalUren``."""
    day = etree.Element(q("Verzuimdag"), nsmap=NSMAP)
    _SUB(day, q("Datum"))
    _SUB(day, q("HeleDag")).text = "J"
    _SUB(day, q("AantalUren"))
    return day


def _text(parent: etree._Element, name: str, value: str) -> None:
    """A value from the caller (BRIN, number, code): no control characters either."""
    _SUB(parent, q(name)).text = check_text(value, name)


def _line(
    parent: etree._Element, name: str, value: str, base: str, *, required: bool = False
) -> None:
    """A one-line text: left out when empty and optional; no control characters at all."""
    if value or required:
        _SUB(parent, q(name)).text = check_text(value, f"{base}/{name}")


def _block(
    parent: etree._Element, name: str, value: str, base: str, *, required: bool = False
) -> None:
    """A free text: left out when empty and optional; tab and line breaks allowed."""
    if value or required:
        _SUB(parent, q(name)).text = check_text(value, f"{base}/{name}", multiline=True)
