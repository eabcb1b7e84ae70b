"""The simulator's HTTP application: the SOAP endpoint with fault injection, the WSDL and
schemas, and the admin API (``/_sim/...``). TLS and the client certificate are the server's job
(``server.py``, ``tls.py``); every route is behind the same two-way TLS.

``POST /verzuim/v1`` is a plain ASGI handler (``SimulatorApp`` sends it there before any router
or middleware: it carries every melding, and Starlette's middleware, router and Request and
Response objects are work it does not need); every other route, and the lifespan, is Starlette.

Routes:

- ``POST /verzuim/v1``: SOAP 1.1 (``endpoint.exchange``), with the faults of ``faults.py``;
- ``GET /verzuim/v1?wsdl``: the WSDL, its service address set to this server;
  ``GET /verzuim/<file>.xsd``: the schemas it imports;
- ``GET /_sim/health``; ``GET /_sim/meldingen`` (no BSN: the pupil is masked);
  ``POST /_sim/meldingen/{nummer}/status`` with ``{"status": "B|G|K", "reden": "..."}``;
  ``POST /_sim/faults`` with any of the fault settings; ``POST /_sim/tick`` applies the
  municipality's due steps now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.errors import ConfigError
from gateway.messages import xsd_dir
from gateway.model import DuoStatus
from gateway.simulator.duo import DuoService
from gateway.simulator.faults import Fault, FaultInjector
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.soap import CONTENT_TYPE
from gateway.simulator.store import SimulatorStore, StoredMelding
from gateway.simulator.tls import peer_oin, transport_of
from gateway.simulator.wssec import secured_exchange, simulator_security

log = logging.getLogger("gateway.simulator")

WSDL_PLACEHOLDER = "https://duo.verzuim-gateway.example/verzuim/v1"
_DISCONNECT_WAIT = 5.0


class Simulator:
    """The simulator's parts: options, store, DUO's operations and the fault injector."""

    def __init__(self, options: SimulatorOptions, store: SimulatorStore | None = None) -> None:
        self.options = options.checked()
        self.store = store or SimulatorStore(options.db)
        self.service = DuoService(self.store, self.options)
        self.faults = FaultInjector(self.options.faults, self.options.seed)
        self.security = simulator_security(self.options)


SOAP_PATH = "/verzuim/v1"


class SoapEndpoint:
    """``POST /verzuim/v1`` as a plain ASGI application (``_soap``)."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _soap(self.simulator, scope, receive, send)


class SimulatorApp:
    """The ASGI application of one simulator: ``POST /verzuim/v1`` goes straight to ``soap``,
    everything else (the WSDL, the schemas, the admin API, the lifespan) to the Starlette
    application ``routes`` (which routes ``POST /verzuim/v1`` to the same ``soap``)."""

    def __init__(self, soap: SoapEndpoint, routes: Starlette) -> None:
        self.soap = soap
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SOAP_PATH and scope["method"] == "POST":
            await self.soap(scope, receive, send)
        else:
            await self.routes(scope, receive, send)


