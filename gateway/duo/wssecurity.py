"""WS-Security for Digikoppeling profile 2W-be-S (DOMAIN.md 3.4, DESIGN.md 2 "WS-Security").

Pure apart from the clock and the keys, which are passed in: no network, no files (except
``WsSecurity.from_settings``). Both sides of the machinekoppeling use this module: the gateway
signs its requests and verifies DUO's answers, the bundled simulator verifies requests and signs
its answers.

**Signing** (``sign_envelope``) adds to a SOAP 1.1 envelope with WS-Addressing headers::

    <wsse:Security soap:mustUnderstand="1">
      <wsu:Timestamp wsu:Id="..."><wsu:Created/><wsu:Expires/></wsu:Timestamp>
      <wsse:BinarySecurityToken ValueType="..#X509v3" EncodingType="..#Base64Binary" wsu:Id=".."/>
      [<wsse11:SignatureConfirmation Value="(the request's SignatureValue)" wsu:Id="..."/>]
      <ds:Signature> one Reference per signed element, exclusive C14N, RSA-SHA256, SHA-256,
        KeyInfo = wsse:SecurityTokenReference to the token </ds:Signature>
    </wsse:Security>

and a ``wsu:Id`` on the Body, on every WS-Addressing header and on the Timestamp (and on the
SignatureConfirmation of an answer: WS-Security 1.1 section 8.5 requires it to be signed).
zeep's own ``wsse.Signature`` signs only the Body with SHA-1, hence this module (DESIGN.md 2).

**Verifying** (``verify_envelope``) checks, in this order: exactly one ``Header``, ``Body``,
``wsse:Security``, ``ds:Signature`` (inside the Security header) and ``wsu:Timestamp``; the
signature and digest algorithms (RSA/ECDSA with SHA-256 or stronger, exclusive C14N, no other
transform); *which* elements are signed: every Reference is resolved to the one element carrying
that id and the set of those elements must be exactly the envelope's own Body, its WS-Addressing
headers and its Timestamp (plus SignatureConfirmation on answers), so an element that was moved,
wrapped or duplicated is refused (XML signature wrapping); then the signature itself with signxml
against the given certificate (the pinned DUO certificate for answers; the token for requests,
which the caller checks); the Timestamp (not in the future beyond the clock skew, not expired,
not older than its lifetime); and on answers ``SignatureConfirmation`` equal to our signature
value. ``RelatesTo`` against our ``MessageID`` is checked by ``WsSecurity.verify_reply``.

Every failure raises ``WsSecurityError``, a ``SecurityError``: the sender stores it as a security
outcome and never retries it blindly (DESIGN.md 4).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from gateway.errors import ConfigError, GatewayError, SecurityError
from gateway.xml import parse_bytes

if TYPE_CHECKING:
    from gateway.settings import DuoSettings

SOAP: Final = "http://schemas.xmlsoap.org/soap/envelope/"
WSA: Final = "http://www.w3.org/2005/08/addressing"
WSSE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSSE11: Final = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
X509V3: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
)
BASE64: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
EXC_C14N: Final = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value
PROFILE_TLS: Final = "2W-be"
PROFILE_SIGNED: Final = "2W-be-S"

_STRONG_SIGNATURES = frozenset(
    method
    for method in SignatureMethod
    if method.name.startswith(("RSA_", "ECDSA_"))
    and any(size in method.name for size in ("SHA256", "SHA384", "SHA512"))
    and "SHA3" not in method.name
)
_STRONG_DIGESTS = frozenset(d for d in DigestAlgorithm if d.name in {"SHA256", "SHA384", "SHA512"})
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"

Clock = Callable[[], dt.datetime]


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WsSecurityError(SecurityError):
    """A WS-Security check failed. ``fault`` is the WS-Security 1.0 fault (section 12) that a
    server answers with: ``InvalidSecurity``, ``FailedCheck``, ``MessageExpired``,
    ``SecurityTokenUnavailable`` or ``FailedAuthentication``."""

    def __init__(self, message: str, fault: str = "FailedCheck") -> None:
        super().__init__(message)
        self.fault = fault


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    """Timing of the Timestamp (settings ``duo.timestamp_seconds``, ``duo.clock_skew_seconds``)."""

    lifetime: dt.timedelta = dt.timedelta(minutes=5)
    """Expires - Created of what we sign; also the oldest Created we accept."""
    clock_skew: dt.timedelta = dt.timedelta(seconds=60)
    """How far the other side's clock may differ from ours."""


