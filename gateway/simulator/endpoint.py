"""One SOAP exchange of the simulator, without HTTP: request bytes in, (HTTP status, answer bytes)
out (DOMAIN.md 3.1, 3.4).

Order of checks: safe parse and envelope (``soap.read_envelope``: WS-Addressing ``Action`` and
``MessageID``, ``SOAPAction``), schema validation of the Body's document
(``gateway.messages.request_from_element``), then DUO's business rules (``duo.DuoService``).
Every refusal is a ``soap:Client`` fault with a DC0002 ``Foutmelding`` as detail; an unexpected
error is a ``soap:Server`` fault (transient) whose text names only the exception type.
"""

from __future__ import annotations

import logging
import re
import uuid

from lxml import etree

from gateway.errors import MessageError
from gateway.messages import Fout, build_foutmelding, request_from_element
from gateway.messages.namespaces import q
from gateway.pki import brin_of_oin
from gateway.simulator import codes
from gateway.simulator.duo import DuoService, RejectedError
from gateway.simulator.soap import (
    FAULT_SUFFIX,
    WSA_FAULT_ACTION,
    SoapError,
    answer_action,
    envelope,
    fault,
    read_envelope,
)
from gateway.simulator.store import from_micros

log = logging.getLogger("gateway.simulator")

_INSTANTIECODE = re.compile(r"[0-9]{2}[A-Z0-9]{2}([0-9]{2})?|[0-9]{20}|DUO")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TEXT_LIMIT = 3000
_ELEMENT_LIMIT = 200


def exchange(
    service: DuoService, data: bytes, soap_action: str | None, oin: str | None
) -> tuple[int, bytes]:
    """Process one SOAP request; return the HTTP status (200, or 500 for a fault) and body."""
    try:
        soap_request = read_envelope(data, soap_action)
    except SoapError as exc:
        log.info("soap: geweigerd %s", exc.code)
        action = answer_action(exc.operation, FAULT_SUFFIX) if exc.operation else WSA_FAULT_ACTION
        detail = _foutmelding(service, exc.code, exc.message, exc.element, None, oin)
        return 500, fault(
            faultcode=exc.faultcode,
            faultstring=exc.message,
            action=action,
            relates_to=exc.message_id,
            detail=detail,
        )
    operation, relates_to = soap_request.operation, soap_request.message_id
    fault_action = answer_action(operation, FAULT_SUFFIX)
    try:
        request = request_from_element(soap_request.body)
    except MessageError as exc:
        log.info("soap: %s voldoet niet aan het schema", operation)
        text = str(exc)
        element = exc.issues[0].path if exc.issues else ""
        detail = _foutmelding(service, codes.SCHEMA, text, element, soap_request.body, oin)
        return 500, fault(
            faultcode="soap:Client",
            faultstring=text,
            action=fault_action,
            relates_to=relates_to,
            detail=detail,
        )
    try:
        answer = service.handle(request, oin)
    except RejectedError as exc:
        log.info("soap: %s afgewezen %s", operation, ",".join(f.code for f in exc.fouten))
        detail = build_foutmelding(
            fouten=exc.fouten,
            receiver=_receiver(soap_request.body, oin),
            document_id=uuid.uuid4(),
            now=from_micros(service.store.now()),
            verzoek_id=request.kop.document_id,
        )
        return 500, fault(
            faultcode="soap:Client",
            faultstring=str(exc),
            action=fault_action,
            relates_to=relates_to,
            detail=detail,
        )
    except Exception as exc:  # the server boundary: a Server fault, never a traceback
        log.error("soap: interne fout bij %s: %s", operation, type(exc).__name__)
        return 500, fault(
            faultcode="soap:Server",
            faultstring=f"interne fout van de simulator ({type(exc).__name__}); probeer later",
            action=WSA_FAULT_ACTION,
            relates_to=relates_to,
        )
    return 200, envelope(answer, action=answer_action(operation), relates_to=relates_to)


def _foutmelding(
    service: DuoService,
    code: str,
    text: str,
    element: str,
    body: etree._Element | None,
    oin: str | None,
) -> etree._Element | None:
    """A DC0002 for a request that could not be read; None if even that cannot be built."""
    document_id = body.findtext(q("IdentificatiecodeBedrijfsdocument")) if body is not None else ""
    try:
        return build_foutmelding(
            fouten=[Fout(code, text[:_TEXT_LIMIT], element[:_ELEMENT_LIMIT])],
            receiver=_receiver(body, oin),
            document_id=uuid.uuid4(),
            now=from_micros(service.store.now()),
            verzoek_id=document_id if document_id and _UUID.fullmatch(document_id) else None,
        )
    except MessageError:
        return None


def _receiver(body: etree._Element | None, oin: str | None) -> str:
    """Whom the DC0002 is for: the request's sender when readable, else the BRIN of the
    certificate's OIN, else ``DUO`` (the schema needs some Instantiecode)."""
    sender = body.findtext(q("VerzendendeInstantie")) if body is not None else None
    if sender and _INSTANTIECODE.fullmatch(sender):
        return sender
    if oin and _INSTANTIECODE.fullmatch(oin):
        return oin
    brin = brin_of_oin(oin) if oin else None
    return brin or "DUO"
