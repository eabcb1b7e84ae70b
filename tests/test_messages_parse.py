"""Parsers of the answers DC0001, DC0002, DC0011, DC0018 (DOMAIN.md 3.1): typed results, only
from documents that are valid, and never from the wrong document type."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from gateway.errors import MessageError
from gateway.messages import (
    Bevestiging,
    Foutmelding,
    LeveringMeldingen,
    LeveringNummer,
    RedenAfsluiting,
    answer_from_element,
    parse_dc0018,
    read_answer,
    xsd_dir,
)
from gateway.model import DuoStatus, WireCode

EXAMPLES = xsd_dir() / "examples"


def _answer(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def test_dc0018() -> None:
    answer = read_answer(_answer("DC0018-LeveringNummerMeldingRelatiefVerzuim.xml"))
    assert isinstance(answer, LeveringNummer)
    assert answer.nummer == "2024000123"
    assert answer.status is DuoStatus.GEREGISTREERD
    assert answer.verzoek_id == "3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a01"
    assert answer.kop.verzender == "DUO"
    assert answer.kop.datumtijd == dt.datetime(2024, 9, 5, 7, 30, 2, tzinfo=dt.UTC)


def test_dc0001() -> None:
    answer = read_answer(_answer("DC0001-Bevestiging.xml"))
    assert isinstance(answer, Bevestiging)
    assert answer.status is DuoStatus.INGETROKKEN


def test_dc0002() -> None:
    answer = read_answer(_answer("DC0002-Foutmelding.xml"))
    assert isinstance(answer, Foutmelding)
    assert [fout.code for fout in answer.fouten] == ["VZ102", "VZ210"]
    assert answer.fouten[0].element == "Begindatum"
    assert answer.fouten[1].element == ""


def test_dc0011() -> None:
    answer = read_answer(_answer("DC0011-LeveringMeldingRelatiefVerzuim.xml"))
    assert isinstance(answer, LeveringMeldingen)
    assert [geval.code for geval in answer.gevallen] == [WireCode.V3, WireCode.LRV, WireCode.L]
    assert answer.gevallen[1].reden_afsluiting is RedenAfsluiting.TERUG_OP_SCHOOL
    assert answer.gevallen[1].leerling.onderwijsnummer == "101234503"
    assert answer.gevallen[1].laatste_wijziging.microsecond == 250000
    assert answer.vervolg is True
    assert answer.volgend_selectiemoment == dt.datetime(2024, 10, 21, 8, 0, tzinfo=dt.UTC)


def test_identity_is_not_in_the_repr() -> None:
    answer = read_answer(_answer("DC0011-LeveringMeldingRelatiefVerzuim.xml"))
    assert "111222333" not in repr(answer)


def test_answer_in_default_namespace_and_inside_a_soap_fault() -> None:
    """An answer is read whatever its prefix, also as a fault detail element handed over by zeep."""
    data = _answer("DC0002-Foutmelding.xml").replace(b"vz:", b"").replace(b"xmlns:vz", b"xmlns")
    assert isinstance(read_answer(data), Foutmelding)
    envelope = etree.fromstring(
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
        b"<faultcode>s:Client</faultcode><faultstring>afgewezen</faultstring><detail>"
        + etree.tostring(etree.fromstring(data))
        + b"</detail></s:Fault></s:Body></s:Envelope>"
    )
    detail = envelope.find(".//detail")
    assert detail is not None
    assert isinstance(answer_from_element(detail[0]), Foutmelding)


def test_invalid_answer_is_refused_with_the_path() -> None:
    data = _answer("DC0018-LeveringNummerMeldingRelatiefVerzuim.xml").replace(
        b"<vz:StatusMelding>R<", b"<vz:StatusMelding>X<"
    )
    with pytest.raises(MessageError) as caught:
        read_answer(data)
    assert caught.value.issues[0].path == "/LeveringNummerMeldingRelatiefVerzuim/StatusMelding"


def test_invalid_answer_inside_an_envelope_names_the_full_path() -> None:
    data = _answer("DC0018-LeveringNummerMeldingRelatiefVerzuim.xml").replace(
        b"<vz:StatusMelding>R<", b"<vz:StatusMelding>X<"
    )
    document = etree.fromstring(data)
    envelope = etree.Element("{http://schemas.xmlsoap.org/soap/envelope/}Envelope")
    etree.SubElement(envelope, "{http://schemas.xmlsoap.org/soap/envelope/}Body").append(document)
    with pytest.raises(MessageError) as caught:
        answer_from_element(document)
    assert caught.value.issues[0].path.endswith(
        "/Body/LeveringNummerMeldingRelatiefVerzuim/StatusMelding"
    )


def test_a_request_is_not_an_answer() -> None:
    with pytest.raises(MessageError, match="onverwacht antwoord"):
        read_answer((EXAMPLES / "MeldenRelatiefVerzuim.xml").read_bytes())
    with pytest.raises(MessageError, match="verwacht LeveringNummerMeldingRelatiefVerzuim"):
        parse_dc0018(etree.fromstring(_answer("DC0001-Bevestiging.xml")))
