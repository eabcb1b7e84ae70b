"""Two-way TLS of the machinekoppeling against the simulator (issue 7, DOMAIN.md 3.4): TLS 1.2
at least on both sides, TLS 1.3 when both can, the explicit trust bundle only, and every
refusal a ``SecurityError`` (stored, never retried blindly): TLS 1.1, no client certificate, a
client certificate of another CA, an expired server certificate, a server certificate for
another host, a revoked server certificate (``duo.crl_file``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvloop
from simulator_docs import melden

from gateway.duo.client import DuoClient, tls_context
from gateway.errors import SecurityError, UnknownOutcomeError
from gateway.messages import LeveringNummer
from gateway.pki import PkiFiles, init_foreign_client, init_pki, issue_server_cert, write_crl
from gateway.simulator.testing import RunningSimulator, running_simulator
from gateway.simulator.tls import server_context
from gateway.xml import to_bytes

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, pki: PkiFiles) -> Iterator[RunningSimulator]:
    with running_simulator(tmp_path_factory.mktemp("sim"), pki=pki) as running:
        yield running


#: Every send runs on both event loops the gateway may use (``gateway.aio``): the TLS
#: transport, and so how a refusal shows, is the loop's own.
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop] | None] = {
    "asyncio": None,
    "uvloop": uvloop.new_event_loop,
}


@pytest.fixture(params=list(LOOPS))
def loop(request: pytest.FixtureRequest) -> Callable[[], asyncio.AbstractEventLoop] | None:
    return LOOPS[request.param]


def _send(
    endpoint: str,
    pki: PkiFiles,
    context: ssl.SSLContext,
    loop: Callable[[], asyncio.AbstractEventLoop] | None,
) -> object:
    async def go() -> object:
        async with DuoClient(endpoint, pki.oin, context, max_attempts=1) as client:
            return await client.send("melden", to_bytes(melden()))

    with asyncio.Runner(loop_factory=loop) as runner:
        return runner.run(go())


def _legacy_context(server: bool) -> ssl.SSLContext:
    """A context that speaks only TLS 1.1 (OpenSSL needs security level 0 for that)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


@contextmanager
def legacy_server(pki: PkiFiles) -> Iterator[int]:
    """A TLS 1.1-only server with the simulator's certificate: one handshake per connection."""
    context = _legacy_context(server=True)
    context.load_cert_chain(str(pki.server_chain), str(pki.server_key))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(10)


def _handshake(port: int, context: ssl.SSLContext) -> str:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        return str(tls.version())


def test_tls_1_1_is_refused_by_the_simulator(pki: PkiFiles, sim: RunningSimulator) -> None:
    client = _legacy_context(server=False)
    client.load_verify_locations(str(pki.ca_cert))
    client.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    with legacy_server(pki) as port:  # the same client does speak TLS 1.1 to a server that can
        assert _handshake(port, client) == "TLSv1.1"
    with pytest.raises(ssl.SSLError):
        _handshake(sim.server.port, client)


def test_the_gateway_refuses_a_tls_1_1_server(
    pki: PkiFiles, loop: Callable[[], asyncio.AbstractEventLoop] | None
) -> None:
    context = tls_context(pki.client_cert, pki.client_key, pki.ca_cert)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    with legacy_server(pki) as port:
        with pytest.raises(ssl.SSLError):
            _handshake(port, context)
        with pytest.raises(SecurityError, match="TLS"):
            _send(f"https://127.0.0.1:{port}/verzuim/v1", pki, context, loop)


def test_tls_1_3_is_negotiated_and_the_system_store_is_not_used(
    pki: PkiFiles, sim: RunningSimulator
) -> None:
    context = tls_context(pki.client_cert, pki.client_key, pki.ca_cert)
    assert _handshake(sim.server.port, context) == "TLSv1.3"
    assert context.cert_store_stats()["x509_ca"] == 1  # the test CA, nothing else
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        ((("countryName", "NL"),), (("organizationName", "verzuim-gateway test"),),
         (("commonName", "verzuim-gateway test-CA (alleen voor tests)"),))
    ]  # fmt: skip
    assert server_context(pki).minimum_version is ssl.TLSVersion.TLSv1_2


