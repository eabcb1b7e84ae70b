"""Profile 2W-be-S against the bundled simulator over real mutual TLS (issue 7): the simulator
refuses unsigned, tampered, wrapped, replayed, stale and foreign-signed requests with a SOAP
Fault and processes nothing; the whole chain (queue, send, reconcile) runs signed; an answer
signed by a certificate that is not the pinned one becomes a counted security outcome that is
never retried."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from duo_setup import clock, runtime_for, sample_school, write_config
from lxml import etree
from simulator_docs import melden

from gateway.duo.envelope import Addressing, request_envelope
from gateway.duo.wssecurity import (
    WSA,
    WSSE,
    WSU,
    Credentials,
    SecurityPolicy,
    Signed,
    WsSecurity,
    format_time,
    sign_envelope,
)
from gateway.messages.namespaces import ACTIONS, OP_MELDEN
from gateway.metrics import SENDS
from gateway.pki import init_foreign_client
from gateway.sample.generate import SampleFiles
from gateway.service.jobs import queue_precheck, reconcile_now, send
from gateway.simulator.soap import NS_SOAP
from gateway.simulator.testing import RunningSimulator, running_simulator
from gateway.store import State
from gateway.xml import parse_bytes, to_bytes

POLICY = SecurityPolicy()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    with running_simulator(tmp_path_factory.mktemp("sim"), profiel="2W-be-S") as running:
        yield running


@pytest.fixture(scope="module")
def http(sim: RunningSimulator) -> Iterator[httpx.Client]:
    with sim.client() as client:
        yield client


def security(sim: RunningSimulator, now: dt.datetime | None = None) -> WsSecurity:
    pki = sim.pki
    assert pki.signing_cert is not None
    duo = Credentials.load(pki.signing_cert, pki.signing_key)  # type: ignore[arg-type]
    return WsSecurity(
        Credentials.load(pki.client_cert, pki.client_key),
        duo.certificate,
        POLICY,
        clock=(lambda: now) if now else (lambda: dt.datetime.now(dt.UTC)),
    )


def signed_request(sim: RunningSimulator, now: dt.datetime | None = None) -> Signed:
    envelope = request_envelope(
        to_bytes(melden()), Addressing.new(ACTIONS[OP_MELDEN], sim.endpoint, sim.pki.oin)
    )
    return security(sim, now).sign_request(envelope)


def post(sim: RunningSimulator, http: httpx.Client, data: bytes) -> httpx.Response:
    return http.post(
        sim.endpoint,
        content=data,
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{ACTIONS[OP_MELDEN]}"',
        },
    )


def faultcode(response: httpx.Response) -> str:
    root = parse_bytes(response.content)
    return root.findtext(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault/faultcode") or ""


def refused(sim: RunningSimulator, http: httpx.Client, data: bytes, code: str) -> None:
    before = len(sim.admin.meldingen())
    response = post(sim, http, data)
    assert response.status_code == 500, response.text
    assert faultcode(response) == f"wsse:{code}", response.text
    assert len(sim.admin.meldingen()) == before  # nothing processed


def test_a_signed_request_is_processed_and_the_answer_verifies(
    sim: RunningSimulator, http: httpx.Client
) -> None:
    sent = signed_request(sim)
    response = post(sim, http, sent.envelope)
    assert response.status_code == 200, response.text
    verified = security(sim).verify_reply(response.content, sent)
    assert verified.relates_to == sent.message_id


def test_an_unsigned_request_is_refused(sim: RunningSimulator, http: httpx.Client) -> None:
    unsigned = request_envelope(
        to_bytes(melden()), Addressing.new(ACTIONS[OP_MELDEN], sim.endpoint, sim.pki.oin)
    )
    refused(sim, http, unsigned, "InvalidSecurity")


def _tamper(data: bytes, what: str) -> bytes:
    root = parse_bytes(data)
    header = root.find(f"{{{NS_SOAP}}}Header")
    assert header is not None
    if what == "Body":
        node = next(root.iter("{*}Emailadres"))
        node.text = "iemand@elders.example"
    elif what == "Timestamp":
        created = next(root.iter(f"{{{WSU}}}Created"))
        moment = dt.datetime.fromisoformat(created.text or "") - dt.timedelta(seconds=1)
        created.text = format_time(moment)
    elif what in ("From", "ReplyTo"):
        address = header.find(f"{{{WSA}}}{what}/{{{WSA}}}Address")
        assert address is not None
        address.text = (address.text or "") + "x"
    else:
        node = header.find(f"{{{WSA}}}{what}")
        assert node is not None
        node.text = (node.text or "") + "x"
    return etree.tostring(root)


@pytest.mark.parametrize("what", ["Body", "To", "Action", "MessageID", "From", "ReplyTo"])
def test_tampering_with_a_signed_element_is_refused(
    sim: RunningSimulator, http: httpx.Client, what: str
) -> None:
    refused(sim, http, _tamper(signed_request(sim).envelope, what), "FailedCheck")


def test_tampering_with_the_timestamp_is_refused(sim: RunningSimulator, http: httpx.Client) -> None:
    refused(sim, http, _tamper(signed_request(sim).envelope, "Timestamp"), "FailedCheck")


def test_swapping_the_body_for_another_signed_fragment_is_refused(
    sim: RunningSimulator, http: httpx.Client
) -> None:
    """Signature wrapping: the signed Body goes into a header, an unsigned Body takes its
    place; every digest still matches, but the signed element is not the envelope's Body."""
    root = parse_bytes(signed_request(sim).envelope)
    header, body = root[0], root[1]
    etree.SubElement(header, "{urn:aanval}Verpakking").append(copy.deepcopy(body))
    other = parse_bytes(to_bytes(melden(begindatum=dt.date(2024, 10, 7))))
    body.attrib.pop(f"{{{WSU}}}Id")
    body.remove(body[0])
    body.append(other)
    refused(sim, http, etree.tostring(root), "FailedCheck")