def create_app(simulator: Simulator) -> SimulatorApp:
    """The ASGI application of one simulator."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_municipality(simulator))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    soap = SoapEndpoint(simulator)
    routes = Starlette(
        routes=[
            Route(SOAP_PATH, soap, methods=["POST"]),
            Route(SOAP_PATH, _wsdl, methods=["GET"]),
            Route("/verzuim/{name}", _schema, methods=["GET"]),
            Route("/_sim/health", _health, methods=["GET"]),
            Route("/_sim/meldingen", _meldingen, methods=["GET"]),
            Route("/_sim/meldingen/{nummer}/status", _status, methods=["POST"]),
            Route("/_sim/faults", _faults, methods=["POST"]),
            Route("/_sim/tick", _tick, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    routes.state.simulator = simulator
    return SimulatorApp(soap, routes)


async def _municipality(simulator: Simulator) -> None:
    """The municipality works in the background too, not only when a request comes in."""
    while True:
        await asyncio.sleep(simulator.options.tick_seconds)
        try:
            simulator.service.advance()
        except Exception as exc:  # keep the loop alive; never log values
            log.error("gemeente: stap mislukt: %s", type(exc).__name__)


def _sim(request: Request) -> Simulator:
    simulator = request.app.state.simulator
    assert isinstance(simulator, Simulator)
    return simulator


# ----- SOAP -----

_SOAP_HEADERS: list[tuple[bytes, bytes]] = [(b"content-type", CONTENT_TYPE.encode())]
_FAIL_BODY = b"simulator: fail-rate (niets verwerkt)"


async def _soap(simulator: Simulator, scope: Scope, receive: Receive, send: Send) -> None:
    """One SOAP request with the faults of ``faults.py`` (drawn before anything else).

    ``latency_ms`` is DUO's response time: every answer, faulty or not, leaves that long after
    its request arrived. The request is processed when it arrives, within that time, as DUO's
    own processing is part of its response time; only the rest is waited (``_respond_at``). So
    a melding is registered before its answer is on its way, as at DUO (a client that goes away
    meanwhile leaves an unknown outcome, the case drop-after-commit injects on purpose), and the
    simulator's own CPU time is not added on top of the latency it models.
    """
    arrived = asyncio.get_running_loop().time()
    fault = simulator.faults.draw()
    rates = simulator.faults.rates
    respond_at = arrived + rates.latency_ms / 1000
    transport = transport_of(scope)
    if fault is Fault.RESET:
        await _respond_at(respond_at)
        log.info("fout-injectie: verbinding verbroken voor verwerking")
        await _abort(transport, None, receive, send)
        return
    if fault is Fault.FAIL:
        await _respond_at(respond_at)
        log.info("fout-injectie: 503")
        await _answer(send, 503, _FAIL_BODY, b"text/plain; charset=utf-8")
        return
    data = await _body(receive)
    if data is None:
        log.info("soap: de client verbrak de verbinding voor het verzoek binnen was")
        return
    status, body = secured_exchange(  # profile 2W-be-S: verify, process, sign (wssec.py)
        simulator.security,
        simulator.service,
        data,
        _header(scope, b"soapaction"),
        peer_oin(transport),
    )
    await _respond_at(respond_at)
    if fault is Fault.TIMEOUT:
        log.info("fout-injectie: antwoord na %s s", rates.timeout_seconds)
        await asyncio.sleep(rates.timeout_seconds)
    elif fault is Fault.DROP:
        log.info("fout-injectie: verbinding verbroken na verwerking")
        await _abort(transport, (status, body[: len(body) // 2]), receive, send)
        return
    elif fault is Fault.MALFORMED:
        log.info("fout-injectie: kapot XML-antwoord na verwerking")
        body = body[: len(body) // 2]
    await _answer(send, status, body)


async def _respond_at(moment: float) -> None:
    """Wait until ``moment`` (the event loop's clock), if it has not passed yet."""
    delay = moment - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


async def _body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnected first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    """The first request header ``name`` (lower case, as ASGI gives them), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _answer(
    send: Send, status: int, body: bytes, content_type: bytes = CONTENT_TYPE.encode()
) -> None:
    """A complete answer with ``content-length`` and ``content-type``."""
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _abort(
    transport: asyncio.Transport | None,
    head: tuple[int, bytes] | None,
    receive: Receive,
    send: Send,
) -> None:
    """Close the connection on purpose: before any byte (``head`` None: a reset) or after the
    status line, headers and part of the body, chunked (a connection dropped after commit)."""
    if head is not None:
        status, partial = head
        await send({"type": "http.response.start", "status": status, "headers": _SOAP_HEADERS})
        await send({"type": "http.response.body", "body": partial, "more_body": True})
    if transport is None:  # not under our server: nothing to close, end the answer
        if head is None:
            await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    if head is None:
        transport.abort()
    else:
        transport.close()  # flushes what was written, then closes
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_DISCONNECT_WAIT):
            while (await receive())["type"] != "http.disconnect":
                pass


# ----- WSDL and schemas -----


async def _wsdl(request: Request) -> Response:
    if "wsdl" not in request.query_params:
        return PlainTextResponse("POST een SOAP-verzoek, of GET ?wsdl", status_code=405)
    text = (xsd_dir() / "verzuim-v1.wsdl").read_text(encoding="utf-8")
    address = f"{request.base_url}verzuim/v1"
    return Response(text.replace(WSDL_PLACEHOLDER, address), media_type=CONTENT_TYPE)


async def _schema(request: Request) -> Response:
    name = request.path_params["name"]
    files = {path.name: path for path in xsd_dir().glob("*.xsd")}
    if name not in files:
        return PlainTextResponse("onbekend schema", status_code=404)
    return Response(files[name].read_bytes(), media_type=CONTENT_TYPE)


# ----- admin API -----


async def _health(request: Request) -> Response:
    simulator = _sim(request)
    return JSONResponse(
        {
            "status": "ok",
            "meldingen": len(simulator.store.all()),
            "faults": asdict(simulator.faults.rates),
            "fault_counts": {fault.value: n for fault, n in simulator.faults.counts.items()},
            "dedupe": simulator.options.dedupe,
            "page_size": simulator.options.page_size,
        }
    )


async def _meldingen(request: Request) -> Response:
    simulator = _sim(request)
    simulator.service.advance()
    return JSONResponse([melding_json(melding) for melding in simulator.store.all()])


async def _status(request: Request) -> Response:
    simulator = _sim(request)
    nummer = request.path_params["nummer"]
    payload = await _json_object(request)
    if isinstance(payload, Response):
        return payload
    status, reden = payload.get("status"), payload.get("reden")
    if not isinstance(status, str) or (reden is not None and not isinstance(reden, str)):
        return _problem(400, "geef {'status': 'B|G|K', 'reden': '...'}")
    try:
        changed = simulator.service.set_status(nummer, DuoStatus(status), reden)
    except KeyError:
        return _problem(404, f"melding {nummer} bestaat niet")
    except ValueError as exc:
        code = 409 if "ingetrokken" in str(exc) else 400
        return _problem(code, str(exc))
    return JSONResponse(melding_json(changed))


async def _faults(request: Request) -> Response:
    simulator = _sim(request)
    payload = await _json_object(request)
    if isinstance(payload, Response):
        return payload
    try:
        rates = simulator.faults.update(payload)
    except ConfigError as exc:
        return _problem(400, str(exc))
    log.info("fout-injectie aangepast: %s", asdict(rates))
    return JSONResponse(asdict(rates))


async def _tick(request: Request) -> Response:
    return JSONResponse({"stappen": _sim(request).service.advance()})


def melding_json(melding: StoredMelding) -> dict[str, Any]:
    """A melding for the admin API: no BSN or onderwijsnummer, only a masked form."""
    return {
        "nummer": melding.nummer,
        "document_id": melding.document_id,
        "brin": melding.brin,
        "leerling": mask_identity(melding.bsn, melding.onderwijsnummer),
        "leerlingnummer": melding.leerlingnummer,
        "code": melding.code.value,
        "herhaal": melding.herhaal,
        "begindatum": melding.begindatum.isoformat(),
        "einddatum": melding.einddatum.isoformat() if melding.einddatum else None,
        "status": melding.status.value,
        "reden_afsluiting": melding.reden_afsluiting,
        "reden_intrekking": melding.reden_intrekking,
        "geregistreerd_op": melding.geregistreerd_op.isoformat(),
        "gewijzigd_op": melding.gewijzigd_op.isoformat(),
        "registraties": melding.registraties,
    }


def mask_identity(bsn: str, onderwijsnummer: str) -> str:
    """``bsn:******333`` or ``onderwijsnummer:******503``: enough to tell pupils apart in a
    test, never the number itself."""
    kind, value = ("bsn", bsn) if bsn else ("onderwijsnummer", onderwijsnummer)
    return f"{kind}:{'*' * max(0, len(value) - 3)}{value[-3:]}"


async def _json_object(request: Request) -> dict[str, object] | Response:
    try:
        payload = await request.json()
    except ValueError:
        return _problem(400, "verwacht een JSON-object")
    if not isinstance(payload, dict):
        return _problem(400, "verwacht een JSON-object")
    return payload


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
