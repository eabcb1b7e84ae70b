"""The DUO client's HTTP/1.1 exchange (``gateway.duo.http11``) against scripted servers on
loopback, on both event loops the gateway runs on (``gateway.aio``).

What matters for exactly-once (DESIGN.md 4): an answer is used only when it is complete; a
connection is reused only when it is clean; an idle connection the server closed is never used
for a new request; a broken or late answer is an ``ExchangeError`` (unknown outcome, reconciled)
and never a ``ConnectError`` (which the client retries, as nothing was sent).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvloop

from gateway.duo.http11 import (
    ConnectError,
    Connection,
    ConnectTimeoutError,
    Endpoint,
    ExchangeError,
    ExchangeTimeoutError,
    HttpResponse,
)

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop] | None] = {
    "asyncio": None,
    "uvloop": uvloop.new_event_loop,
}
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:test"'}


@pytest.fixture(params=list(LOOPS))
def run(request: pytest.FixtureRequest) -> Callable[[Awaitable[Any]], Any]:
    factory = LOOPS[request.param]

    def runner(main: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await main

        with asyncio.Runner(loop_factory=factory) as loop_runner:
            return loop_runner.run(wrapped())

    return runner


class Server:
    """A loopback server; ``handler`` answers each connection; counts connections and requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.closed_idle = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def endpoint(self) -> Endpoint:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return Endpoint.parse(f"http://127.0.0.1:{port}/verzuim/v1")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer, self)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        body = await reader.readexactly(length)
        self.requests.append(head + body)
        return body


def _ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra) + body


async def _keep_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
    while True:
        body = await s.read_request(reader)
        writer.write(_ok(b"<antwoord>" + body + b"</antwoord>"))
        await writer.drain()


async def _post(connection: Connection, server: Server, body: bytes = b"<x/>") -> HttpResponse:
    return await connection.post(server.endpoint, HEADERS, body, timeout=5)


def test_a_complete_answer_and_the_connection_is_kept(run: Callable[..., Any]) -> None:
    async def main() -> None:
        async with Server(_keep_answering) as server:
            connection = await Connection.open(server.endpoint, None, 5)
            first = await _post(connection, server, b"een")
            second = await _post(connection, server, b"twee")
            assert (first.status_code, first.content) == (200, b"<antwoord>een</antwoord>")
            assert second.content == b"<antwoord>twee</antwoord>"
            assert server.connections == 1
            head = server.requests[0].split(b"\r\n")
            assert head[0] == b"POST /verzuim/v1 HTTP/1.1"
            assert f"Host: 127.0.0.1:{server.endpoint.port}".encode() in head
            assert b'SOAPAction: "urn:test"' in head
            assert b"Content-Length: 3" in head
            connection.close()

    run(main())


def test_a_chunked_answer_arriving_byte_by_byte(run: Callable[..., Any]) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\n<ant>\r\nA\r\nwoord</ant\r\n1\r\n>\r\n0\r\nX-Trailer: ja\r\n\r\n"
    )

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        while True:
            await s.read_request(reader)
            for index in range(len(answer)):
                writer.write(answer[index : index + 1])
                await writer.drain()

    async def main() -> None:
        async with Server(handler) as server:
            connection = await Connection.open(server.endpoint, None, 5)
            assert (await _post(connection, server)).content == b"<ant>woord</ant>"
            assert connection.usable  # chunked framing is complete: reusable
            assert (await _post(connection, server)).content == b"<ant>woord</ant>"
            assert server.connections == 1

    run(main())


