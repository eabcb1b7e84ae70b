"""Test helpers for anyone who talks to the simulator: start one for real over two-way TLS,
a client with the test PKI's certificate, an admin helper and a SOAP envelope builder.

::

    from gateway.simulator.testing import running_simulator

    def test_something(tmp_path):
        with running_simulator(tmp_path, fail_rate=0.0) as sim:
            with sim.client() as client:
                response = client.post(sim.endpoint, content=sim.envelope(document), headers=...)
            assert sim.admin.meldingen()[0]["status"] == "R"

The simulator listens on a free loopback port; its state lives in ``tmp_path/simulator.db``
(pass ``db=`` to reuse one across restarts). By default the municipality does nothing by itself
(``behandeling_after=None``) so tests decide every status change through ``sim.admin``.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from gateway.messages.namespaces import ACTIONS
from gateway.pki import PkiFiles, init_pki
from gateway.simulator.options import FaultRates, SimulatorOptions
from gateway.simulator.server import SimulatorServer
from gateway.simulator.soap import NS_SOAP, NS_WSA

_FAULT_FIELDS = {field.name for field in fields(FaultRates)}


def client_context(
    pki: PkiFiles, *, cert: Path | None = None, key: Path | None = None, with_cert: bool = True
) -> ssl.SSLContext:
    """A client TLS context trusting only the test CA, with the PKI's client certificate (or
    ``cert``/``key``, or none at all with ``with_cert=False``)."""
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if with_cert:
        context.load_cert_chain(str(cert or pki.client_cert), str(key or pki.client_key))
    return context


def soap_envelope(
    document: etree._Element,
    *,
    action: str | None = None,
    message_id: str | None = None,
    to: str | None = None,
) -> bytes:
    """A SOAP 1.1 request envelope with WS-Addressing ``Action`` (default: the operation's
    action), ``MessageID`` (default: a new ``urn:uuid:``) and ``To``. Pass ``action=""`` or
    ``message_id=""`` to leave that header out."""
    operation = etree.QName(document).localname
    action = ACTIONS.get(operation, "") if action is None else action
    message_id = f"urn:uuid:{uuid.uuid4()}" if message_id is None else message_id
    root = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soap": NS_SOAP, "wsa": NS_WSA})
    header = etree.SubElement(root, f"{{{NS_SOAP}}}Header")
    for name, value in (("Action", action), ("MessageID", message_id), ("To", to)):
        if value:
            etree.SubElement(header, f"{{{NS_WSA}}}{name}").text = value
    etree.SubElement(root, f"{{{NS_SOAP}}}Body").append(document)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


class SimulatorAdmin:
    """The admin API (``/_sim/...``) over the given mTLS client."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def health(self) -> dict[str, Any]:
        return self._get("/_sim/health")  # type: ignore[no-any-return]

    def meldingen(self) -> list[dict[str, Any]]:
        return self._get("/_sim/meldingen")  # type: ignore[no-any-return]

    def melding(self, nummer: str) -> dict[str, Any]:
        return next(item for item in self.meldingen() if item["nummer"] == nummer)

    def set_status(self, nummer: str, status: str, reden: str | None = None) -> dict[str, Any]:
        payload: dict[str, str] = {"status": status}
        if reden is not None:
            payload["reden"] = reden
        return self._post(f"/_sim/meldingen/{nummer}/status", payload)  # type: ignore[no-any-return]

    def set_faults(self, **settings: float) -> dict[str, Any]:
        return self._post("/_sim/faults", settings)  # type: ignore[no-any-return]

    def tick(self) -> int:
        return int(self._post("/_sim/tick", {})["stappen"])

    def _get(self, path: str) -> Any:
        response = self._client.get(path)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        response = self._client.post(path, json=payload)
        response.raise_for_status()
        return response.json()


@dataclass(frozen=True, slots=True)
class RunningSimulator:
    """A started simulator: where it is, its PKI, an admin helper and a client factory."""

    base_url: str
    pki: PkiFiles
    admin: SimulatorAdmin
    server: SimulatorServer

    @property
    def endpoint(self) -> str:
        return self.base_url + "/verzuim/v1"

    def client(self, *, timeout: float = 10.0, with_cert: bool = True) -> httpx.Client:
        """An httpx client over two-way TLS with the PKI's client certificate."""
        return httpx.Client(
            base_url=self.base_url,
            verify=client_context(self.pki, with_cert=with_cert),
            timeout=timeout,
        )

    def post_soap(
        self, client: httpx.Client, document: etree._Element, **envelope: str | None
    ) -> httpx.Response:
        """POST ``document`` in an envelope (``soap_envelope``) with a matching SOAPAction."""
        body = soap_envelope(document, **envelope)
        action = envelope.get("action")
        operation = etree.QName(document).localname
        soap_action = ACTIONS.get(operation, "") if action is None else action
        return client.post(
            self.endpoint,
            content=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap_action}"'},
        )


@contextmanager
def running_simulator(
    tmp_path: Path, *, pki: PkiFiles | None = None, **options: Any
) -> Iterator[RunningSimulator]:
    """Start a simulator on a free loopback port with a fresh test PKI in ``tmp_path/pki`` (or
    ``pki``), yield it, stop it. ``options`` are ``SimulatorOptions`` fields or fault settings
    (``fail_rate=1.0``, ``latency_ms=5``, ``timeout_seconds=0.5``, ...)."""
    pki = pki or init_pki(tmp_path / "pki", overwrite=True)
    faults = FaultRates(**{k: v for k, v in options.items() if k in _FAULT_FIELDS})
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "db": tmp_path / "simulator.db",
        "seed": 0,
        "behandeling_after": None,
        "afsluiting_after": None,
        "log_level": "warning",
        "access_log": False,
        "tick_seconds": 0.05,
    }
    settings.update({k: v for k, v in options.items() if k not in _FAULT_FIELDS})
    server = SimulatorServer(SimulatorOptions(pki=pki.directory, faults=faults, **settings))
    server.start()
    admin_client = httpx.Client(base_url=server.base_url, verify=client_context(pki), timeout=10.0)
    try:
        yield RunningSimulator(
            base_url=server.base_url, pki=pki, admin=SimulatorAdmin(admin_client), server=server
        )
    finally:
        admin_client.close()
        server.stop()
