"""The DUO simulator over real two-way TLS (issue 4): the three operations, DUO's business
rules as DC0002 faults (DOMAIN.md 3.1, 3.2, V12), envelope and WS-Addressing checks (DOMAIN.md
3.4), schema validation, the client certificate, the WSDL and the admin API."""

from __future__ import annotations

import datetime as dt
import logging
import re
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from builders import VALID_BSN
from simulator_docs import ONDERWIJSNUMMER, SoapAnswer, intrekking, melden, mutatie, read

from gateway.messages import (
    Bevestiging,
    Foutmelding,
    LeveringNummer,
    RedenIntrekking,
)
from gateway.messages.namespaces import ACTIONS, OP_MELDEN
from gateway.model import DuoStatus, WireCode
from gateway.pki import PkiFiles, init_foreign_client, init_pki
from gateway.simulator import codes
from gateway.simulator.testing import (
    RunningSimulator,
    client_context,
    running_simulator,
    soap_envelope,
)
from gateway.simulator.tls import server_context
from gateway.xml import parse_bytes, to_bytes

MELDEN_ACTION = ACTIONS[OP_MELDEN]
TLS_REFUSED = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def sim(tmp_path: Path, pki: PkiFiles) -> Iterator[RunningSimulator]:
    with running_simulator(tmp_path, pki=pki) as running:
        yield running


@pytest.fixture
def client(sim: RunningSimulator) -> Iterator[httpx.Client]:
    with sim.client() as http:
        yield http


def register(sim: RunningSimulator, client: httpx.Client, **fields: object) -> str:
    answer = read(sim.post_soap(client, melden(**fields)))  # type: ignore[arg-type]
    assert isinstance(answer.answer, LeveringNummer), answer.faultstring
    return answer.answer.nummer


def rejection(answer: SoapAnswer) -> list[str]:
    """The DC0002 error codes of a Client fault."""
    assert answer.status_code == 500
    assert answer.faultcode == "soap:Client"
    assert isinstance(answer.detail, Foutmelding)
    return [fout.code for fout in answer.detail.fouten]


# ----- the three operations -----


