"""Serving the simulator over HTTPS with a required client certificate (DOMAIN.md 3.4).

``run_simulator`` blocks (the ``verzuim simulator`` command); ``SimulatorServer`` runs one in
a background thread on an already bound socket (port 0 gives a free port), for tests and demos.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

from gateway.errors import ConfigError
from gateway.pki import pki_files
from gateway.simulator.app import Simulator, create_app
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.tls import TransportAwareHttpTools, context_factory

log = logging.getLogger("gateway.simulator")


def uvicorn_config(simulator: Simulator) -> uvicorn.Config:
    """uvicorn's configuration: httptools with the transport in the scope, two-way TLS from the PKI
    folder, no proxy headers, a short graceful shutdown."""
    options = simulator.options
    pki = pki_files(options.pki)
    return uvicorn.Config(
        create_app(simulator),
        host=options.host,
        port=options.port,
        http=TransportAwareHttpTools,
        ws="none",
        lifespan="on",
        ssl_certfile=str(pki.server_cert),
        ssl_keyfile=str(pki.server_key),
        ssl_ca_certs=str(pki.ca_cert),
        ssl_context_factory=context_factory(pki),
        proxy_headers=False,
        server_header=False,
        log_level=options.log_level,
        access_log=options.access_log,
        timeout_graceful_shutdown=2,
    )


def run_simulator(options: SimulatorOptions) -> None:
    """Serve the simulator until interrupted (``verzuim simulator``)."""
    simulator = Simulator(options)
    try:
        log.info("DUO-simulator op https://%s:%d/verzuim/v1", options.host, options.port)
        uvicorn.Server(uvicorn_config(simulator)).run()
    finally:
        simulator.store.close()


class SimulatorServer:
    """A simulator served from a background thread; ``start()`` returns once it accepts
    connections, ``stop()`` shuts it down and closes its store."""

    def __init__(self, options: SimulatorOptions) -> None:
        self.simulator = Simulator(options)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((options.host, options.port))
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn_config(self.simulator))
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"verzuim-simulator-{self.port}",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        return f"https://{self.simulator.options.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SimulatorServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigError("de simulator is niet gestart")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()
        self.simulator.store.close()
