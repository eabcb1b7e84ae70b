"""The request envelope (``gateway.duo.envelope``, DOMAIN.md 3.4): the stored document goes
into the Body byte for byte, and nothing but one UTF-8 element ever does."""

from __future__ import annotations

import pytest
from lxml import etree
from simulator_docs import melden

from gateway.duo.envelope import SOAP_ENV, WSA, Addressing, document_in_body, request_envelope
from gateway.errors import UnsafeXmlError
from gateway.messages.namespaces import ACTIONS
from gateway.xml import canonical, parse_bytes, to_bytes

ADDRESSING = Addressing(
    ACTIONS["MeldenRelatiefVerzuim"],
    "https://duo.example/verzuim/v1",
    "urn:uuid:6f0d9a8e-0d67-4d59-9d1c-8b8f3b2a6f10",
    "00000001800000099000",
)


def body_of(envelope: bytes) -> bytes:
    start = envelope.index(b"<soap:Body>") + len(b"<soap:Body>")
    return envelope[start : envelope.rindex(b"</soap:Body>")]


def test_the_stored_document_is_the_body_byte_for_byte() -> None:
    stored = to_bytes(melden(), pretty=True)
    envelope = request_envelope(stored, ADDRESSING)
    assert stored.startswith(b"<?xml")
    assert body_of(envelope) == stored[stored.index(b"?>") + 2 :].strip()
    root = parse_bytes(envelope)
    header = root.find(f"{{{SOAP_ENV}}}Header")
    assert header is not None
    assert header.findtext(f"{{{WSA}}}MessageID") == ADDRESSING.message_id
    assert header.findtext(f"{{{WSA}}}Action") == ADDRESSING.action
    assert header.findtext(f"{{{WSA}}}From/{{{WSA}}}Address") == f"urn:oin:{ADDRESSING.sender_oin}"
    (document,) = root.find(f"{{{SOAP_ENV}}}Body")  # type: ignore[misc]
    assert canonical(document) == canonical(parse_bytes(stored))


def test_a_document_without_declaration_goes_in_as_it_is() -> None:
    stored = etree.tostring(melden(), encoding="UTF-8", xml_declaration=False)
    assert body_of(request_envelope(stored, ADDRESSING)) == stored


def test_another_encoding_is_written_again_as_utf8() -> None:
    element = melden()
    stored = etree.tostring(element, encoding="ISO-8859-1", xml_declaration=True)
    envelope = request_envelope(stored, ADDRESSING)
    assert b"ISO-8859-1" not in envelope
    (document,) = parse_bytes(envelope).find(f"{{{SOAP_ENV}}}Body")  # type: ignore[misc]
    assert canonical(document) == canonical(element)


@pytest.mark.parametrize(
    "prefix",
    [b"<!-- opmerking -->", b"<?verwerking x?>", b"\n<!-- a -->\n"],
)
def test_nothing_before_the_element_reaches_the_envelope(prefix: bytes) -> None:
    element = melden()
    stored = (
        b"<?xml version='1.0' encoding='UTF-8'?>\n" + prefix + to_bytes(element).split(b"?>", 1)[1]
    )
    body = document_in_body(stored)
    assert body.startswith(b"<") and not body.startswith((b"<!", b"<?"))
    assert canonical(parse_bytes(body)) == canonical(element)


@pytest.mark.parametrize("suffix", [b"<!-- opmerking -->", b"<?verwerking x?>\n"])
def test_nothing_after_the_element_reaches_the_envelope(suffix: bytes) -> None:
    element = melden()
    stored = to_bytes(element) + suffix
    body = document_in_body(stored)
    assert b"<!--" not in body and b"<?" not in body
    assert canonical(parse_bytes(body)) == canonical(element)


def test_a_doctype_is_refused_not_sent() -> None:
    stored = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    with pytest.raises(UnsafeXmlError):
        request_envelope(stored, ADDRESSING)