def test_a_correct_setup_is_accepted(
    pki: PkiFiles, sim: RunningSimulator, loop: Callable[[], asyncio.AbstractEventLoop] | None
) -> None:
    context = tls_context(pki.client_cert, pki.client_key, pki.ca_cert)
    assert isinstance(_send(sim.endpoint, pki, context, loop), LeveringNummer)


def _health_over_raw_tls(port: int, context: ssl.SSLContext) -> bytes:
    """``GET /_sim/health`` over one TLS connection: the answer's first bytes, or b"" when the
    server refused the connection (an alert, a reset or a close without an answer). Under TLS
    1.3 the client's handshake completes before the server has checked its certificate."""
    request = b"GET /_sim/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(request)
            return tls.recv(12)
    except (ssl.SSLError, ConnectionError):
        return b""


def _refused(
    sim: RunningSimulator,
    pki: PkiFiles,
    context: ssl.SSLContext,
    loop: Callable[[], asyncio.AbstractEventLoop] | None,
) -> None:
    """The gateway sees a security error, or (TLS 1.3: the server's reset can overtake its
    alert) an unknown outcome that is reconciled, never resent; the simulator processed
    nothing."""
    before = len(sim.admin.meldingen())
    with pytest.raises((SecurityError, UnknownOutcomeError)):
        _send(sim.endpoint, pki, context, loop)
    assert len(sim.admin.meldingen()) == before


def test_no_client_certificate_is_refused(
    pki: PkiFiles, sim: RunningSimulator, loop: Callable[[], asyncio.AbstractEventLoop] | None
) -> None:
    good = tls_context(pki.client_cert, pki.client_key, pki.ca_cert)
    assert _health_over_raw_tls(sim.server.port, good) == b"HTTP/1.1 200"  # the check can pass
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(pki.ca_cert))
    assert _health_over_raw_tls(sim.server.port, context) == b""
    _refused(sim, pki, context, loop)


def test_a_client_certificate_of_another_ca_is_refused(
    pki: PkiFiles,
    sim: RunningSimulator,
    tmp_path: Path,
    loop: Callable[[], asyncio.AbstractEventLoop] | None,
) -> None:
    foreign = init_foreign_client(tmp_path)
    context = tls_context(foreign.client_cert, foreign.client_key, pki.ca_cert)
    assert _health_over_raw_tls(sim.server.port, context) == b""
    _refused(sim, pki, context, loop)


@pytest.mark.parametrize(
    ("hosts", "start", "end", "reason"),
    [
        (("127.0.0.1",), NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1), "expired"),
        (
            ("duo.elders.example",),
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(days=30),
            "mismatch",
        ),
    ],
    ids=["expired", "another-host"],
)
def test_a_bad_server_certificate_is_refused(
    pki: PkiFiles,
    tmp_path: Path,
    hosts: tuple[str, ...],
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
    loop: Callable[[], asyncio.AbstractEventLoop] | None,
) -> None:
    bad = issue_server_cert(pki, tmp_path / "bad-pki", hosts, start, end)
    with running_simulator(tmp_path, pki=bad) as sim:
        context = tls_context(pki.client_cert, pki.client_key, pki.ca_cert)
        with pytest.raises(SecurityError, match=reason):
            _send(sim.endpoint, pki, context, loop)


def test_a_revoked_server_certificate_is_refused_with_a_crl(
    pki: PkiFiles,
    sim: RunningSimulator,
    tmp_path: Path,
    loop: Callable[[], asyncio.AbstractEventLoop] | None,
) -> None:
    clean = write_crl(pki, tmp_path / "clean.crl.pem")
    context = tls_context(pki.client_cert, pki.client_key, pki.ca_cert, crl_file=clean)
    assert isinstance(_send(sim.endpoint, pki, context, loop), LeveringNummer)
    revoked = write_crl(pki, tmp_path / "revoked.crl.pem", revoked=[pki.server_cert])
    context = tls_context(pki.client_cert, pki.client_key, pki.ca_cert, crl_file=revoked)
    with pytest.raises(SecurityError, match="revoked"):
        _send(sim.endpoint, pki, context, loop)
