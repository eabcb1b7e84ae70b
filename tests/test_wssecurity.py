"""WS-Security profile 2W-be-S (issue 7, DOMAIN.md 3.4): what the gateway signs, checked by an
independent verifier (the xmlsec1 command line tool), and the gateway refusing every answer that
is not exactly right (changed Body, missing or wrong SignatureConfirmation, wrong RelatesTo,
stale or future Timestamp, unpinned certificate, moved or wrapped elements)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from simulator_docs import melden

from gateway.duo.envelope import Addressing, request_envelope
from gateway.duo.wssecurity import (
    DS,
    EXC_C14N,
    SOAP,
    WSA,
    WSSE,
    WSSE11,
    WSU,
    X509V3,
    Credentials,
    SecurityPolicy,
    Signed,
    WsSecurity,
    WsSecurityError,
    sign_envelope,
    verify_envelope,
)
from gateway.errors import SecurityError
from gateway.messages.namespaces import ACTIONS, OP_MELDEN
from gateway.pki import PkiFiles, init_foreign_client, init_pki
from gateway.simulator.soap import envelope as answer_envelope
from gateway.xml import parse_bytes, to_bytes

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
POLICY = SecurityPolicy(lifetime=dt.timedelta(minutes=5), clock_skew=dt.timedelta(seconds=60))
XMLSEC1 = shutil.which("xmlsec1")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"), now=NOW)  # valid at NOW, however late


@pytest.fixture(scope="module")
def client(pki: PkiFiles) -> Credentials:
    return Credentials.load(pki.client_cert, pki.client_key)


@pytest.fixture(scope="module")
def duo(pki: PkiFiles) -> Credentials:
    assert pki.signing_cert is not None and pki.signing_key is not None
    return Credentials.load(pki.signing_cert, pki.signing_key)


def gateway(client: Credentials, duo: Credentials, now: dt.datetime = NOW) -> WsSecurity:
    return WsSecurity(client, duo.certificate, POLICY, clock=lambda: now)


def request(pki: PkiFiles) -> bytes:
    document = to_bytes(melden())
    return request_envelope(
        document, Addressing.new(ACTIONS[OP_MELDEN], "https://duo.example/verzuim/v1", pki.oin)
    )


def answer(
    sent: Signed,
    signer: Credentials,
    *,
    now: dt.datetime = NOW,
    confirm: bytes | str | None = "same",
    relates_to: str | None = None,
) -> bytes:
    """DUO's answer to ``sent``, signed by ``signer`` (by default correct in every respect)."""
    body = etree.Element("{urn:test}Antwoord")
    etree.SubElement(body, "{urn:test}Nummer").text = "VM00000001"
    unsigned = answer_envelope(
        body, action=ACTIONS[OP_MELDEN] + "/DC0018", relates_to=relates_to or sent.message_id
    )
    value = sent.signature_value if confirm == "same" else confirm
    assert value is None or isinstance(value, bytes)
    return sign_envelope(unsigned, signer, now, POLICY, confirm=value).envelope


def tree(data: bytes) -> etree._Element:
    return parse_bytes(data)


def ids_to_names(root: etree._Element) -> dict[str, str]:
    return {
        element.get(f"{{{WSU}}}Id") or "": etree.QName(element).localname
        for element in root.iter()
        if isinstance(element.tag, str) and element.get(f"{{{WSU}}}Id")
    }


# ----- what the gateway signs ----------------------------------------------------------------


def test_signed_request_has_the_2w_be_s_structure(pki: PkiFiles, client: Credentials) -> None:
    signed = sign_envelope(request(pki), client, NOW, POLICY)
    root = tree(signed.envelope)
    header = root.find(f"{{{SOAP}}}Header")
    assert header is not None
    security = header.find(f"{{{WSSE}}}Security")
    assert security is not None and security.get(f"{{{SOAP}}}mustUnderstand") == "1"
    created = security.findtext(f"{{{WSU}}}Timestamp/{{{WSU}}}Created") or ""
    expires = security.findtext(f"{{{WSU}}}Timestamp/{{{WSU}}}Expires") or ""
    assert created.endswith("Z") and expires.endswith("Z")
    lifetime = dt.datetime.fromisoformat(expires) - dt.datetime.fromisoformat(created)
    assert lifetime == dt.timedelta(minutes=5)
    token = security.find(f"{{{WSSE}}}BinarySecurityToken")
    assert token is not None and token.get("ValueType") == X509V3
    assert base64.b64decode(token.text or "") == client.certificate.public_bytes(
        serialization.Encoding.DER
    )
    signatures = list(root.iter(f"{{{DS}}}Signature"))
    assert len(signatures) == 1 and signatures[0].getparent() is security
    signed_info = signatures[0].find(f"{{{DS}}}SignedInfo")
    assert signed_info is not None
    c14n = signed_info.find(f"{{{DS}}}CanonicalizationMethod")
    method = signed_info.find(f"{{{DS}}}SignatureMethod")
    assert c14n is not None and c14n.get("Algorithm") == EXC_C14N
    assert method is not None and method.get("Algorithm", "").endswith("rsa-sha256")
    for reference in signed_info.findall(f"{{{DS}}}Reference"):
        transforms = reference.findall(f"{{{DS}}}Transforms/{{{DS}}}Transform")
        assert [t.get("Algorithm") for t in transforms] == [EXC_C14N]
        digest = reference.find(f"{{{DS}}}DigestMethod")
        assert digest is not None and digest.get("Algorithm", "").endswith("#sha256")
    str_reference = signatures[0].find(
        f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference"
    )
    assert str_reference is not None
    assert str_reference.get("URI") == "#" + (token.get(f"{{{WSU}}}Id") or "")
    assert signed.message_id == header.findtext(f"{{{WSA}}}MessageID")