def test_an_answer_framed_by_closing_is_complete_but_not_reused(run: Callable[..., Any]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        await s.read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<tot-het-einde/>")
        await writer.drain()

    async def main() -> None:
        async with Server(handler) as server:
            connection = await Connection.open(server.endpoint, None, 5)
            assert (await _post(connection, server)).content == b"<tot-het-einde/>"
            assert not connection.usable

    run(main())


def test_connection_close_and_an_idle_close_are_never_reused(run: Callable[..., Any]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        await s.read_request(reader)
        if s.connections == 1:
            writer.write(_ok(b"<een/>", b"Connection: close\r\n"))
        else:  # keep-alive promised, then the server drops the idle connection
            writer.write(_ok(b"<twee/>"))
        await writer.drain()

    async def main() -> None:
        async with Server(handler) as server:
            first = await Connection.open(server.endpoint, None, 5)
            assert (await _post(first, server)).content == b"<een/>"
            assert not first.usable
            with pytest.raises(ExchangeError):
                await _post(first, server)  # refused before anything is written
            second = await Connection.open(server.endpoint, None, 5)
            assert (await _post(second, server)).content == b"<twee/>"
            for _ in range(500):  # the server's close reaches the client
                if not second.usable:
                    break
                await asyncio.sleep(0.01)
            assert not second.usable
            assert len(server.requests) == 2

    run(main())


def test_an_interim_100_continue_is_skipped(run: Callable[..., Any]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        await s.read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + _ok(b"<na-100/>"))
        await writer.drain()
        await reader.read()

    async def main() -> None:
        async with Server(handler) as server:
            connection = await Connection.open(server.endpoint, None, 5)
            assert (await _post(connection, server)).content == b"<na-100/>"

    run(main())


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<half",  # closed mid-body
        b"HTTP/1.1 200 OK\r\nContent-Le",  # closed mid-head
        b"",  # closed without a byte (as after a crash of the server)
        b"SMTP ready\r\n\r\n",  # not HTTP
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=[
        "mid-body",
        "mid-head",
        "no-byte",
        "not-http",
        "bad-length",
        "two-lengths",
        "unknown-encoding",
        "bad-chunk",
    ],
)
def test_a_broken_answer_is_an_exchange_error(run: Callable[..., Any], answer: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        await s.read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def main() -> None:
        async with Server(handler) as server:
            connection = await Connection.open(server.endpoint, None, 5)
            with pytest.raises(ExchangeError) as caught:
                await _post(connection, server)
            assert not isinstance(caught.value, ConnectError)
            assert not connection.usable
            assert len(server.requests) == 1  # the request did arrive: the outcome is unknown

    run(main())


def test_no_answer_in_time_is_an_exchange_timeout(run: Callable[..., Any]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        await s.read_request(reader)
        await reader.read()  # never answers

    async def main() -> None:
        async with Server(handler) as server:
            connection = await Connection.open(server.endpoint, None, 5)
            with pytest.raises(ExchangeTimeoutError):
                await connection.post(server.endpoint, HEADERS, b"<x/>", timeout=0.2)
            assert not connection.usable

    run(main())


def test_a_refused_connection_is_a_connect_error(run: Callable[..., Any]) -> None:
    async def main() -> None:
        async with Server(_keep_answering) as server:
            endpoint = server.endpoint
        await asyncio.sleep(0)
        with pytest.raises(ConnectError) as caught:
            await Connection.open(endpoint, None, 5)
        assert not isinstance(caught.value, ConnectTimeoutError)
        assert isinstance(caught.value.__cause__, OSError)

    run(main())


def test_a_tls_handshake_that_never_completes_is_a_connect_timeout(
    run: Callable[..., Any],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        await reader.read()  # a TCP server that never speaks TLS

    async def main() -> None:
        async with Server(handler) as server:
            plain = server.endpoint
            endpoint = Endpoint("https", plain.host, plain.port, plain.target)
            context = ssl.create_default_context()
            with pytest.raises(ConnectTimeoutError):
                await Connection.open(endpoint, context, 0.3)
            assert server.connections == 1

    run(main())


def test_endpoint_parsing() -> None:
    endpoint = Endpoint.parse("https://duo.example/verzuim/v1?x=1")
    assert (endpoint.port, endpoint.target, endpoint.host_header) == (
        443,
        "/verzuim/v1?x=1",
        "duo.example",
    )
    assert Endpoint.parse("https://[::1]:8443/").host_header == "[::1]:8443"
    with pytest.raises(ValueError, match="geen http"):
        Endpoint.parse("ftp://duo.example/")
