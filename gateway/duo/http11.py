"""A lean HTTP/1.1 POST over keep-alive TLS connections, for the DUO client (DOMAIN.md 3.4).

The DUO client only ever POSTs one SOAP document and reads one answer. httpx (httpcore over anyio
and h11, with TLS through a Python memory BIO) cost about 2 ms of CPU per request on this
project's 2-core machines: more than everything else the sender does for a melding together
(``benchmarks/sender.py``). This module does the same exchange with an ``asyncio.Protocol`` on
``loop.create_connection(ssl=context)``, so TLS runs in the event loop's own transport (C code
under uvloop, see ``gateway.aio``) and the answer is framed with a few byte searches.

Each ``Connection`` carries one request at a time. Its outcome is one of:

- an ``HttpResponse`` (status, headers, body);
- ``ConnectError`` / ``ConnectTimeoutError``: nothing was sent (refused, no route, TLS handshake
  refused: the ``ssl.SSLError`` is chained as ``__cause__``);
- ``ExchangeError`` / ``ExchangeTimeoutError``: the request may have left (write or read failed,
  the peer closed the connection before the whole answer, an answer we cannot frame, no answer
  within the read timeout): an unknown outcome that must be reconciled, never resent blindly.

A connection is reused only when its previous answer was read completely, nothing more arrived,
the server did not ask to close it, and the server has not closed it while it was idle; an idle
connection the server dropped is never used for a new request.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024


class HttpError(Exception):
    """The base of this module's errors; the cause (``__cause__``) is kept for diagnosis."""


class ConnectError(HttpError):
    """No connection (refused, unreachable, TLS handshake refused): nothing was sent."""


class ConnectTimeoutError(ConnectError):
    """The connection or its TLS handshake took longer than the connect timeout."""


class ExchangeError(HttpError):
    """The connection broke or the answer could not be read: the request may have been processed."""


