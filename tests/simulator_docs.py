"""Request documents and answer readers for the simulator tests (built with the message layer,
read back through the safe parser)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

import httpx
from builders import VALID_BSN, school, student
from lxml import etree

from gateway.messages import (
    Answer,
    Intrekking,
    MeldingInhoud,
    MeldingMutatie,
    RedenIntrekking,
    answer_from_element,
    build_aanvraag,
    build_intrekking,
    build_melden,
    build_mutatie,
)
from gateway.model import Eenheid, Melding, Soort, VerzuimDag, WireCode
from gateway.simulator.soap import NS_SOAP, NS_WSA
from gateway.xml import parse_bytes

D = dt.date
SCHOOL = school()
ONDERWIJSNUMMER = "101234503"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def melden(
    *,
    bsn: str = VALID_BSN,
    onderwijsnummer: str = "",
    code: WireCode = WireCode.V3,
    begindatum: dt.date = D(2024, 9, 2),
    einddatum: dt.date | str | None = "begin+2",
    document_id: uuid.UUID | None = None,
) -> etree._Element:
    if isinstance(einddatum, str):
        einddatum = begindatum + dt.timedelta(days=2)
    melding = Melding(
        leerlingnummer="231045",
        soort=Soort.ZESTIEN_UUR if code in (WireCode.V3, WireCode.V4) else Soort.LRV,
        code=code,
        begindatum=begindatum,
        einddatum=einddatum,
        eenheid=Eenheid.LESUREN,
        uren=18.0,
        uiterste_meldingsdatum=None,
        regels=("R-16U",),
        dagen=(VerzuimDag(begindatum, True, (), 6.0),),
    )
    pupil = student(bsn=bsn)
    if onderwijsnummer:
        pupil = replace(pupil, bsn="", onderwijsnummer=onderwijsnummer)
    inhoud = MeldingInhoud("Ongeoorloofd verzuim", "Mentor heeft gebeld.")
    return build_melden(
        melding, pupil, SCHOOL, inhoud, document_id=document_id or uuid.uuid4(), now=now()
    )


def mutatie(nummer: str, einddatum: dt.date | None = D(2024, 9, 6)) -> etree._Element:
    change = MeldingMutatie(nummer=nummer, einddatum=einddatum)
    return build_mutatie(change, SCHOOL, document_id=uuid.uuid4(), now=now())


def intrekking(nummer: str, reden: RedenIntrekking = RedenIntrekking.ONTERECHT) -> etree._Element:
    withdrawal = Intrekking(nummer=nummer, reden=reden)
    return build_intrekking(withdrawal, SCHOOL, document_id=uuid.uuid4(), now=now())


def aanvraag(selectiemoment: dt.datetime = EPOCH) -> etree._Element:
    return build_aanvraag(SCHOOL, selectiemoment, document_id=uuid.uuid4(), now=now())


@dataclass(frozen=True)
class SoapAnswer:
    """A parsed answer envelope: WS-Addressing headers and either the answer or the fault."""

    status_code: int
    action: str
    message_id: str
    relates_to: str
    answer: Answer | None
    faultcode: str | None = None
    faultstring: str | None = None
    detail: Answer | None = None


def read(response: httpx.Response) -> SoapAnswer:
    root = parse_bytes(response.content)
    assert root.tag == f"{{{NS_SOAP}}}Envelope"
    header = root.find(f"{{{NS_SOAP}}}Header")
    assert header is not None

    def wsa(name: str) -> str:
        return header.findtext(f"{{{NS_WSA}}}{name}") or ""

    body = root.find(f"{{{NS_SOAP}}}Body")
    assert body is not None
    document = body[0]
    common = {
        "status_code": response.status_code,
        "action": wsa("Action"),
        "message_id": wsa("MessageID"),
        "relates_to": wsa("RelatesTo"),
    }
    if document.tag == f"{{{NS_SOAP}}}Fault":
        detail = document.find("detail")
        return SoapAnswer(
            **common,  # type: ignore[arg-type]
            answer=None,
            faultcode=document.findtext("faultcode"),
            faultstring=document.findtext("faultstring"),
            detail=answer_from_element(detail[0]) if detail is not None and len(detail) else None,
        )
    return SoapAnswer(**common, answer=answer_from_element(document))  # type: ignore[arg-type]