def test_a_replayed_request_is_refused(sim: RunningSimulator, http: httpx.Client) -> None:
    sent = signed_request(sim)
    assert post(sim, http, sent.envelope).status_code == 200
    refused(sim, http, sent.envelope, "InvalidSecurity")


def test_a_stale_request_is_refused(sim: RunningSimulator, http: httpx.Client) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    refused(sim, http, signed_request(sim, now=old).envelope, "MessageExpired")


def test_a_request_signed_with_a_certificate_of_another_ca_is_refused(
    sim: RunningSimulator, http: httpx.Client, tmp_path: Path
) -> None:
    foreign = init_foreign_client(tmp_path)
    envelope = request_envelope(
        to_bytes(melden()), Addressing.new(ACTIONS[OP_MELDEN], sim.endpoint, sim.pki.oin)
    )
    signer = Credentials.load(foreign.client_cert, foreign.client_key)
    signed = sign_envelope(envelope, signer, dt.datetime.now(dt.UTC), POLICY)
    refused(sim, http, signed.envelope, "FailedAuthentication")


def test_a_security_header_without_must_understand_is_refused(
    sim: RunningSimulator, http: httpx.Client
) -> None:
    root = parse_bytes(signed_request(sim).envelope)
    security_header = next(root.iter(f"{{{WSSE}}}Security"))
    del security_header.attrib[f"{{{NS_SOAP}}}mustUnderstand"]
    refused(sim, http, etree.tostring(root), "InvalidSecurity")


# ----- the whole chain, signed ----------------------------------------------------------------


def _signed_config(tmp_path: Path, sim: RunningSimulator, pinned: Path) -> tuple[Path, SampleFiles]:
    sample = sample_school(tmp_path)
    config = write_config(tmp_path, sim, sample)
    config.write_text(
        config.read_text(encoding="utf-8") + f'profiel = "2W-be-S"\nduo_cert = "{pinned}"\n',
        encoding="utf-8",
    )
    return config, sample


def test_send_and_reconcile_run_signed_over_mutual_tls(tmp_path: Path) -> None:
    with running_simulator(tmp_path, profiel="2W-be-S") as sim:
        assert sim.pki.signing_cert is not None
        config, sample = _signed_config(tmp_path, sim, sim.pki.signing_cert)
        runtime = runtime_for(config)
        queued = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        report = asyncio.run(send(runtime, clock))
        assert report.accepted == len(queued.created) > 20
        assert report.security == report.unknown == report.retried == 0
        row = runtime.store.list(State.ACCEPTED, limit=1)[0]
        sim.admin.set_status(row.duo_nummer or "", "G", "TERUG_OP_SCHOOL")
        result = asyncio.run(reconcile_now(runtime, clock))
        assert result.statuses_applied >= 1
        closed = runtime.store.get(row.id)
        assert closed is not None and closed.duo_status is not None
        assert closed.duo_status.value == "G"


def test_an_answer_signed_by_an_unpinned_certificate_is_a_counted_security_outcome(
    tmp_path: Path,
) -> None:
    with running_simulator(tmp_path, profiel="2W-be-S") as sim:
        # pin our own client certificate instead of the simulator's: every answer is refused
        config, sample = _signed_config(tmp_path, sim, sim.pki.client_cert)
        runtime = runtime_for(config)
        queued = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        before = SENDS.labels(result="security")._value.get()
        report = asyncio.run(send(runtime, clock))
        assert report.security == len(queued.created) and report.accepted == 0
        assert SENDS.labels(result="security")._value.get() - before == len(queued.created)
        assert any("ander certificaat" in error for error in report.errors)
        rows = runtime.store.list(State.SECURITY, limit=1000)
        assert len(rows) == len(queued.created)
        # DUO did process them: exactly why a security outcome is never resent blindly
        assert len(sim.admin.meldingen()) == len(queued.created)
        again = asyncio.run(send(runtime, clock))
        assert again.sent == 0
        assert len(sim.admin.meldingen()) == len(queued.created)


def test_the_demo_chain_runs_signed(tmp_path: Path) -> None:
    from gateway.service.demo import run_demo

    report = run_demo(tmp_path / "demo", profiel="2W-be-S")
    assert report.verzonden.get("accepted", 0) > 40
    assert report.verzonden.get("security", 0) == report.verzonden.get("unknown", 0) == 0
    assert report.statuswijzigingen > 0
    assert 'profiel = "2W-be-S"' in (tmp_path / "demo" / "verzuim.toml").read_text()
