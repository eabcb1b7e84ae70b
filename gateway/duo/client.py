"""The DUO client: one request, one classified outcome (DOMAIN.md 3.1, 3.4).

Every call ends in a typed answer (DC0018, DC0001, DC0011) or one of the transport errors of
``gateway.errors``, which decide what the outbox does next:

- connection refused or timed out before sending, HTTP 503, SOAP Fault ``Server``:
  ``TransientError``, retry later;
- DC0002 Foutmelding (SOAP Fault ``Client``): ``RejectedError``, final;
- read timeout, connection dropped, unreadable or invalid answer, wrong ``RelatesTo``:
  ``UnknownOutcomeError``, reconcile before anything is sent again;
- TLS handshake refused, untrusted server certificate: ``SecurityError``, stop and report;
- profile 2W-be-S: every request signed and every readable answer verified
  (``gateway.duo.wssecurity``); a failed check is a ``SecurityError`` too.

Short retries of transient errors happen here (tenacity); long-term backoff lives in the outbox.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import uuid
from pathlib import Path
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from gateway.duo.envelope import Addressing, fault_is_client, read_reply, request_envelope
from gateway.duo.http11 import (
    ConnectError,
    Connection,
    ConnectTimeoutError,
    Endpoint,
    ExchangeError,
    ExchangeTimeoutError,
    HttpResponse,
)
from gateway.duo.wssecurity import WsSecurity
from gateway.errors import (
    MessageError,
    RejectedError,
    SecurityError,
    TransientError,
    UnknownOutcomeError,
)
from gateway.messages import (
    Answer,
    Bevestiging,
    Foutmelding,
    LeveringMeldingen,
    LeveringNummer,
    answer_from_element,
    build_aanvraag,
)
from gateway.messages.namespaces import ACTIONS, OP_AANVRAAG, OP_MELDEN, OP_MUTATIE
from gateway.model import SchoolConfig
from gateway.xml import to_bytes

OPERATIONS = {"melden": OP_MELDEN, "mutatie": OP_MUTATIE, "intrekken": OP_MUTATIE}
_EXPECTED: dict[str, tuple[type, ...]] = {
    OP_MELDEN: (LeveringNummer,),
    OP_MUTATIE: (Bevestiging,),
    OP_AANVRAAG: (LeveringMeldingen,),
}
A = TypeVar("A")
#: Short in-call retries of transient errors: 0.2 s, 0.4 s, ... at most 2 s apart.
_RETRY_WAIT = wait_exponential(multiplier=0.2, max=2.0)


def tls_context(
    client_cert: Path,
    client_key: Path,
    trust_bundle: Path,
    password: str | None = None,
    crl_file: Path | None = None,
) -> ssl.SSLContext:
    """Two-way TLS (DOMAIN.md 3.4): TLS 1.2 at least (1.3 when the server offers it: OpenSSL
    picks the highest common version), the server checked against the explicit trust bundle
    only (never the system store), host name checked, our certificate presented. With
    ``crl_file`` (a PEM CRL of the server certificate's issuer) the server certificate is also
    checked for revocation."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(cafile=str(trust_bundle))
    if crl_file is not None:
        context.load_verify_locations(cafile=str(crl_file))
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    context.load_cert_chain(str(client_cert), str(client_key), password=password)
    return context


class DuoClient:
    """Sends stored request documents to DUO's endpoint.

    Connections are kept in *lanes*: at most one keep-alive connection per lane, as many lanes
    as ``max_connections``, all sharing one ``ssl.SSLContext``. A request takes a free lane,
    opens its connection when there is none (or the old one is no longer usable) and gives the
    lane back. The HTTP exchange itself is ``gateway.duo.http11`` (a lean HTTP/1.1 POST on the
    event loop's own TLS transport): httpx's client cost more CPU per request than everything
    else the sender does (``benchmarks/sender.py``).
    """

    def __init__(
        self,
        endpoint: str,
        oin: str,
        context: ssl.SSLContext,
        timeout_seconds: float = 30.0,
        connect_timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        max_connections: int = 16,
        security: WsSecurity | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.oin = oin
        self.security = security  # profile 2W-be-S: sign requests, verify answers
        self.max_attempts = max(1, max_attempts)
        self._target = Endpoint.parse(endpoint)
        self._context = context
        self._timeout = timeout_seconds
        self._connect_timeout = connect_timeout_seconds
        self._lanes = [_Lane() for _ in range(max(1, max_connections))]
        self._free: asyncio.Queue[_Lane] = asyncio.Queue()
        for lane in self._lanes:
            self._free.put_nowait(lane)

    async def __aenter__(self) -> DuoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for lane in self._lanes:
            lane.close()
        await asyncio.sleep(0)  # let the transports start closing

    async def send(self, operation: str, document: bytes) -> Answer:
        """Send a stored ``melden``/``mutatie``/``intrekken`` document; short retries of
        transient errors only (the first try runs without tenacity's machinery)."""
        soap_operation = OPERATIONS[operation]
        try:
            return await self._call(soap_operation, document)
        except TransientError:
            if self.max_attempts == 1:
                raise
        # the remaining attempts, with backoff (tenacity's first wait, then its own)
        await asyncio.sleep(_RETRY_WAIT.multiplier)
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts - 1),
            wait=_RETRY_WAIT,
            retry=retry_if_exception_type(TransientError),
            reraise=True,
        ):
            with attempt:
                return await self._call(soap_operation, document)
        raise AssertionError("unreachable")  # pragma: no cover

    async def changes(
        self, school: SchoolConfig, since: dt.datetime, now: dt.datetime
    ) -> LeveringMeldingen:
        """One page of ``AanvraagGewijzigdeMeldingRelatiefVerzuim`` (DC0011) from ``since``."""
        document = to_bytes(build_aanvraag(school, since, document_id=uuid.uuid4(), now=now))
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=_RETRY_WAIT,
            retry=retry_if_exception_type((TransientError, UnknownOutcomeError)),
            reraise=True,
        ):
            with attempt:
                answer = await self._call(OP_AANVRAAG, document)
                assert isinstance(answer, LeveringMeldingen)
                return answer
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call(self, operation: str, document: bytes) -> Answer:
        action = ACTIONS[operation]
        addressing = Addressing.new(action, self.endpoint, self.oin)
        envelope = request_envelope(document, addressing)
        signed = self.security.sign_request(envelope) if self.security else None
        response = await self._post(signed.envelope if signed else envelope, action)
        if response.status_code == 503:
            raise TransientError("DUO is tijdelijk niet beschikbaar (HTTP 503)")
        reply = read_reply(response.content)
        if self.security is not None and signed is not None:
            self.security.verify_reply(response.content, signed)  # WsSecurityError: security
        if reply.relates_to != addressing.message_id:
            raise UnknownOutcomeError(
                "antwoord hoort niet bij dit verzoek (wsa:RelatesTo wijkt af)"
            )
        if reply.is_fault:
            raise _fault_error(reply.fault_code, reply.fault_string, reply.fault_detail)
        if response.status_code != 200 or reply.body is None:
            raise UnknownOutcomeError(f"onverwacht antwoord van DUO (HTTP {response.status_code})")
        try:
            answer = answer_from_element(reply.body)
        except MessageError as exc:
            raise UnknownOutcomeError(f"antwoord van DUO is niet geldig: {exc}") from None
        if isinstance(answer, Foutmelding):
            raise _rejected(answer)
        if not isinstance(answer, _EXPECTED[operation]):
            raise UnknownOutcomeError(f"DUO antwoordde {type(answer).__name__} op {operation}")
        return answer

    async def _post(self, envelope: bytes, action: str) -> HttpResponse:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        lane = await self._free.get()
        try:
            connection = await lane.connection(self._target, self._context, self._connect_timeout)
            return await connection.post(self._target, headers, envelope, self._timeout)
        except ConnectError as exc:
            if _is_tls_failure(exc):
                raise SecurityError(f"TLS-verbinding met DUO geweigerd: {_reason(exc)}") from None
            raise TransientError(f"geen verbinding met DUO: {_reason(exc)}") from None
        except ExchangeError as exc:
            if _is_tls_failure(exc):  # TLS 1.3: a refused client certificate shows on read
                raise SecurityError(f"TLS-verbinding met DUO geweigerd: {_reason(exc)}") from None
            raise UnknownOutcomeError(
                f"verbinding met DUO verbroken na verzenden: {_reason(exc)}"
            ) from None
        finally:
            self._free.put_nowait(lane)


