"""Every example of xsd/examples validates (or fails as documented) with lxml and xmlschema; the
WSDL loads offline in zeep and its messages validate (issue 3, DOMAIN.md 3)."""

from __future__ import annotations

import datetime as dt
import json
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree

from gateway.errors import MessageError
from gateway.messages import validate, wsdl_path, xsd_dir
from gateway.messages.namespaces import ACTIONS, NS_VERZUIM, OP_AANVRAAG, OP_MELDEN, OP_MUTATIE
from gateway.messages.schema import iter_xmlschema_issues
from gateway.xml import parse_bytes

EXAMPLES = xsd_dir() / "examples"
VALID = sorted(EXAMPLES.glob("*.xml"))
INVALID = json.loads((EXAMPLES / "invalid" / "expected.json").read_text(encoding="utf-8"))
SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"
DOCUMENTS = {
    "MeldenRelatiefVerzuim",
    "MutatieMeldingRelatiefVerzuim",
    "AanvraagGewijzigdeMeldingRelatiefVerzuim",
    "LeveringNummerMeldingRelatiefVerzuim",
    "Bevestiging",
    "Foutmelding",
    "LeveringMeldingRelatiefVerzuim",
}


def _load(path: Path) -> etree._Element:
    return parse_bytes(path.read_bytes())


def test_top_level_xsd_is_the_package_folder() -> None:
    top = Path(__file__).resolve().parent.parent / "xsd"
    assert top.resolve() == xsd_dir()


def test_there_is_a_valid_example_of_every_document() -> None:
    roots = {etree.QName(_load(path)).localname for path in VALID}
    assert roots == DOCUMENTS


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_passes_lxml_and_xmlschema(path: Path) -> None:
    root = _load(path)
    validate(root)
    assert list(iter_xmlschema_issues(root)) == []


def test_every_invalid_example_is_listed() -> None:
    on_disk = {path.name for path in (EXAMPLES / "invalid").glob("*.xml")}
    assert on_disk == set(INVALID)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_example_fails_as_documented(name: str) -> None:
    expected: dict[str, Any] = INVALID[name]
    root = _load(EXAMPLES / "invalid" / name)
    with pytest.raises(MessageError) as caught:
        validate(root)
    lxml_issues = caught.value.issues
    assert [issue.path for issue in lxml_issues] == [expected["path"]]
    assert expected["lxml"] in lxml_issues[0].message
    assert lxml_issues[0].line
    xmlschema_issues = list(iter_xmlschema_issues(root))
    assert [issue.path for issue in xmlschema_issues] == [expected["path"]]
    assert expected["xmlschema"] in xmlschema_issues[0].message
    assert xmlschema_issues[0].line == lxml_issues[0].line


def test_wrong_identity_value_is_never_quoted() -> None:
    """Neither validator's message repeats the (wrong) BSN; the path says where it is."""
    root = _load(EXAMPLES / "invalid" / "bsn-acht-cijfers.xml")
    with pytest.raises(MessageError) as caught:
        validate(root)
    messages = [str(issue) for issue in caught.value.issues]
    messages += [str(issue) for issue in iter_xmlschema_issues(root)]
    assert messages and not any("11122233" in message for message in messages)


def test_invalid_examples_differ_from_a_valid_one_only_where_documented() -> None:
    """Control: the broken BSN file is the valid example with one value changed."""
    valid = _load(EXAMPLES / "MeldenRelatiefVerzuim.xml")
    broken = _load(EXAMPLES / "invalid" / "bsn-acht-cijfers.xml")
    path = f"{{{NS_VERZUIM}}}Leerling/{{{NS_VERZUIM}}}Burgerservicenummer"
    broken.find(path).text = valid.find(path).text  # type: ignore[union-attr]
    validate(broken)


# ----- WSDL -----


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access while loading the WSDL")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def client(offline: None) -> zeep.Client:
    settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True)
    return zeep.Client(str(wsdl_path()), settings=settings)


