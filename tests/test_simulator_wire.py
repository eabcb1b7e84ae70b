"""The simulator's faults as bytes on the wire (issue 4; DESIGN.md 4): what a client reads on
one raw two-way TLS connection, byte by byte, for each fault type. The HTTP protocol the server
runs (uvicorn's httptools, with the connection's transport in the scope, ``tls.py``) must close
connections exactly as the fault table of ``gateway/simulator/README.md`` says."""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest
from simulator_docs import melden

from gateway.messages.namespaces import ACTIONS, OP_MELDEN
from gateway.pki import PkiFiles, init_pki
from gateway.simulator.testing import (
    RunningSimulator,
    client_context,
    running_simulator,
    soap_envelope,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"))


@dataclass(frozen=True)
class Exchange:
    """What came back on one connection: the bytes, and whether the server closed it (False:
    a complete answer with a ``content-length`` arrived and the connection stayed open)."""

    data: bytes
    closed: bool

    @property
    def head(self) -> str:
        return self.data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()

    @property
    def body(self) -> bytes:
        return self.data.split(b"\r\n\r\n", 1)[1]


def _complete(data: bytes) -> bool:
    """A whole answer with a ``content-length`` (a chunked one is read until the close)."""
    head, separator, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)\r?$", head)
    return bool(separator) and length is not None and len(body) >= int(length.group(1))


def post(sim: RunningSimulator, body: bytes) -> Exchange:
    """One POST of ``body`` to the SOAP endpoint on a fresh connection, read until the answer is
    complete or the server closes the connection."""
    request = (
        b"POST /verzuim/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: text/xml; charset=utf-8\r\n"
        b'SOAPAction: "' + ACTIONS[OP_MELDEN].encode() + b'"\r\n'
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    raw = socket.create_connection(("127.0.0.1", sim.server.port), timeout=10.0)
    with client_context(sim.pki).wrap_socket(raw, server_hostname="127.0.0.1") as conn:
        conn.sendall(request)
        data = b""
        try:
            while chunk := conn.recv(65536):
                data += chunk
                if _complete(data):
                    return Exchange(data, closed=False)
        except (ConnectionResetError, ssl.SSLError):
            pass
        return Exchange(data, closed=True)


def registered(sim: RunningSimulator) -> int:
    return len(sim.admin.meldingen())


def test_a_normal_answer_has_a_length_and_keeps_the_connection(
    tmp_path: Path, pki: PkiFiles
) -> None:
    with running_simulator(tmp_path, pki=pki) as sim:
        exchange = post(sim, soap_envelope(melden()))
        assert not exchange.closed  # keep-alive
        assert exchange.head.startswith("http/1.1 200 ok")
        length = re.search(r"content-length: (\d+)", exchange.head)
        assert length and int(length.group(1)) == len(exchange.body)
        assert "content-type: text/xml; charset=utf-8" in exchange.head
        assert exchange.body.rstrip().endswith(b"</soap:Envelope>")
        assert registered(sim) == 1


def test_reset_closes_before_any_byte(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, reset_rate=1.0) as sim:
        exchange = post(sim, soap_envelope(melden()))
        assert exchange == Exchange(b"", closed=True)
        assert registered(sim) == 0


def test_fail_answers_503_and_processes_nothing(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, fail_rate=1.0) as sim:
        exchange = post(sim, soap_envelope(melden()))
        assert exchange.head.startswith("http/1.1 503 service unavailable")
        assert "content-type: text/plain; charset=utf-8" in exchange.head
        assert exchange.body == b"simulator: fail-rate (niets verwerkt)"
        assert registered(sim) == 0


def test_drop_sends_headers_and_half_a_chunk_then_closes(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, drop_after_commit_rate=1.0) as sim:
        exchange = post(sim, soap_envelope(melden()))
        assert exchange.closed
        assert exchange.head.startswith("http/1.1 200 ok")
        assert "transfer-encoding: chunked" in exchange.head
        size, _, rest = exchange.body.partition(b"\r\n")
        chunk = rest.removesuffix(b"\r\n")
        assert int(size, 16) == len(chunk) > 0  # one chunk of half the answer ...
        assert chunk.startswith(b"<?xml") and b"</soap:Envelope>" not in chunk
        assert not exchange.body.endswith(b"0\r\n\r\n")  # ... and no last chunk
        assert registered(sim) == 1  # committed before the connection was dropped


def test_malformed_is_a_complete_answer_of_half_an_envelope(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, malformed_rate=1.0) as sim:
        exchange = post(sim, soap_envelope(melden()))
        assert exchange.head.startswith("http/1.1 200 ok")
        length = re.search(r"content-length: (\d+)", exchange.head)
        assert length and int(length.group(1)) == len(exchange.body) > 0
        assert exchange.body.startswith(b"<?xml") and b"</soap:Envelope>" not in exchange.body
        assert registered(sim) == 1


def test_other_methods_and_paths_still_go_through_the_router(tmp_path: Path, pki: PkiFiles) -> None:
    """Only ``POST /verzuim/v1`` skips Starlette; ``PUT`` gets its 405 with ``Allow: POST`` and
    a trailing slash its redirect, as before."""
    with running_simulator(tmp_path, pki=pki) as sim, sim.client() as client:
        put = client.put("/verzuim/v1", content=b"x")
        assert put.status_code == 405 and put.headers["allow"] == "POST"
        slash = client.post("/verzuim/v1/", content=b"x", follow_redirects=False)
        assert slash.status_code == 307
        assert slash.headers["location"].endswith("/verzuim/v1")