class _Lane:
    """A slot for one keep-alive connection."""

    __slots__ = ("_connection",)

    def __init__(self) -> None:
        self._connection: Connection | None = None

    async def connection(
        self, endpoint: Endpoint, context: ssl.SSLContext, timeout: float
    ) -> Connection:
        current = self._connection
        if current is not None and current.usable:
            return current
        if current is not None:
            current.close()
            self._connection = None
        self._connection = await Connection.open(endpoint, context, timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _fault_error(
    code: str, text: str, detail: object
) -> RejectedError | TransientError | UnknownOutcomeError:
    """DC0002 in a Client fault is final; other Client faults too; Server faults are transient."""
    if not fault_is_client(code):
        return TransientError(f"SOAP Fault {code}: {text}")
    if detail is not None:
        try:
            answer = answer_from_element(detail)  # type: ignore[arg-type]
        except MessageError as exc:
            return UnknownOutcomeError(f"foutmelding van DUO is niet geldig: {exc}")
        if isinstance(answer, Foutmelding):
            return _rejected(answer)
    return RejectedError((("SOAP-Client", text or "verzoek geweigerd"),))


def _rejected(answer: Foutmelding) -> RejectedError:
    return RejectedError(tuple((fout.code, fout.omschrijving) for fout in answer.fouten))


def _is_tls_failure(exc: Exception) -> bool:
    """A TLS refusal somewhere in the chain. A timeout is never one: its context holds the
    ``SSLWantReadError`` the TLS stream was waiting on, which is flow control, not a failure."""
    if isinstance(exc, ExchangeTimeoutError | ConnectTimeoutError):
        return False
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError) and not isinstance(
            cause, ssl.SSLWantReadError | ssl.SSLWantWriteError
        ):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
