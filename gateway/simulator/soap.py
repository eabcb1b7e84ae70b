"""SOAP 1.1 envelopes with WS-Addressing 1.0 headers, as the simulator reads and writes them
(DOMAIN.md 3.4: document/literal, UTF-8, ``SOAPAction`` equals ``wsa:Action``).

A request::

    <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
                   xmlns:wsa="http://www.w3.org/2005/08/addressing">
      <soap:Header>
        <wsa:Action>http://verzuim-gateway.example/duo/verzuim/v1/MeldenRelatiefVerzuim</wsa:Action>
        <wsa:MessageID>urn:uuid:...</wsa:MessageID>
        <wsa:To>...</wsa:To>  <wsa:From>...</wsa:From>  <wsa:ReplyTo>...</wsa:ReplyTo> (optional)
      </soap:Header>
      <soap:Body><vz:MeldenRelatiefVerzuim>...</vz:MeldenRelatiefVerzuim></soap:Body>
    </soap:Envelope>

An answer carries ``wsa:Action`` (the operation's action + ``/DC0018``, ``/DC0001``,
``/DC0011``, or ``/DC0002`` for a fault, as the WSDL declares), a new ``wsa:MessageID``,
``wsa:RelatesTo`` (the request's MessageID) and ``wsa:To`` (anonymous). A fault is a SOAP 1.1
``soap:Fault`` with ``faultcode`` (``soap:Client`` or ``soap:Server``), ``faultstring`` and,
for a Client fault, a ``detail`` holding the DC0002 ``Foutmelding``; it is sent with HTTP 500.

Everything is parsed through the one safe parser (``gateway.xml``); nothing quotes a value of
the body in a fault string (schema messages name the path, never the value).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Final

from lxml import etree

from gateway.errors import MessageError, UnsafeXmlError
from gateway.messages.namespaces import ACTIONS, NS_VERZUIM
from gateway.simulator import codes
from gateway.xml import parse_bytes

NS_SOAP: Final = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA: Final = "http://www.w3.org/2005/08/addressing"
WSA_ANONYMOUS: Final = NS_WSA + "/anonymous"
WSA_FAULT_ACTION: Final = NS_WSA + "/soap/fault"
ANSWER_SUFFIX: Final = {
    "MeldenRelatiefVerzuim": "DC0018",
    "MutatieMeldingRelatiefVerzuim": "DC0001",
    "AanvraagGewijzigdeMeldingRelatiefVerzuim": "DC0011",
}
"""The answer document code of each operation (the WSDL's output ``wsam:Action`` suffix)."""
FAULT_SUFFIX: Final = "DC0002"
"""The suffix of a fault's action: the WSDL's ``wsdl:fault`` action, ``<operation>/DC0002``."""
CONTENT_TYPE: Final = "text/xml; charset=utf-8"


def _soap(local: str) -> str:
    return f"{{{NS_SOAP}}}{local}"


def _wsa(local: str) -> str:
    return f"{{{NS_WSA}}}{local}"


_SOAP_ENVELOPE, _SOAP_HEADER, _SOAP_BODY = _soap("Envelope"), _soap("Header"), _soap("Body")
_WSA_ACTION, _WSA_MESSAGE_ID, _WSA_TO = _wsa("Action"), _wsa("MessageID"), _wsa("To")
_WSA_HEADERS = (_WSA_ACTION, _WSA_MESSAGE_ID, _WSA_TO)


class SoapError(Exception):
    """The envelope cannot be processed: answered with a Client fault (or VersionMismatch)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        operation: str | None = None,
        message_id: str | None = None,
        element: str = "",
        faultcode: str = "soap:Client",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.operation = operation
        self.message_id = message_id
        self.element = element
        self.faultcode = faultcode


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """A request envelope whose headers were checked: the operation, its WS-Addressing
    headers and the Body's document (not yet validated against the schema)."""

    operation: str
    action: str
    message_id: str
    to: str | None
    body: etree._Element


def read_envelope(data: bytes, soap_action: str | None) -> SoapRequest:
    """Parse and check a request envelope; ``SoapError`` says what is wrong.

    ``soap_action`` is the HTTP ``SOAPAction`` header (quotes allowed) or None when absent.
    """
    try:
        root = parse_bytes(data)
    except (UnsafeXmlError, MessageError) as exc:
        raise SoapError(codes.XML_ONGELDIG, f"XML geweigerd: {exc}") from None
    if root.tag == f"{{{NS_SOAP12}}}Envelope":
        raise SoapError(
            codes.GEEN_ENVELOP,
            "SOAP 1.2 wordt niet ondersteund; gebruik SOAP 1.1",
            faultcode="soap:VersionMismatch",
        )
    if root.tag != _SOAP_ENVELOPE:
        raise SoapError(codes.GEEN_ENVELOP, "geen SOAP 1.1-envelop (/Envelope verwacht)")
    header, body = _first_children(root, _SOAP_HEADER, _SOAP_BODY)
    headers = {} if header is None else _first_by_tag(header, _WSA_HEADERS)
    message_id = _text(headers.get(_WSA_MESSAGE_ID))
    documents = [] if body is None else [child for child in body if isinstance(child.tag, str)]
    if len(documents) != 1:
        raise SoapError(
            codes.GEEN_ENVELOP,
            "/Envelope/Body moet precies één verzoekdocument bevatten",
            message_id=message_id,
        )
    document = documents[0]
    qname = etree.QName(document)
    operation = qname.localname if qname.namespace == NS_VERZUIM else None
    if operation not in ACTIONS:
        raise SoapError(
            codes.GEEN_ENVELOP,
            f"/Envelope/Body/{qname.localname}: geen verzoek van de machinekoppeling",
            message_id=message_id,
        )
    action = _text(headers.get(_WSA_ACTION))
    expected = ACTIONS[operation]
    if not action:
        raise SoapError(
            codes.ACTION,
            "/Envelope/Header/Action ontbreekt (WS-Addressing)",
            operation=operation,
            message_id=message_id,
            element="Action",
        )
    if action != expected:
        raise SoapError(
            codes.ACTION,
            f"/Envelope/Header/Action is {action!r}, verwacht {expected!r} voor {operation}",
            operation=operation,
            message_id=message_id,
            element="Action",
        )
    if not message_id:
        raise SoapError(
            codes.MESSAGE_ID,
            "/Envelope/Header/MessageID ontbreekt (WS-Addressing)",
            operation=operation,
            element="MessageID",
        )
    if soap_action is not None and soap_action.strip().strip('"') not in ("", action):
        raise SoapError(
            codes.SOAP_ACTION,
            "HTTP-header SOAPAction is niet gelijk aan wsa:Action",
            operation=operation,
            message_id=message_id,
            element="SOAPAction",
        )
    return SoapRequest(
        operation=operation,
        action=action,
        message_id=message_id,
        to=_text(headers.get(_WSA_TO)),
        body=document,
    )


def answer_action(operation: str, document: str | None = None) -> str:
    """The ``wsa:Action`` of an answer: ``<operation action>/DC00nn`` (the WSDL's output or
    fault action)."""
    return f"{ACTIONS[operation]}/{document or ANSWER_SUFFIX[operation]}"


def envelope(body: etree._Element, *, action: str, relates_to: str | None) -> bytes:
    """An answer envelope around ``body`` with ``Action``, a new ``MessageID``, ``RelatesTo``
    and ``To`` (anonymous)."""
    root, soap_body = _skeleton(action, relates_to)
    soap_body.append(body)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def fault(
    *,
    faultcode: str,
    faultstring: str,
    action: str,
    relates_to: str | None,
    detail: etree._Element | None = None,
) -> bytes:
    """A SOAP 1.1 fault envelope; ``detail`` (a DC0002 ``Foutmelding``) goes into ``detail``."""
    root, soap_body = _skeleton(action, relates_to)
    node = etree.SubElement(soap_body, _soap("Fault"))
    etree.SubElement(node, "faultcode").text = faultcode
    etree.SubElement(node, "faultstring").text = faultstring
    if detail is not None:
        etree.SubElement(node, "detail").append(detail)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _skeleton(action: str, relates_to: str | None) -> tuple[etree._Element, etree._Element]:
    """A copy of the answer envelope's skeleton with ``Action``, a new ``MessageID`` and
    ``RelatesTo`` filled in; returns it and its Body. (Copying a built tree costs a fifth of
    building it element by element with its namespace map.)"""
    root = copy.deepcopy(_SKELETONS[bool(relates_to)])
    header = root[0]
    header[0].text = action
    header[1].text = f"urn:uuid:{uuid.uuid4()}"
    if relates_to:
        header[2].text = relates_to
    return root, root[1]


def _new_skeleton(with_relates_to: bool) -> etree._Element:
    """``Envelope`` with ``Header`` (``Action``, ``MessageID``, ``RelatesTo`` when asked, ``To``
    anonymous) and an empty ``Body``; the texts of the first three are filled in per answer."""
    root = etree.Element(_SOAP_ENVELOPE, nsmap={"soap": NS_SOAP, "wsa": NS_WSA})
    header = etree.SubElement(root, _SOAP_HEADER)
    etree.SubElement(header, _WSA_ACTION)
    etree.SubElement(header, _WSA_MESSAGE_ID)
    if with_relates_to:
        etree.SubElement(header, _wsa("RelatesTo"))
    etree.SubElement(header, _WSA_TO).text = WSA_ANONYMOUS
    etree.SubElement(root, _SOAP_BODY)
    return root


_SKELETONS: Final = {False: _new_skeleton(False), True: _new_skeleton(True)}


def _first_children(parent: etree._Element, *tags: str) -> tuple[etree._Element | None, ...]:
    """The first child of each of ``tags`` (None where there is none), in one pass."""
    found = _first_by_tag(parent, tags)
    return tuple(found.get(tag) for tag in tags)


def _first_by_tag(parent: etree._Element, tags: tuple[str, ...]) -> dict[str, etree._Element]:
    """The first child of each of ``tags`` that ``parent`` has, by tag, in one pass."""
    found: dict[str, etree._Element] = {}
    for child in parent.iterchildren(*tags):
        found.setdefault(str(child.tag), child)
    return found


def _text(node: etree._Element | None) -> str | None:
    """All text of a header element, stripped; None when missing or empty."""
    if node is None:
        return None
    text = "".join(node.itertext()).strip()
    return text or None