@pytest.mark.skipif(
    XMLSEC1 is None, reason="xmlsec1 niet geïnstalleerd (systeempakket 'xmlsec1'; .ci/run)"
)
def test_signed_request_verifies_with_xmlsec1_over_exactly_body_wsa_and_timestamp(
    pki: PkiFiles, client: Credentials, tmp_path: Path
) -> None:
    signed = sign_envelope(request(pki), client, NOW, POLICY)
    path = tmp_path / "signed.xml"
    path.write_bytes(signed.envelope)
    names = ["Body", "Timestamp", "To", "Action", "MessageID", "From", "ReplyTo"]

    def xmlsec1(cert: Path) -> subprocess.CompletedProcess[str]:
        command = [str(XMLSEC1), "--verify", "--print-debug"]
        for name in names:
            command += ["--id-attr:Id", name]
        command += ["--pubkey-cert-pem", str(cert), str(path)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    result = xmlsec1(pki.client_cert)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "SignedInfo References (ok/all): 7/7" in output
    referenced = re.findall(r"uri xpointer expr: #(\S+)", output)
    by_id = ids_to_names(tree(signed.envelope))
    assert sorted(by_id[ref] for ref in referenced) == sorted(names)
    # the same tool refuses the same file with another key: the check above can fail
    assert xmlsec1(pki.server_cert).returncode != 0


def test_request_verifies_against_its_token_and_the_token_is_checked(
    pki: PkiFiles, client: Credentials
) -> None:
    signed = sign_envelope(request(pki), client, NOW, POLICY)
    seen = []
    verified = verify_envelope(signed.envelope, NOW, POLICY, check_token=seen.append)
    assert seen == [client.certificate] and verified.message_id == signed.message_id

    def refuse(_: object) -> None:
        raise WsSecurityError("niet vertrouwd", "FailedAuthentication")

    with pytest.raises(WsSecurityError, match="niet vertrouwd"):
        verify_envelope(signed.envelope, NOW, POLICY, check_token=refuse)


# ----- what the gateway accepts as an answer -------------------------------------------------


def test_a_correct_answer_is_accepted(pki: PkiFiles, client: Credentials, duo: Credentials) -> None:
    security = gateway(client, duo)
    sent = security.sign_request(request(pki))
    verified = security.verify_reply(answer(sent, duo), sent)
    assert verified.relates_to == sent.message_id
    assert verified.certificate == duo.certificate


def _changed_body(data: bytes) -> bytes:
    return data.replace(b"VM00000001", b"VM00000002")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("changed body", "gewijzigd"),
        ("no confirmation", "SignatureConfirmation"),
        ("wrong confirmation", "bevestigt niet"),
        ("wrong RelatesTo", "RelatesTo"),
        ("stale", "te oud|verlopen"),
        ("future", "toekomst"),
        ("unpinned certificate", "ander certificaat"),
        ("unpinned key, pinned token", "handtekening klopt niet"),
        ("unsigned", "niet ondertekend"),
    ],
)
def test_the_gateway_refuses_a_wrong_answer(
    pki: PkiFiles,
    client: Credentials,
    duo: Credentials,
    tmp_path: Path,
    case: str,
    message: str,
) -> None:
    security = gateway(client, duo)
    sent = security.sign_request(request(pki))
    if case == "changed body":
        data = _changed_body(answer(sent, duo))
    elif case == "no confirmation":
        data = answer(sent, duo, confirm=None)
    elif case == "wrong confirmation":
        data = answer(sent, duo, confirm=b"\x01" * 256)
    elif case == "wrong RelatesTo":
        data = answer(sent, duo, relates_to="urn:uuid:00000000-0000-0000-0000-000000000000")
    elif case == "stale":
        data = answer(sent, duo, now=NOW - dt.timedelta(minutes=10))
    elif case == "future":
        data = answer(sent, duo, now=NOW + dt.timedelta(minutes=5))
    elif case == "unpinned certificate":
        data = answer(sent, client)  # our own certificate is not DUO's
    elif case == "unpinned key, pinned token":
        foreign = init_foreign_client(tmp_path, now=NOW)
        signer = Credentials.load(foreign.client_cert, foreign.client_key)
        root = tree(answer(sent, signer))
        token = next(root.iter(f"{{{WSSE}}}BinarySecurityToken"))
        token.text = base64.b64encode(
            duo.certificate.public_bytes(serialization.Encoding.DER)
        ).decode()
        data = etree.tostring(root)
    else:
        data = answer_envelope(
            etree.Element("{urn:test}Antwoord"), action="x", relates_to=sent.message_id
        )
    with pytest.raises(WsSecurityError, match=message) as caught:
        security.verify_reply(data, sent)
    assert isinstance(caught.value, SecurityError)  # stored as a security outcome