HEADER = {
    "IdentificatiecodeBedrijfsdocument": "0d7e1f7e-1111-4222-8333-444455556666",
    "VerzendendeInstantie": "99XX",
    "OntvangendeInstantie": "DUO",
    "DatumTijdBedrijfsdocument": dt.datetime(2024, 9, 5, 7, 30, tzinfo=dt.UTC),
}
ZEEP_CALLS: dict[str, dict[str, Any]] = {
    OP_MELDEN: {
        "Onderwijsinstelling": {"Brin": "99XX", "Vestiging": "01"},
        "Leerling": {"Burgerservicenummer": "111222333"},
        "Verzuimsoort": "V3",
        "IndicatieHerhaalmelding": "N",
        "Begindatum": dt.date(2024, 9, 2),
        "Einddatum": dt.date(2024, 9, 3),
        "Verzuimspecificatie": {
            "Telwijze": "LESUREN",
            "TotaalAantalUren": Decimal("9.00"),
            "Verzuimdag": [
                {"Datum": dt.date(2024, 9, 2), "HeleDag": "J", "AantalUren": Decimal("6.00")},
                {"Datum": dt.date(2024, 9, 3), "Lesuur": [1, 2, 3], "AantalUren": Decimal("3")},
            ],
        },
        "VermoedelijkeReden": "Ziek <&> 'gemeld'",
        "OndernomenActies": "Ouders gebeld.\nMentor op huisbezoek.",
        "ActieGewenst": "J",
        "Melder": {"Naam": "M. de Vries", "Emailadres": "verzuim@school.example"},
    },
    OP_MUTATIE: {
        "Onderwijsinstelling": {"Brin": "99XX"},
        "NummerMeldingRelatiefVerzuim": "2024000123",
        "Wijziging": {"Einddatum": dt.date(2024, 10, 11), "Toelichting": "Weer op school."},
    },
    OP_AANVRAAG: {
        "Onderwijsinstelling": {"Brin": "99XX"},
        "Selectiemoment": dt.datetime(2024, 9, 1, tzinfo=dt.UTC),
    },
}


def test_wsdl_has_the_three_operations_with_their_actions(client: zeep.Client) -> None:
    operations = client.service._binding._operations
    assert set(operations) == set(ACTIONS)
    for name, operation in operations.items():
        assert operation.soapaction == ACTIONS[name]
        assert operation.abstract.wsa_action == ACTIONS[name]
        assert set(operation.abstract.fault_messages) == {"Foutmelding"}


@pytest.mark.parametrize("operation", sorted(ZEEP_CALLS))
def test_zeep_message_body_validates(client: zeep.Client, operation: str) -> None:
    envelope = client.create_message(client.service, operation, **HEADER, **ZEEP_CALLS[operation])
    body = envelope.find(SOAP_BODY)
    assert body is not None and len(body) == 1
    document = etree.fromstring(etree.tostring(body[0]))
    validate(document)
    assert list(iter_xmlschema_issues(document)) == []
    action = envelope.find(".//{http://www.w3.org/2005/08/addressing}Action")
    assert action is not None and action.text == ACTIONS[operation]


def test_zeep_withdrawal_body_validates(client: zeep.Client) -> None:
    call = dict(ZEEP_CALLS[OP_MUTATIE])
    del call["Wijziging"]
    call["Intrekking"] = {"StatusMelding": "I", "RedenIntrekking": "DUBBEL"}
    envelope = client.create_message(client.service, OP_MUTATIE, **HEADER, **call)
    validate(etree.fromstring(etree.tostring(envelope.find(SOAP_BODY)[0])))  # type: ignore[index]


def test_zeep_body_with_a_wrong_value_does_not_validate(client: zeep.Client) -> None:
    """Control: zeep does not enforce facets, our validation does (DESIGN.md 2)."""
    call = dict(ZEEP_CALLS[OP_AANVRAAG], Onderwijsinstelling={"Brin": "99xx"})
    envelope = client.create_message(client.service, OP_AANVRAAG, **HEADER, **call)
    with pytest.raises(MessageError, match="Brin"):
        validate(etree.fromstring(etree.tostring(envelope.find(SOAP_BODY)[0])))  # type: ignore[index]