DEFAULT_POLICY = SecurityPolicy()


@dataclass(frozen=True, slots=True)
class Credentials:
    """A signing key and its certificate (the client key and certificate, DOMAIN.md 3.4)."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def load(cls, cert: Path, key: Path, password: str | None = None) -> Credentials:
        """Read a PEM certificate and its private key; ``ConfigError`` names the file."""
        try:
            certificate = x509.load_pem_x509_certificates(cert.read_bytes())[0]
        except (OSError, ValueError):
            raise ConfigError(f"ondertekencertificaat {cert} niet te lezen") from None
        try:
            private = serialization.load_pem_private_key(
                key.read_bytes(), password.encode() if password is not None else None
            )
        except (OSError, ValueError, TypeError):
            # never the exception text: it could describe the key
            raise ConfigError(f"ondertekensleutel {key} niet te lezen") from None
        if not isinstance(private, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ConfigError(f"ondertekensleutel {key}: alleen RSA of EC wordt ondersteund")
        if _spki(private.public_key()) != _spki(certificate.public_key()):
            raise ConfigError(f"ondertekensleutel {key} hoort niet bij het certificaat {cert}")
        return cls(private, certificate)


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed envelope and what the answer must refer to."""

    envelope: bytes
    message_id: str
    signature_value: bytes
    """The raw (decoded) SignatureValue: an answer's SignatureConfirmation must equal it."""


@dataclass(frozen=True, slots=True)
class Verified:
    """What a verified envelope says, all of it covered by the signature."""

    root: etree._Element
    message_id: str
    relates_to: str
    signature_value: bytes
    created: dt.datetime
    expires: dt.datetime
    certificate: x509.Certificate
    """The certificate whose key made the signature."""


# ----- signing --------------------------------------------------------------------------------


def sign_envelope(
    envelope: bytes,
    credentials: Credentials,
    now: dt.datetime,
    policy: SecurityPolicy = DEFAULT_POLICY,
    *,
    confirm: bytes | None = None,
) -> Signed:
    """Sign a SOAP 1.1 envelope for profile 2W-be-S (see the module doc).

    ``confirm`` is the SignatureValue of the request an answer replies to: it becomes a signed
    ``wsse11:SignatureConfirmation``. Raises ``WsSecurityError`` when the envelope has no
    Header/Body or already carries a Security header.
    """
    try:
        parsed = parse_bytes(envelope)
    except GatewayError as exc:
        raise WsSecurityError(f"envelop niet te ondertekenen: {exc}") from None
    root = etree.Element(
        parsed.tag,
        attrib=dict(parsed.attrib),
        nsmap={**parsed.nsmap, "wsse": WSSE, "wsu": WSU, "ds": DS},
    )
    root[:] = list(parsed)  # moves the children; their own namespaces stay as they were
    header, body = _envelope_parts(root, "te ondertekenen envelop")
    if header.find(_q(WSSE, "Security")) is not None:
        raise WsSecurityError("envelop heeft al een wsse:Security-header")

    security = etree.Element(_q(WSSE, "Security"), nsmap={"wsse": WSSE, "wsu": WSU})
    security.set(_q(SOAP, "mustUnderstand"), "1")
    header.insert(0, security)
    now = _aware(now)
    timestamp = etree.SubElement(security, _q(WSU, "Timestamp"))
    etree.SubElement(timestamp, _q(WSU, "Created")).text = format_time(now)
    etree.SubElement(timestamp, _q(WSU, "Expires")).text = format_time(now + policy.lifetime)
    token = etree.SubElement(
        security,
        _q(WSSE, "BinarySecurityToken"),
        {"ValueType": X509V3, "EncodingType": BASE64},
    )
    token.text = base64.b64encode(
        credentials.certificate.public_bytes(serialization.Encoding.DER)
    ).decode("ascii")
    token_id = _new_id("X509")
    token.set(_q(WSU, "Id"), token_id)

    signed: list[etree._Element] = [body, *_wsa_headers(header), timestamp]
    if confirm is not None:
        confirmation = etree.SubElement(
            security,
            _q(WSSE11, "SignatureConfirmation"),
            {"Value": base64.b64encode(confirm).decode("ascii")},
            nsmap={"wsse11": WSSE11},
        )
        signed.append(confirmation)
    uris = []
    for element in signed:
        element_id = element.get(_q(WSU, "Id"))
        if element_id is None:
            element_id = _new_id(etree.QName(element).localname)
            element.set(_q(WSU, "Id"), element_id)
        uris.append("#" + element_id)

    key_info = etree.Element(_q(DS, "KeyInfo"), nsmap={"ds": DS})
    reference_holder = etree.SubElement(key_info, _q(WSSE, "SecurityTokenReference"))
    etree.SubElement(
        reference_holder, _q(WSSE, "Reference"), {"URI": "#" + token_id, "ValueType": X509V3}
    )
    signer = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=(
            SignatureMethod.RSA_SHA256
            if isinstance(credentials.key, rsa.RSAPrivateKey)
            else SignatureMethod.ECDSA_SHA256
        ),
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signature = signer.sign(root, key=credentials.key, reference_uri=uris, key_info=key_info)
    security.append(signature)
    value = signature.findtext(_q(DS, "SignatureValue")) or ""
    message_id = (header.findtext(_q(WSA, "MessageID")) or "").strip()
    return Signed(
        envelope=etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
        message_id=message_id,
        signature_value=base64.b64decode(value),
    )