def test_melden_registers_and_answers_dc0018_with_wsa_headers(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    document = melden()
    message_id = f"urn:uuid:{uuid.uuid4()}"
    response = sim.post_soap(client, document, message_id=message_id)
    answer = read(response)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert answer.action == MELDEN_ACTION + "/DC0018"
    assert answer.relates_to == message_id
    assert answer.message_id.startswith("urn:uuid:") and answer.message_id != message_id
    assert isinstance(answer.answer, LeveringNummer)
    assert re.fullmatch(r"VM[0-9]{8}", answer.answer.nummer)
    assert answer.answer.status is DuoStatus.GEREGISTREERD
    assert answer.answer.verzoek_id == document.findtext("{*}IdentificatiecodeBedrijfsdocument")
    assert answer.answer.kop.ontvanger == "99XX"
    [listed] = sim.admin.meldingen()
    assert listed["nummer"] == answer.answer.nummer
    assert (listed["code"], listed["begindatum"], listed["einddatum"]) == (
        "V3",
        "2024-09-02",
        "2024-09-04",
    )
    assert listed["status"] == "R" and listed["registraties"] == 1


def test_admin_json_never_contains_the_bsn(sim: RunningSimulator, client: httpx.Client) -> None:
    register(sim, client)
    register(sim, client, bsn="", onderwijsnummer=ONDERWIJSNUMMER)
    response = client.get("/_sim/meldingen")
    assert VALID_BSN not in response.text and ONDERWIJSNUMMER not in response.text
    assert [item["leerling"] for item in response.json()] == [
        "bsn:******333",
        "onderwijsnummer:******503",
    ]


def test_mutatie_sets_the_einddatum(sim: RunningSimulator, client: httpx.Client) -> None:
    nummer = register(sim, client, einddatum=None, code=WireCode.LRV)
    answer = read(sim.post_soap(client, mutatie(nummer)))
    assert answer.action == ACTIONS["MutatieMeldingRelatiefVerzuim"] + "/DC0001"
    assert isinstance(answer.answer, Bevestiging)
    assert (answer.answer.nummer, answer.answer.status) == (nummer, DuoStatus.GEREGISTREERD)
    assert sim.admin.melding(nummer)["einddatum"] == "2024-09-06"


def test_intrekking_then_again_and_change_after_it_are_refused(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    nummer = register(sim, client)
    answer = read(sim.post_soap(client, intrekking(nummer, RedenIntrekking.DUBBEL)))
    assert isinstance(answer.answer, Bevestiging)
    assert answer.answer.status is DuoStatus.INGETROKKEN
    listed = sim.admin.melding(nummer)
    assert (listed["status"], listed["reden_intrekking"]) == ("I", "DUBBEL")
    again = read(sim.post_soap(client, intrekking(nummer)))
    assert rejection(again) == [codes.AL_INGETROKKEN]
    assert again.action == ACTIONS["MutatieMeldingRelatiefVerzuim"] + "/DC0002"
    change = read(sim.post_soap(client, mutatie(nummer)))
    assert rejection(change) == [codes.WIJZIGEN_INGETROKKEN]


def test_withdrawing_an_afgesloten_melding_is_a_dc0002_fault(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    nummer = register(sim, client)
    closed = sim.admin.set_status(nummer, "G", "TERUG_OP_SCHOOL")
    assert (closed["status"], closed["reden_afsluiting"]) == ("G", "TERUG_OP_SCHOOL")
    message_id = f"urn:uuid:{uuid.uuid4()}"
    document = intrekking(nummer)
    answer = read(sim.post_soap(client, document, message_id=message_id))
    assert rejection(answer) == [codes.INTREKKEN_AFGESLOTEN]
    assert answer.relates_to == message_id
    assert isinstance(answer.detail, Foutmelding)
    assert answer.detail.verzoek_id == document.findtext("{*}IdentificatiecodeBedrijfsdocument")
    assert answer.detail.fouten[0].element == "Intrekking"
    assert sim.admin.melding(nummer)["status"] == "G"


def test_unknown_melding_number_and_einddatum_before_begindatum(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    assert rejection(read(sim.post_soap(client, mutatie("VM99999999")))) == [codes.ONBEKEND_NUMMER]
    nummer = register(sim, client)
    early = mutatie(nummer, einddatum=dt.date(2024, 8, 1))
    assert rejection(read(sim.post_soap(client, early))) == [codes.DATUM]


# ----- envelope, WS-Addressing and schema -----


def test_schema_invalid_request_is_a_client_fault_naming_the_path(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    document = melden()
    bsn = document.find("{*}Leerling/{*}Burgerservicenummer")
    assert bsn is not None
    bsn.text = "12345678"  # eight digits: the pattern refuses it
    answer = read(sim.post_soap(client, document))
    assert rejection(answer) == [codes.SCHEMA]
    assert answer.faultstring is not None
    assert "/MeldenRelatiefVerzuim/Leerling/Burgerservicenummer" in answer.faultstring
    assert "12345678" not in answer.faultstring
    assert sim.admin.meldingen() == []


@pytest.mark.parametrize(
    ("envelope", "code"),
    [
        ({"action": MELDEN_ACTION.replace("Melden", "Mutatie")}, codes.ACTION),
        ({"action": ""}, codes.ACTION),
        ({"message_id": ""}, codes.MESSAGE_ID),
    ],
    ids=["wrong-action", "no-action", "no-message-id"],
)
def test_ws_addressing_faults(
    sim: RunningSimulator, client: httpx.Client, envelope: dict[str, str], code: str
) -> None:
    answer = read(sim.post_soap(client, melden(), **envelope))
    assert rejection(answer) == [code]
    assert sim.admin.meldingen() == []


def test_soap_action_header_must_equal_wsa_action(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    response = client.post(
        sim.endpoint,
        content=soap_envelope(melden()),
        headers={"Content-Type": "text/xml", "SOAPAction": '"urn:iets-anders"'},
    )
    assert rejection(read(response)) == [codes.SOAP_ACTION]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", codes.XML_ONGELDIG),
        (b"<geen-envelop/>", codes.GEEN_ENVELOP),
        (b"<x", codes.XML_ONGELDIG),
    ],
    ids=["doctype", "not-an-envelope", "not-well-formed"],
)
def test_unreadable_requests_are_client_faults(
    sim: RunningSimulator, client: httpx.Client, body: bytes, code: str
) -> None:
    response = client.post(sim.endpoint, content=body, headers={"Content-Type": "text/xml"})
    answer = read(response)
    assert rejection(answer) == [code]
    assert answer.action == "http://www.w3.org/2005/08/addressing/soap/fault"


def test_body_with_an_answer_document_is_refused(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    example = Path(__file__).parents[1] / "gateway/xsd/examples/DC0001-Bevestiging.xml"
    answer = read(sim.post_soap(client, parse_bytes(example.read_bytes()), action="x"))
    assert rejection(answer) == [codes.GEEN_ENVELOP]


# ----- two-way TLS -----


def test_no_client_certificate_is_refused_in_the_handshake(sim: RunningSimulator) -> None:
    with pytest.raises(TLS_REFUSED), sim.client(with_cert=False) as anonymous:
        anonymous.post(sim.endpoint, content=to_bytes(melden()))
    assert sim.admin.meldingen() == []


def test_client_certificate_of_another_ca_is_refused(sim: RunningSimulator, tmp_path: Path) -> None:
    foreign = init_foreign_client(tmp_path / "foreign")
    context = client_context(sim.pki, cert=foreign.client_cert, key=foreign.client_key)
    with (
        pytest.raises(TLS_REFUSED),
        httpx.Client(base_url=sim.base_url, verify=context, timeout=5) as stranger,
    ):
        stranger.get("/_sim/health")
    assert sim.admin.meldingen() == []


def test_server_context_requires_tls12_and_a_client_certificate(pki: PkiFiles) -> None:
    context = server_context(pki)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert context.verify_mode is ssl.CERT_REQUIRED


def test_brin_must_belong_to_the_certificate_oin(tmp_path: Path) -> None:
    other = init_pki(tmp_path / "pki-12AB", oin="00000007" + "12AB" + "00000000")
    with running_simulator(tmp_path, pki=other) as sim, sim.client() as client:
        answer = read(sim.post_soap(client, melden()))  # the document says BRIN 99XX
        assert rejection(answer) == [codes.BRIN_NIET_VAN_CERTIFICAAT]


# ----- WSDL and admin API -----


def test_wsdl_and_schemas_are_served_with_this_address(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    wsdl = client.get("/verzuim/v1?wsdl")
    assert wsdl.status_code == 200
    assert f'location="{sim.endpoint}"' in wsdl.text
    schema = client.get("/verzuim/verzuim-berichten-v1.xsd")
    assert schema.status_code == 200 and b"MeldenRelatiefVerzuim" in schema.content
    assert client.get("/verzuim/../pyproject.toml").status_code == 404


def test_wsdl_loads_in_zeep_over_mutual_tls(sim: RunningSimulator) -> None:
    requests = pytest.importorskip("requests")
    zeep = pytest.importorskip("zeep")
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace our CA
    session.verify = str(sim.pki.ca_cert)
    session.cert = (str(sim.pki.client_cert), str(sim.pki.client_key))
    client = zeep.Client(
        sim.endpoint + "?wsdl", transport=zeep.transports.Transport(session=session)
    )
    binding = client.wsdl.services["VerzuimService"].ports["VerzuimSoap11Port"]
    session.close()  # no keep-alive connection left to hold up the server's shutdown
    assert binding.binding_options["address"] == sim.endpoint


def test_admin_status_errors(sim: RunningSimulator, client: httpx.Client) -> None:
    nummer = register(sim, client)
    assert client.post("/_sim/meldingen/VM99999999/status", json={"status": "B"}).status_code == 404
    assert client.post(f"/_sim/meldingen/{nummer}/status", json={"status": "X"}).status_code == 400
    assert client.post(f"/_sim/meldingen/{nummer}/status", json={"status": "I"}).status_code == 400
    bad_reason = {"status": "G", "reden": "ONBEKEND"}
    assert client.post(f"/_sim/meldingen/{nummer}/status", json=bad_reason).status_code == 400
    read(sim.post_soap(client, intrekking(nummer)))
    assert client.post(f"/_sim/meldingen/{nummer}/status", json={"status": "B"}).status_code == 409
    assert sim.admin.set_status(register(sim, client), "K")["status"] == "K"
    health = sim.admin.health()
    assert health["status"] == "ok" and health["meldingen"] == 2


def test_simulator_never_logs_a_bsn(
    sim: RunningSimulator, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nummer = register(sim, client)
    invalid = melden()
    identity = invalid.find("{*}Leerling/{*}Burgerservicenummer")
    assert identity is not None
    identity.text = VALID_BSN + "0"
    read(sim.post_soap(client, invalid))
    read(sim.post_soap(client, intrekking(nummer)))
    read(sim.post_soap(client, intrekking(nummer)))
    assert "geregistreerd als" in caplog.text
    assert VALID_BSN not in caplog.text