def test_an_unsigned_fault_is_a_security_error_naming_it(
    pki: PkiFiles, client: Credentials, duo: Credentials
) -> None:
    from gateway.simulator.wssec import security_fault

    security = gateway(client, duo)
    sent = security.sign_request(request(pki))
    fault = security_fault(WsSecurityError("handtekening klopt niet", "FailedCheck"), None)
    with pytest.raises(WsSecurityError, match="wsse:FailedCheck: handtekening klopt niet"):
        security.verify_reply(fault, sent)


# ----- which elements are signed: moved, wrapped, duplicated ---------------------------------


def _signed_request(pki: PkiFiles, client: Credentials) -> etree._Element:
    return tree(sign_envelope(request(pki), client, NOW, POLICY).envelope)


def _verify(root: etree._Element) -> None:
    verify_envelope(etree.tostring(root), NOW, POLICY, check_token=lambda _: None)


def test_wrapping_the_signed_body_and_sending_another_is_refused(
    pki: PkiFiles, client: Credentials
) -> None:
    root = _signed_request(pki, client)
    header, body = root[0], root[1]
    wrapper = etree.SubElement(header, "{urn:evil}Wrapper")
    wrapper.append(copy.deepcopy(body))  # the signed Body, id and all, moved into a header
    new_body = root[1]
    new_body.attrib.pop(f"{{{WSU}}}Id")
    for child in list(new_body):
        new_body.remove(child)
    etree.SubElement(new_body, "{urn:evil}AndereMelding").text = "iets anders"
    with pytest.raises(WsSecurityError, match="niet ondertekend: /Envelope/Body"):
        _verify(root)


def test_a_duplicated_id_is_refused(pki: PkiFiles, client: Credentials) -> None:
    root = _signed_request(pki, client)
    header, body = root[0], root[1]
    twin = copy.deepcopy(body)
    twin.tag = "{urn:evil}Kopie"
    header.append(twin)
    with pytest.raises(WsSecurityError, match="wijst naar 2 elementen"):
        _verify(root)


def test_an_unsigned_extra_ws_addressing_header_is_refused(
    pki: PkiFiles, client: Credentials
) -> None:
    root = _signed_request(pki, client)
    etree.SubElement(root[0], f"{{{WSA}}}FaultTo").text = "https://elders.example/"
    with pytest.raises(WsSecurityError, match="niet ondertekend: /Envelope/Header/FaultTo"):
        _verify(root)


def test_a_second_signature_or_security_header_is_refused(
    pki: PkiFiles, client: Credentials
) -> None:
    root = _signed_request(pki, client)
    security = root[0].find(f"{{{WSSE}}}Security")
    assert security is not None
    root[1].append(copy.deepcopy(security.find(f"{{{DS}}}Signature")))
    with pytest.raises(WsSecurityError, match="precies een ds:Signature"):
        _verify(root)


def test_a_confirmation_in_a_request_or_two_timestamps_are_refused(
    pki: PkiFiles, client: Credentials
) -> None:
    root = _signed_request(pki, client)
    security = root[0].find(f"{{{WSSE}}}Security")
    assert security is not None
    etree.SubElement(security, f"{{{WSSE11}}}SignatureConfirmation", Value="AAAA")
    with pytest.raises(WsSecurityError, match="geen SignatureConfirmation"):
        _verify(root)
    root = _signed_request(pki, client)
    security = root[0].find(f"{{{WSSE}}}Security")
    assert security is not None
    security.append(copy.deepcopy(security.find(f"{{{WSU}}}Timestamp")))
    with pytest.raises(WsSecurityError, match="wsu:Timestamp"):
        _verify(root)


def test_the_zeep_wsse_object_signs_and_verifies_the_same_way(
    pki: PkiFiles, client: Credentials, duo: Credentials
) -> None:
    plugin = gateway(client, duo).zeep_plugin()
    with pytest.raises(WsSecurityError, match="zonder ondertekend verzoek"):
        plugin.verify(tree(request(pki)))
    envelope, headers = plugin.apply(tree(request(pki)), {"SOAPAction": "x"})
    assert headers == {"SOAPAction": "x"}
    verified = verify_envelope(etree.tostring(envelope), NOW, POLICY, check_token=lambda _: None)
    sent = Signed(etree.tostring(envelope), verified.message_id, verified.signature_value)
    assert plugin.verify(tree(answer(sent, duo))) is not None
    with pytest.raises(WsSecurityError):
        plugin.verify(tree(answer(sent, client)))