class ExchangeTimeoutError(ExchangeError):
    """No complete answer within the read timeout: the request may have been processed."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to POST: scheme, host, port and the request target (path and query)."""

    scheme: str
    host: str
    port: int
    target: str

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"geen http(s)-adres: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, target)

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete answer: status code, headers (lower-cased names) and the whole body."""

    status_code: int
    headers: dict[str, str]
    content: bytes


class _FramingError(Exception):
    """The answer is not HTTP/1.1 as we can read it."""


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``post`` sends a request and waits for its whole answer."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[HttpResponse] | None = None
        self._lost = False
        self._eof = False
        self._reusable = False
        self._head: tuple[int, dict[str, str], int, int | None, bool] | None = None

    # -- opening and state --

    @classmethod
    async def open(
        cls, endpoint: Endpoint, context: ssl.SSLContext | None, timeout: float
    ) -> Connection:
        """Connect (and shake hands, for https) within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        connection = cls()
        tls = context if endpoint.scheme == "https" else None
        try:
            await asyncio.wait_for(
                loop.create_connection(
                    lambda: connection,
                    endpoint.host,
                    endpoint.port,
                    ssl=tls,
                    server_hostname=endpoint.host if tls is not None else None,
                ),
                timeout,
            )
        except TimeoutError:
            raise ConnectTimeoutError("verbinden duurde te lang") from None
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(f"verbinden mislukt: {_describe(exc)}") from exc
        return connection

    @property
    def usable(self) -> bool:
        """Open, idle, and the last answer left it fit for another request."""
        transport = self._transport
        return (
            transport is not None
            and not transport.is_closing()
            and not self._lost
            and not self._eof
            and self._waiter is None
            and not self._buffer
            and self._reusable
        )

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    # -- asyncio.Protocol --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self._reusable = True

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        waiter = self._waiter
        if waiter is None or waiter.done():
            return  # bytes outside an exchange: the connection is not reused (``usable``)
        try:
            response = self._frame(final=False)
        except _FramingError as exc:
            waiter.set_exception(ExchangeError(f"onleesbaar antwoord: {exc}"))
            return
        if response is not None:
            waiter.set_result(response)

    def eof_received(self) -> bool:
        self._eof = True
        self._settle_at_end(None)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._settle_at_end(exc)

    def _settle_at_end(self, exc: Exception | None) -> None:
        """The peer closed: an answer framed by the end of the connection is complete now;
        anything else is a broken exchange."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        try:
            response = self._frame(final=True)
        except _FramingError as problem:
            response = None
            exc = exc or problem
        if response is not None:
            waiter.set_result(response)
            return
        error = ExchangeError(
            "verbinding verbroken voor het hele antwoord"
            + (f": {_describe(exc)}" if exc is not None else "")
        )
        error.__cause__ = exc
        waiter.set_exception(error)

    # -- one exchange --

    async def post(
        self, endpoint: Endpoint, headers: dict[str, str], body: bytes, timeout: float
    ) -> HttpResponse:
        """POST ``body`` and return the whole answer within ``timeout`` seconds."""
        if not self.usable:
            raise ExchangeError("verbinding niet bruikbaar")
        assert self._transport is not None
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[HttpResponse] = loop.create_future()
        self._waiter = waiter
        self._head = None
        self._reusable = False
        lines = [f"POST {endpoint.target} HTTP/1.1", f"Host: {endpoint.host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            self._transport.write(head + body)
            return await waiter
        except ExchangeError:
            self.abort()
            raise
        except (OSError, ssl.SSLError) as exc:
            self.abort()
            raise ExchangeError(f"verzenden mislukt: {_describe(exc)}") from exc
        except asyncio.CancelledError:
            self.abort()  # a half-read answer must not be taken for the next request's
            raise
        finally:
            timer.cancel()
            self._waiter = None

    def _frame(self, final: bool) -> HttpResponse | None:
        """The answer in the buffer when it is complete (``final``: the peer has closed)."""
        buffer = self._buffer
        if self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise _FramingError("kopregels te lang")
                return None
            self._head = _parse_head(bytes(buffer[:end]), end + 4)
            if 100 <= self._head[0] < 200:  # an interim answer (100 Continue): skip it
                del buffer[: end + 4]
                self._head = None
                return self._frame(final)
        status, headers, start, length, chunked = self._head
        if chunked:
            decoded = _dechunk(buffer, start)
            if decoded is None:
                return None
            content, end = decoded
        elif length is not None:
            end = start + length
            if len(buffer) < end:
                return None
            content = bytes(buffer[start:end])
        else:  # no framing: the body runs until the server closes the connection
            if len(buffer) - start > MAX_BODY_BYTES:
                raise _FramingError("antwoord te groot")
            if not final:
                return None
            end = len(buffer)
            content = bytes(buffer[start:end])
        keep = length is not None or chunked
        keep = keep and headers.get("connection", "").lower() != "close"
        del buffer[:end]
        self._reusable = keep and not buffer
        return HttpResponse(status, headers, content)


def _parse_head(head: bytes, start: int) -> tuple[int, dict[str, str], int, int | None, bool]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise _FramingError(f"geen HTTP-antwoord: {lines[0][:60]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise _FramingError("ongeldige kopregel")
        key = name.decode("latin-1").lower()
        text = value.strip().decode("latin-1")
        if key in headers and key in ("content-length", "transfer-encoding"):
            raise _FramingError(f"kopregel {key} dubbel")
        headers[key] = text
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    if "transfer-encoding" in headers and not chunked:
        raise _FramingError("onbekende Transfer-Encoding")
    length: int | None = None
    if not chunked and "content-length" in headers:
        declared = headers["content-length"]
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            raise _FramingError("ongeldige Content-Length")
        length = int(declared)
    if status in (204, 304):
        length = 0
    if parts[0] == b"HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive":
        headers["connection"] = "close"
    return status, headers, start, length, chunked


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """The decoded body and where it ends, or None while incomplete (RFC 9112 7.1)."""
    chunks: list[bytes] = []
    total = 0
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size_text = bytes(buffer[position:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _FramingError("ongeldige chunkgrootte") from None
        position = line_end + 2
        if size == 0:
            while True:  # trailers, then an empty line
                line_end = buffer.find(b"\r\n", position)
                if line_end < 0:
                    return None
                empty = line_end == position
                position = line_end + 2
                if empty:
                    return b"".join(chunks), position
        total += size
        if total > MAX_BODY_BYTES:
            raise _FramingError("antwoord te groot")
        if len(buffer) < position + size + 2:
            return None
        chunks.append(bytes(buffer[position : position + size]))
        if buffer[position + size : position + size + 2] != b"\r\n":
            raise _FramingError("chunk zonder afsluiting")
        position += size + 2


def _expire(waiter: asyncio.Future[HttpResponse]) -> None:
    if not waiter.done():
        waiter.set_exception(ExchangeTimeoutError("geen antwoord binnen de tijd"))


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "onbekende oorzaak"
    return str(exc) or type(exc).__name__
