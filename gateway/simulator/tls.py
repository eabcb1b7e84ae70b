"""Two-way TLS for the simulator (DOMAIN.md 3.4): TLS 1.2 at least, a client certificate signed
by the test CA required, and access to the connection for the fault types that close it.

uvicorn hands the application no transport and no peer certificate, so the simulator runs
uvicorn's httptools protocol (the C parser of llhttp; h11, pure Python, cost about 0.5 ms of CPU
per request) with one addition: every request's scope carries the connection's transport under
``scope["extensions"]["verzuim.transport"]``. From it the application reads the client
certificate's OIN (``subject.serialNumber``) and can close the connection on purpose.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Mapping
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.pki import PkiFiles

TRANSPORT_KEY = "verzuim.transport"


def server_context(pki: PkiFiles) -> ssl.SSLContext:
    """The server's TLS context: its chain and key, TLS >= 1.2, client certificate required
    and checked against ``ca.pem`` only (not the system store)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    chain = pki.server_chain if pki.server_chain.is_file() else pki.server_cert
    context.load_cert_chain(str(chain), str(pki.server_key))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(pki.ca_cert))
    return context


def context_factory(pki: PkiFiles) -> Callable[[Config, Callable[[], ssl.SSLContext]], Any]:
    """An ``ssl_context_factory`` for uvicorn's ``Config`` that returns ``server_context``."""

    def factory(config: Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return server_context(pki)

    return factory


class TransportAwareHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, putting the connection's transport into each request's
    scope."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})[TRANSPORT_KEY] = transport
            await inner(scope, receive, send)

        self.app = cast(Any, app)


def transport_of(scope: Mapping[str, Any]) -> asyncio.Transport | None:
    """The connection's transport, when the server runs ``TransportAwareHttpTools``. Duck-typed:
    uvloop's transports are not subclasses of ``asyncio.Transport``."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if all(hasattr(transport, name) for name in ("get_extra_info", "close", "abort")):
        return cast(asyncio.Transport, transport)
    return None


def peer_oin(transport: asyncio.BaseTransport | None) -> str | None:
    """The OIN in the client certificate's ``subject.serialNumber`` (DOMAIN.md 3.4), if any."""
    if transport is None:
        return None
    cert = transport.get_extra_info("peercert")
    if not isinstance(cert, dict):
        return None
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "serialNumber" and isinstance(value, str):
                return value
    return None
