"""Answer documents DC0001, DC0002, DC0011, DC0018 (DOMAIN.md 3.1), built as DUO would.

Used by the bundled DUO simulator and by tests; pure, no I/O, no clock, validated like every
document. The sender defaults to ``DUO``; the receiver is the school (BRIN or OIN).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from lxml import etree

from gateway.messages.namespaces import DC0001, DC0002, DC0011, DC0018, NSMAP, RECEIVER_DUO, q
from gateway.messages.results import Fout, Verzuimgeval
from gateway.messages.schema import validate
from gateway.messages.text import check_text, format_utc, yes_no
from gateway.model import DuoStatus

_SUB = etree.SubElement


def build_levering_nummer(
    *,
    verzoek_id: str | uuid.UUID,
    nummer: str,
    receiver: str,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    status: DuoStatus = DuoStatus.GEREGISTREERD,
    sender: str = RECEIVER_DUO,
) -> etree._Element:
    """DC0018: the melding of request ``verzoek_id`` is registered as ``nummer``."""
    root = _root(DC0018, document_id, sender, receiver, now)
    _text(root, "IdentificatiecodeVerzoek", str(verzoek_id))
    _text(root, "NummerMeldingRelatiefVerzuim", nummer)
    _text(root, "StatusMelding", status.value)
    validate(root)
    return root


def build_bevestiging(
    *,
    verzoek_id: str | uuid.UUID,
    nummer: str,
    status: DuoStatus,
    receiver: str,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    sender: str = RECEIVER_DUO,
) -> etree._Element:
    """DC0001: the change or withdrawal of ``nummer`` is processed; ``status`` is its status now."""
    root = _root(DC0001, document_id, sender, receiver, now)
    _text(root, "IdentificatiecodeVerzoek", str(verzoek_id))
    _text(root, "NummerMeldingRelatiefVerzuim", nummer)
    _text(root, "StatusMelding", status.value)
    validate(root)
    return root


def build_foutmelding(
    *,
    fouten: Sequence[Fout],
    receiver: str,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    verzoek_id: str | uuid.UUID | None = None,
    sender: str = RECEIVER_DUO,
) -> etree._Element:
    """DC0002: a business rejection with one or more errors (final, never retried)."""
    root = _root(DC0002, document_id, sender, receiver, now)
    if verzoek_id is not None:
        _text(root, "IdentificatiecodeVerzoek", str(verzoek_id))
    for index, fout in enumerate(fouten, start=1):
        path = f"/{DC0002}/Fout[{index}]"
        node = _SUB(root, q("Fout"))
        _text(node, "Foutcode", fout.code)
        _text(node, "Foutomschrijving", check_text(fout.omschrijving, path, multiline=True))
        if fout.element:
            _text(node, "Element", check_text(fout.element, path, multiline=True))
    validate(root)
    return root


def build_levering_meldingen(
    *,
    verzoek_id: str | uuid.UUID,
    gevallen: Sequence[Verzuimgeval],
    volgend_selectiemoment: dt.datetime,
    vervolg: bool,
    receiver: str,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    sender: str = RECEIVER_DUO,
) -> etree._Element:
    """DC0011: one page of meldingen changed since the asked moment, and where to go on from."""
    root = _root(DC0011, document_id, sender, receiver, now)
    _text(root, "IdentificatiecodeVerzoek", str(verzoek_id))
    for index, geval in enumerate(gevallen, start=1):
        path = f"/{DC0011}/Verzuimgeval[{index}]"
        node = _SUB(root, q("Verzuimgeval"))
        _text(node, "NummerMeldingRelatiefVerzuim", geval.nummer)
        leerling = _SUB(node, q("Leerling"))
        if geval.leerling.bsn:
            _text(leerling, "Burgerservicenummer", geval.leerling.bsn)
        else:
            _text(leerling, "Onderwijsnummer", geval.leerling.onderwijsnummer)
        _text(node, "Verzuimsoort", geval.code.value)
        _text(node, "Begindatum", geval.begindatum.isoformat())
        if geval.einddatum is not None:
            _text(node, "Einddatum", geval.einddatum.isoformat())
        _text(node, "StatusMelding", geval.status.value)
        if geval.reden_afsluiting is not None:
            _text(node, "RedenAfsluiting", geval.reden_afsluiting.value)
        if geval.reden_intrekking is not None:
            _text(node, "RedenIntrekking", geval.reden_intrekking.value)
        moment = format_utc(geval.laatste_wijziging, f"{path}/DatumTijdLaatsteWijziging")
        _text(node, "DatumTijdLaatsteWijziging", moment)
    path = f"/{DC0011}/VolgendSelectiemoment"
    _text(root, "VolgendSelectiemoment", format_utc(volgend_selectiemoment, path))
    _text(root, "IndicatieVervolg", yes_no(vervolg))
    validate(root)
    return root


def _root(
    name: str, document_id: str | uuid.UUID, sender: str, receiver: str, now: dt.datetime
) -> etree._Element:
    root = etree.Element(q(name), nsmap=NSMAP)
    _text(root, "IdentificatiecodeBedrijfsdocument", str(document_id))
    _text(root, "VerzendendeInstantie", sender)
    _text(root, "OntvangendeInstantie", receiver)
    moment = format_utc(now, f"/{name}/DatumTijdBedrijfsdocument")
    _text(root, "DatumTijdBedrijfsdocument", moment)
    return root


def _text(parent: etree._Element, name: str, value: str) -> None:
    """A value from the caller (number, code, BRIN): no control characters either (V06)."""
    _SUB(parent, q(name)).text = check_text(value, name, multiline=True)