def _new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"


def format_time(moment: dt.datetime) -> str:
    """xsd:dateTime in UTC with milliseconds and ``Z``, as WS-Security Timestamps use."""
    moment = _aware(moment).astimezone(dt.UTC)
    return f"{moment.strftime(_TIME_FORMAT)}.{moment.microsecond // 1000:03d}Z"


# ----- verifying ------------------------------------------------------------------------------


def verify_envelope(
    data: bytes | etree._Element,
    now: dt.datetime,
    policy: SecurityPolicy = DEFAULT_POLICY,
    *,
    pinned: x509.Certificate | None = None,
    check_token: Callable[[x509.Certificate], None] | None = None,
    confirm: bytes | None = None,
    require_must_understand: bool = False,
) -> Verified:
    """Verify a signed envelope (see the module doc); ``WsSecurityError`` when anything is off.

    Give ``pinned`` to verify against that certificate only (DUO's answers: a token in the
    message must be that same certificate), or ``check_token`` to verify against the message's
    BinarySecurityToken after ``check_token`` accepted it (requests, in the simulator).
    ``confirm`` is our request's SignatureValue: the answer must confirm exactly that.
    """
    if (pinned is None) == (check_token is None):
        raise ValueError("geef precies een van pinned en check_token")
    try:
        root = parse_bytes(data) if isinstance(data, bytes) else data
    except GatewayError as exc:
        raise WsSecurityError(f"bericht is geen leesbare XML: {exc}", "InvalidSecurity") from None
    header, body = _envelope_parts(root, "bericht")
    security = _single(root, _q(WSSE, "Security"), header, "wsse:Security")
    if require_must_understand and security.get(_q(SOAP, "mustUnderstand")) not in ("1", "true"):
        raise WsSecurityError('wsse:Security zonder soap:mustUnderstand="1"', "InvalidSecurity")
    signature = _single(root, _q(DS, "Signature"), security, "ds:Signature")
    timestamp = _single(root, _q(WSU, "Timestamp"), security, "wsu:Timestamp")
    confirmations = security.findall(_q(WSSE11, "SignatureConfirmation"))
    if confirm is not None and len(confirmations) != 1:
        raise WsSecurityError(
            f"antwoord heeft {len(confirmations)} wsse11:SignatureConfirmation, verwacht precies 1"
        )
    if confirm is None and confirmations:
        raise WsSecurityError("een verzoek hoort geen SignatureConfirmation te hebben")
    expected = [body, *_wsa_headers(header), timestamp, *confirmations]
    _check_algorithms(signature)
    _check_references(root, signature, expected)

    certificate = _signing_certificate(security, signature, pinned, check_token)
    config = SignatureConfiguration(
        location=".//",
        expect_references=len(expected),
        signature_methods=_STRONG_SIGNATURES,
        digest_algorithms=_STRONG_DIGESTS,
        verification_time=_aware(now),
        default_reference_c14n_method=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    try:
        XMLVerifier().verify(root, x509_cert=certificate, expect_config=config)
    except InvalidCertificate as exc:
        raise WsSecurityError(
            f"ondertekencertificaat niet geldig: {exc}", "SecurityTokenUnavailable"
        ) from None
    except InvalidDigest:
        raise WsSecurityError(
            "een ondertekend deel van het bericht is gewijzigd (digest klopt niet)"
        ) from None
    except InvalidSignature:
        raise WsSecurityError(
            "handtekening klopt niet met het certificaat "
            + ("(vastgepind DUO-certificaat)" if pinned is not None else "(token)")
        ) from None
    except (InvalidInput, etree.DocumentInvalid, ValueError) as exc:
        raise WsSecurityError(f"handtekening onleesbaar: {exc}", "InvalidSecurity") from None

    created, expires = _check_timestamp(timestamp, now, policy)
    if confirm is not None:
        _check_confirmation(confirmations[0], confirm)
    value = base64.b64decode(signature.findtext(_q(DS, "SignatureValue")) or "")
    return Verified(
        root=root,
        message_id=(header.findtext(_q(WSA, "MessageID")) or "").strip(),
        relates_to=(header.findtext(_q(WSA, "RelatesTo")) or "").strip(),
        signature_value=value,
        created=created,
        expires=expires,
        certificate=certificate,
    )


def _envelope_parts(root: etree._Element, what: str) -> tuple[etree._Element, etree._Element]:
    if root.tag != _q(SOAP, "Envelope"):
        raise WsSecurityError(f"{what} is geen SOAP 1.1-envelop", "InvalidSecurity")
    headers = root.findall(_q(SOAP, "Header"))
    bodies = root.findall(_q(SOAP, "Body"))
    if len(headers) != 1 or len(bodies) != 1:
        raise WsSecurityError(
            f"{what} moet precies een soap:Header en een soap:Body hebben "
            f"({len(headers)} en {len(bodies)})",
            "InvalidSecurity",
        )
    return headers[0], bodies[0]


def _wsa_headers(header: etree._Element) -> list[etree._Element]:
    """Every WS-Addressing header; each name at most once (a second MessageID is not signed
    around)."""
    found = [child for child in header if etree.QName(child).namespace == WSA]
    names = [etree.QName(child).localname for child in found]
    doubles = sorted({name for name in names if names.count(name) > 1})
    if doubles:
        raise WsSecurityError(f"WS-Addressing-header dubbel: {', '.join(doubles)}")
    return found


def _single(root: etree._Element, tag: str, parent: etree._Element, name: str) -> etree._Element:
    """The one element ``tag`` in the whole document, which must be a child of ``parent``."""
    everywhere = list(root.iter(tag))
    if len(everywhere) != 1 or everywhere[0].getparent() is not parent:
        where = etree.QName(parent).localname
        raise WsSecurityError(
            f"bericht moet precies een {name} hebben, direct in {where} "
            f"(gevonden: {len(everywhere)})",
            "InvalidSecurity",
        )
    return everywhere[0]


def _check_algorithms(signature: etree._Element) -> None:
    signed_info = signature.find(_q(DS, "SignedInfo"))
    if signed_info is None:
        raise WsSecurityError("ds:SignedInfo ontbreekt", "InvalidSecurity")
    c14n = signed_info.find(_q(DS, "CanonicalizationMethod"))
    if c14n is None or c14n.get("Algorithm") != EXC_C14N:
        raise WsSecurityError("SignedInfo moet exclusive C14N gebruiken", "InvalidSecurity")
    method = signed_info.find(_q(DS, "SignatureMethod"))
    algorithm = method.get("Algorithm") if method is not None else None
    if algorithm not in {m.value for m in _STRONG_SIGNATURES}:
        raise WsSecurityError(
            f"ondertekenalgoritme {algorithm} niet toegestaan; verwacht RSA-SHA256 of sterker",
            "InvalidSecurity",
        )
    for reference in signed_info.findall(_q(DS, "Reference")):
        digest = reference.find(_q(DS, "DigestMethod"))
        if digest is None or digest.get("Algorithm") not in {d.value for d in _STRONG_DIGESTS}:
            raise WsSecurityError(
                "digest-algoritme niet toegestaan; verwacht SHA-256 of sterker", "InvalidSecurity"
            )
        transforms = reference.findall(f"{_q(DS, 'Transforms')}/{_q(DS, 'Transform')}")
        if [t.get("Algorithm") for t in transforms] != [EXC_C14N]:
            raise WsSecurityError(
                f"Reference {reference.get('URI')}: alleen de transformatie exclusive C14N "
                "is toegestaan",
                "InvalidSecurity",
            )


def _check_references(
    root: etree._Element, signature: etree._Element, expected: list[etree._Element]
) -> None:
    """Resolve every Reference to the one element carrying its id and compare the set with the
    elements that must be signed, by identity (position), not by name."""
    references = signature.findall(f"{_q(DS, 'SignedInfo')}/{_q(DS, 'Reference')}")
    covered: list[etree._Element] = []
    for reference in references:
        uri = reference.get("URI") or ""
        if not uri.startswith("#") or len(uri) < 2:
            raise WsSecurityError(
                f"Reference-URI {uri!r} niet toegestaan; alleen #id", "InvalidSecurity"
            )
        # the same lookup signxml does: any attribute named Id, in any namespace
        targets = root.xpath("//*[@*[local-name() = 'Id'] = $id]", id=uri[1:])
        assert isinstance(targets, list)
        if len(targets) != 1:
            raise WsSecurityError(
                f"Reference {uri} wijst naar {len(targets)} elementen; verwacht precies 1"
            )
        covered.append(targets[0])
    missing = [element for element in expected if not any(element is c for c in covered)]
    extra = [element for element in covered if not any(element is e for e in expected)]
    doubled = len(covered) != len({id(element) for element in covered})
    if missing or extra or doubled:
        parts = []
        if missing:
            parts.append("niet ondertekend: " + ", ".join(_describe(e) for e in missing))
        if extra:
            parts.append(
                "ondertekend op een andere plek: " + ", ".join(_describe(e) for e in extra)
            )
        if doubled:
            parts.append("een element is dubbel ondertekend")
        raise WsSecurityError(
            "de handtekening dekt niet precies Body, WS-Addressing-headers en Timestamp ("
            + "; ".join(parts)
            + ")"
        )


def _describe(element: etree._Element) -> str:
    path = []
    node: etree._Element | None = element
    while node is not None:
        path.append(etree.QName(node).localname)
        node = node.getparent()
    return "/" + "/".join(reversed(path))


def _signing_certificate(
    security: etree._Element,
    signature: etree._Element,
    pinned: x509.Certificate | None,
    check_token: Callable[[x509.Certificate], None] | None,
) -> x509.Certificate:
    token = _referenced_token(security, signature)
    if pinned is not None:
        if token is not None and token.public_bytes(
            serialization.Encoding.DER
        ) != pinned.public_bytes(serialization.Encoding.DER):
            raise WsSecurityError(
                "antwoord is ondertekend met een ander certificaat dan het vastgepinde "
                f"DUO-certificaat (subject {token.subject.rfc4514_string()})",
                "FailedAuthentication",
            )
        return pinned
    if token is None:
        raise WsSecurityError(
            "verzoek zonder wsse:BinarySecurityToken waar KeyInfo naar verwijst",
            "SecurityTokenUnavailable",
        )
    assert check_token is not None
    check_token(token)
    return token


def _referenced_token(
    security: etree._Element, signature: etree._Element
) -> x509.Certificate | None:
    """The X.509 token KeyInfo's SecurityTokenReference points at, or None without one."""
    reference = signature.find(
        f"{_q(DS, 'KeyInfo')}/{_q(WSSE, 'SecurityTokenReference')}/{_q(WSSE, 'Reference')}"
    )
    if reference is None:
        return None
    uri = reference.get("URI") or ""
    tokens = [
        token
        for token in security.findall(_q(WSSE, "BinarySecurityToken"))
        if "#" + (token.get(_q(WSU, "Id")) or "") == uri
    ]
    if len(tokens) != 1:
        raise WsSecurityError(
            f"SecurityTokenReference {uri} wijst niet naar precies een token",
            "SecurityTokenUnavailable",
        )
    token = tokens[0]
    if token.get("ValueType") != X509V3 or token.get("EncodingType", BASE64) != BASE64:
        raise WsSecurityError(
            "BinarySecurityToken is geen X509v3 in Base64Binary", "SecurityTokenUnavailable"
        )
    try:
        der = base64.b64decode("".join((token.text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise WsSecurityError(
            "BinarySecurityToken is geen leesbaar certificaat", "SecurityTokenUnavailable"
        ) from None


def _check_timestamp(
    timestamp: etree._Element, now: dt.datetime, policy: SecurityPolicy
) -> tuple[dt.datetime, dt.datetime]:
    created = _parse_time(timestamp.findtext(_q(WSU, "Created")), "Created")
    expires = _parse_time(timestamp.findtext(_q(WSU, "Expires")), "Expires")
    now = _aware(now)
    skew = policy.clock_skew
    if expires <= created:
        raise WsSecurityError("wsu:Timestamp: Expires ligt niet na Created", "InvalidSecurity")
    if created > now + skew:
        raise WsSecurityError(
            f"wsu:Timestamp: Created {format_time(created)} ligt in de toekomst "
            f"(nu {format_time(now)}); controleer de klok",
            "MessageExpired",
        )
    if expires <= now - skew:
        raise WsSecurityError(
            f"wsu:Timestamp verlopen om {format_time(expires)} (nu {format_time(now)})",
            "MessageExpired",
        )
    if now - created > policy.lifetime + skew:
        raise WsSecurityError(
            f"wsu:Timestamp te oud: Created {format_time(created)} (nu {format_time(now)})",
            "MessageExpired",
        )
    return created, expires


def _parse_time(text: str | None, name: str) -> dt.datetime:
    if not text or not text.strip():
        raise WsSecurityError(f"wsu:Timestamp: {name} ontbreekt", "InvalidSecurity")
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise WsSecurityError(
            f"wsu:Timestamp: {name} is geen datum-tijd", "InvalidSecurity"
        ) from None
    if moment.tzinfo is None:
        raise WsSecurityError(f"wsu:Timestamp: {name} zonder tijdzone (verwacht UTC, Z)",
                              "InvalidSecurity")  # fmt: skip
    return moment


def _check_confirmation(confirmation: etree._Element, expected: bytes) -> None:
    try:
        value = base64.b64decode("".join((confirmation.get("Value") or "").split()), validate=True)
    except binascii.Error:
        value = b""
    if value != expected:
        raise WsSecurityError(
            "wsse11:SignatureConfirmation bevestigt niet de handtekening van ons verzoek"
        )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _spki(public: object) -> bytes:
    return bytes(
        public.public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


# ----- the gateway's side ---------------------------------------------------------------------


class WsSecurity:
    """Profile 2W-be-S for the gateway: sign each request with the client key and certificate,
    verify each answer against DUO's pinned certificate (DOMAIN.md 3.4)."""

    def __init__(
        self,
        credentials: Credentials,
        duo_certificate: x509.Certificate,
        policy: SecurityPolicy = DEFAULT_POLICY,
        clock: Clock = utc_now,
    ) -> None:
        self.credentials = credentials
        self.duo_certificate = duo_certificate
        self.policy = policy
        self.clock = clock

    @classmethod
    def from_settings(cls, duo: DuoSettings, clock: Clock = utc_now) -> WsSecurity | None:
        """The signer of ``[duo]``, or None for profile 2W-be (TLS only)."""
        if duo.profiel != PROFILE_SIGNED:
            return None
        if duo.duo_cert is None:
            raise ConfigError("duo.duo_cert: verplicht bij profiel 2W-be-S")
        password = duo.client_key_password.get_secret_value() if duo.client_key_password else None
        credentials = Credentials.load(duo.client_cert, duo.client_key, password)
        try:
            pinned = x509.load_pem_x509_certificates(duo.duo_cert.read_bytes())[0]
        except (OSError, ValueError):
            raise ConfigError(
                f"duo.duo_cert: {duo.duo_cert} is geen leesbaar certificaat"
            ) from None
        policy = SecurityPolicy(
            lifetime=dt.timedelta(seconds=duo.timestamp_seconds),
            clock_skew=dt.timedelta(seconds=duo.clock_skew_seconds),
        )
        return cls(credentials, pinned, policy, clock)

    def sign_request(self, envelope: bytes) -> Signed:
        """Sign an envelope of ``gateway.duo.envelope.request_envelope``."""
        return sign_envelope(envelope, self.credentials, self.clock(), self.policy)

    def verify_reply(self, data: bytes, sent: Signed) -> Verified:
        """Verify DUO's answer to ``sent``: signed by the pinned DUO certificate over exactly
        Body, WS-Addressing headers, Timestamp and SignatureConfirmation; the confirmation equal
        to our signature; ``RelatesTo`` equal to our ``MessageID``; the Timestamp fresh.
        An unsigned SOAP Fault (DUO refusing our security) is a ``WsSecurityError`` naming it."""
        try:
            root = parse_bytes(data)
        except GatewayError as exc:
            raise WsSecurityError(f"antwoord is geen leesbare XML: {exc}") from None
        if not any(True for _ in root.iter(_q(DS, "Signature"))):
            fault = root.find(f"{_q(SOAP, 'Body')}/{_q(SOAP, 'Fault')}")
            if fault is not None:
                code = (fault.findtext("faultcode") or "").strip()
                text = (fault.findtext("faultstring") or "").strip()
                raise WsSecurityError(f"DUO weigerde het verzoek zonder ondertekend antwoord "
                                      f"({code}: {text[:200]})")  # fmt: skip
            raise WsSecurityError("antwoord van DUO is niet ondertekend (profiel 2W-be-S)")
        verified = verify_envelope(
            root,
            self.clock(),
            self.policy,
            pinned=self.duo_certificate,
            confirm=sent.signature_value,
        )
        if verified.relates_to != sent.message_id:
            raise WsSecurityError("antwoord hoort niet bij dit verzoek (wsa:RelatesTo wijkt af)")
        return verified

    def zeep_plugin(self) -> ZeepSignature:
        """The same signer as a zeep ``wsse`` object (see ``ZeepSignature``)."""
        return ZeepSignature(self)


class ZeepSignature:
    """A zeep-compatible ``wsse`` object (``zeep.Client(..., wsse=...)``) over ``WsSecurity``.

    zeep calls ``apply(envelope, headers)`` before sending and ``verify(envelope)`` on the
    answer. The runtime does not use zeep (README "Architecture"); this is for tools and tests
    that do. It keeps the last request's signature, so use one instance per concurrent call.
    """

    def __init__(self, security: WsSecurity) -> None:
        self.security = security
        self._last: Signed | None = None

    def apply(
        self, envelope: etree._Element, headers: dict[str, str]
    ) -> tuple[etree._Element, dict[str, str]]:
        signed = self.security.sign_request(etree.tostring(envelope))
        self._last = signed
        return parse_bytes(signed.envelope), headers

    def verify(self, envelope: etree._Element) -> etree._Element:
        if self._last is None:
            raise WsSecurityError("antwoord zonder ondertekend verzoek")
        self.security.verify_reply(etree.tostring(envelope), self._last)
        return envelope
