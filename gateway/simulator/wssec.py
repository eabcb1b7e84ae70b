"""The simulator's side of profile 2W-be-S (DOMAIN.md 3.4; ``gateway/duo/wssecurity.py``).

In 2W-be-S mode (``verzuim simulator --profiel 2W-be-S``) every SOAP request is verified before
anything else looks at it, the way DUO would:

- signed over exactly the Body, every WS-Addressing header and the Timestamp, each resolved to
  its place in the envelope (a moved, wrapped or duplicated element is refused), exclusive C14N,
  RSA-SHA256 or stronger, ``wsse:Security`` with ``soap:mustUnderstand="1"``;
- the key is the message's ``BinarySecurityToken``, which must chain to the test CA, be valid now
  and carry the same OIN as the TLS client certificate;
- the Timestamp is fresh, and neither the ``MessageID`` nor the signature value was seen before
  (a replay), remembered for as long as a Timestamp can be valid.

A refused request gets an *unsigned* SOAP Fault with the WS-Security fault code
(``wsse:InvalidSecurity``, ``wsse:FailedCheck``, ``wsse:MessageExpired``,
``wsse:SecurityTokenUnavailable``, ``wsse:FailedAuthentication``) and nothing is processed.
Every other answer, business faults included, is signed with the simulator's own certificate
(``duo-sign.pem`` of the test PKI) with a ``SignatureConfirmation`` of the request's signature
and ``RelatesTo`` its ``MessageID``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from cryptography import x509
from lxml import etree

from gateway.certs import ChainError, chain_to_bundle
from gateway.duo.wssecurity import (
    DEFAULT_POLICY,
    PROFILE_SIGNED,
    SOAP,
    WSA,
    WSSE,
    Credentials,
    SecurityPolicy,
    Verified,
    WsSecurityError,
    sign_envelope,
    utc_now,
    verify_envelope,
)
from gateway.errors import ConfigError
from gateway.pki import PkiFiles, oin_of, pki_files
from gateway.simulator.duo import DuoService
from gateway.simulator.endpoint import exchange
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.soap import WSA_ANONYMOUS, WSA_FAULT_ACTION

Clock = Callable[[], dt.datetime]


class SimulatorSecurity:
    """Verifies requests and signs answers for one simulator (thread-safe replay memory)."""

    def __init__(
        self,
        pki: PkiFiles,
        policy: SecurityPolicy = DEFAULT_POLICY,
        clock: Clock = utc_now,
    ) -> None:
        if pki.signing_cert is None or pki.signing_key is None or not pki.signing_cert.is_file():
            raise ConfigError(
                f"test-PKI {pki.directory} heeft geen duo-sign.pem voor profiel 2W-be-S; "
                "maak de PKI opnieuw met verzuim pki init"
            )
        assert pki.signing_key is not None
        self.credentials = Credentials.load(pki.signing_cert, pki.signing_key)
        self.trusted = x509.load_pem_x509_certificates(pki.ca_cert.read_bytes())
        self.policy = policy
        self.clock = clock
        self._seen: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def verify_request(self, data: bytes, peer_oin: str | None) -> Verified:
        """Verify one request (see the module doc); ``WsSecurityError`` says why not."""
        now = self.clock()

        def check_token(token: x509.Certificate) -> None:
            self._check_token(token, peer_oin, now)

        verified = verify_envelope(
            data, now, self.policy, check_token=check_token, require_must_understand=True
        )
        if not verified.message_id:
            raise WsSecurityError("verzoek zonder wsa:MessageID", "InvalidSecurity")
        self._remember(verified, now)
        return verified

    def sign_answer(self, answer: bytes, request: Verified) -> bytes:
        """Sign an answer envelope, confirming the request's signature."""
        signed = sign_envelope(
            answer,
            self.credentials,
            self.clock(),
            self.policy,
            confirm=request.signature_value,
        )
        return signed.envelope

    def _check_token(self, token: x509.Certificate, peer_oin: str | None, now: dt.datetime) -> None:
        try:
            chain_to_bundle(token, [], self.trusted, now)
        except ChainError as exc:
            raise WsSecurityError(
                f"certificaat in de BinarySecurityToken niet vertrouwd: {exc}",
                "FailedAuthentication",
            ) from None
        try:
            oin = oin_of(token.subject)
        except ConfigError:
            oin = ""
        if peer_oin is not None and oin != peer_oin:
            raise WsSecurityError(
                "het ondertekencertificaat hoort niet bij het TLS-clientcertificaat (OIN wijkt af)",
                "FailedAuthentication",
            )

    def _remember(self, verified: Verified, now: dt.datetime) -> None:
        """Refuse a MessageID or signature value seen before; forget what can no longer be
        fresh (older than lifetime + 2 x skew)."""
        keys = (f"id:{verified.message_id}", f"sig:{verified.signature_value.hex()}")
        horizon = now - self.policy.lifetime - 2 * self.policy.clock_skew
        with self._lock:
            for key, seen_at in list(self._seen.items()):
                if seen_at < horizon:
                    del self._seen[key]
            if any(key in self._seen for key in keys):
                raise WsSecurityError(
                    "herhaald verzoek: deze wsa:MessageID of handtekening is al ontvangen",
                    "InvalidSecurity",
                )
            for key in keys:
                self._seen[key] = verified.created


def simulator_security(options: SimulatorOptions) -> SimulatorSecurity | None:
    """The request verifier of a simulator in profile 2W-be-S; None for 2W-be (TLS only)."""
    if options.profiel != PROFILE_SIGNED:
        return None
    return SimulatorSecurity(pki_files(options.pki))


def secured_exchange(
    security: SimulatorSecurity | None,
    service: DuoService,
    data: bytes,
    soap_action: str | None,
    oin: str | None,
) -> tuple[int, bytes]:
    """``endpoint.exchange`` with profile 2W-be-S around it: verify, process, sign."""
    if security is None:
        return exchange(service, data, soap_action, oin)
    try:
        request = security.verify_request(data, oin)
    except WsSecurityError as exc:
        return 500, security_fault(exc, _message_id(data))
    status, answer = exchange(service, data, soap_action, oin)
    return status, security.sign_answer(answer, request)


def security_fault(error: WsSecurityError, relates_to: str | None) -> bytes:
    """An unsigned SOAP 1.1 Fault with the WS-Security fault code (WS-Security 1.0, 12)."""
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, "wsa": WSA, "wsse": WSSE})
    header = etree.SubElement(root, f"{{{SOAP}}}Header")
    etree.SubElement(header, f"{{{WSA}}}Action").text = WSA_FAULT_ACTION
    if relates_to:
        etree.SubElement(header, f"{{{WSA}}}RelatesTo").text = relates_to
    etree.SubElement(header, f"{{{WSA}}}To").text = WSA_ANONYMOUS
    fault = etree.SubElement(etree.SubElement(root, f"{{{SOAP}}}Body"), f"{{{SOAP}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"wsse:{error.fault}"
    etree.SubElement(fault, "faultstring").text = str(error)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _message_id(data: bytes) -> str | None:
    """The request's MessageID for the fault's RelatesTo, when it can be read at all."""
    from gateway.xml import parse_bytes

    try:
        root = parse_bytes(data)
    except Exception:  # an unreadable request: a fault without RelatesTo
        return None
    text = root.findtext(f"{{{SOAP}}}Header/{{{WSA}}}MessageID")
    return text.strip() if text else None
