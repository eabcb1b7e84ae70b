"""SOAP 1.1 envelopes with WS-Addressing 1.0 headers (DOMAIN.md 3.4, Digikoppeling WUS).

The body is the request document exactly as the message layer built, validated and the outbox
stored it: what DUO receives is byte for byte what the school's audit trail shows.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from lxml import etree

from gateway.errors import UnknownOutcomeError
from gateway.xml import parse_bytes

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous"
NSMAP = {"soap": SOAP_ENV, "wsa": WSA}


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


@dataclass(frozen=True, slots=True)
class Addressing:
    """The WS-Addressing headers of one request."""

    action: str
    to: str
    message_id: str
    sender_oin: str

    @classmethod
    def new(cls, action: str, to: str, sender_oin: str) -> Addressing:
        return cls(action, to, f"urn:uuid:{uuid.uuid4()}", sender_oin)


_DECLARATION = re.compile(rb"\A<\?xml[^>]*\?>\s*")
_UTF8 = re.compile(rb"encoding\s*=\s*[\"']utf-8[\"']", re.IGNORECASE)
_EMPTY_BODY = b"<soap:Body/></soap:Envelope>"


def request_envelope(document: bytes, addressing: Addressing) -> bytes:
    """The envelope around a stored request document, with To, Action, MessageID, From (the
    school's OIN) and ReplyTo (anonymous).

    The document goes into the Body as the bytes the outbox holds, without its XML declaration
    (``document_in_body``): what DUO receives is byte for byte what the audit trail shows, and
    a stored document is not parsed again for every send.
    """
    envelope = etree.Element(_q(SOAP_ENV, "Envelope"), nsmap=NSMAP)
    header = etree.SubElement(envelope, _q(SOAP_ENV, "Header"))
    etree.SubElement(header, _q(WSA, "To")).text = addressing.to
    etree.SubElement(header, _q(WSA, "Action")).text = addressing.action
    etree.SubElement(header, _q(WSA, "MessageID")).text = addressing.message_id
    sender = etree.SubElement(header, _q(WSA, "From"))
    etree.SubElement(sender, _q(WSA, "Address")).text = f"urn:oin:{addressing.sender_oin}"
    reply_to = etree.SubElement(header, _q(WSA, "ReplyTo"))
    etree.SubElement(reply_to, _q(WSA, "Address")).text = ANONYMOUS
    etree.SubElement(envelope, _q(SOAP_ENV, "Body"))
    head = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    if not head.endswith(_EMPTY_BODY):  # lxml writes an empty element as <soap:Body/>
        raise ValueError("onverwachte serialisatie van de SOAP-envelop")
    body = document_in_body(document)
    return b"".join(
        (head[: -len(_EMPTY_BODY)], b"<soap:Body>", body, b"</soap:Body></soap:Envelope>")
    )


def document_in_body(document: bytes) -> bytes:
    """A stored UTF-8 document as the content of the Body: its bytes after the XML declaration.

    The outbox holds only documents the message layer built and validated against the XSD
    (DOMAIN.md 3.3: UTF-8), so their bytes are not checked again here. Anything that is not
    simply one UTF-8 element after an optional declaration (another encoding, a comment,
    processing instruction or DOCTYPE before or after the element) is parsed with the safe
    parser and serialised again, so that no envelope ever carries it.
    """
    declaration = _DECLARATION.match(document)
    if declaration is not None and b"encoding" in declaration.group():
        plain = _UTF8.search(declaration.group()) is not None
    else:
        plain = True
    rest = document[declaration.end() :] if declaration else document.lstrip()
    rest = rest.rstrip()
    one_element = rest[:1] == b"<" and rest[1:2] not in (b"!", b"?")
    if plain and one_element and not rest.endswith((b"-->", b"?>")):
        return rest
    return etree.tostring(parse_bytes(document), encoding="UTF-8", xml_declaration=False)


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer envelope: its WS-Addressing headers and either a body document or a fault."""

    action: str
    relates_to: str
    body: etree._Element | None
    fault_code: str
    fault_string: str
    fault_detail: etree._Element | None

    @property
    def is_fault(self) -> bool:
        return bool(self.fault_code)


def read_reply(data: bytes) -> Reply:
    """Parse an answer envelope with the safe parser; UnknownOutcomeError when it is not one."""
    try:
        root = parse_bytes(data)
    except Exception as exc:  # any unreadable answer: the request may have been processed
        raise UnknownOutcomeError(f"antwoord van DUO is geen leesbare XML: {exc}") from None
    if root.tag != _q(SOAP_ENV, "Envelope"):
        raise UnknownOutcomeError("antwoord van DUO is geen SOAP-envelop")
    header = root.find(_q(SOAP_ENV, "Header"))
    body = root.find(_q(SOAP_ENV, "Body"))
    if body is None or len(body) != 1:
        raise UnknownOutcomeError("antwoord van DUO heeft geen Body met precies een document")
    action = _header_text(header, "Action")
    relates_to = _header_text(header, "RelatesTo")
    child = body[0]
    if child.tag == _q(SOAP_ENV, "Fault"):
        code = (child.findtext("faultcode") or "").strip()
        detail = child.find("detail")
        detail_child = detail[0] if detail is not None and len(detail) else None
        return Reply(action, relates_to, None, code or "soap:Server",
                     (child.findtext("faultstring") or "").strip(), detail_child)  # fmt: skip
    return Reply(action, relates_to, child, "", "", None)


def _header_text(header: etree._Element | None, local: str) -> str:
    if header is None:
        return ""
    return (header.findtext(_q(WSA, local)) or "").strip()


def fault_is_client(code: str) -> bool:
    """SOAP 1.1 faultcode ``Client`` (in any prefix): the request itself was refused."""
    return code.rsplit(":", 1)[-1].startswith("Client")
