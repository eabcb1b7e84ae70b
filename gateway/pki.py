"""A test PKI for the machinekoppeling's two-way TLS (DOMAIN.md 3.4), for demos and tests only.

DUO and the schools use PKIoverheid certificates: RSA keys, TLS 1.2 or higher, and the school's
OIN in the client certificate's ``subject.serialNumber``. ``init_pki`` makes a stand-in for that
set-up with ``cryptography``: a test CA, a server certificate for the simulator (the hosts as
subject alternative names) and a client certificate carrying the OIN, all signed by the test CA.
``init_foreign_client`` makes a client certificate from *another* CA, which the simulator must
refuse. For profile 2W-be-S (WS-Security) ``init_pki`` also writes the simulator's signing
certificate (``duo-sign.pem``: the "DUO certificate" the gateway pins). ``issue_server_cert``
and ``write_crl`` make an expired or wrong-host server certificate and a CRL for the TLS tests.
Private keys are written with mode 0600.

These certificates are worthless outside a test: never trust ``ca.pem`` anywhere else.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.errors import ConfigError

DEFAULT_OIN = "00000007" + "99XX" + "00000000"
"""The OIN of the sample school: prefix ``00000007`` + BRIN ``99XX`` + eight zeros (DOMAIN.md 2)."""

SIMULATOR_OIN = "00000001" + "000000000000"
"""The OIN in the simulator's signing certificate: a stand-in, not DUO's real OIN."""

KEY_SIZE = 2048
_OIN = re.compile(r"[0-9A-Z]{20}")
_OIN_BRIN = re.compile(r"00000007([0-9]{2}[A-Z0-9]{2})[0-9A-Z]{8}")


@dataclass(frozen=True, slots=True)
class PkiFiles:
    """The files of a test PKI made by ``init_pki`` (all PEM)."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    server_chain: Path
    client_cert: Path
    client_key: Path
    oin: str
    signing_cert: Path | None = None
    """The simulator's WS-Security signing certificate (2W-be-S): the one the gateway pins."""
    signing_key: Path | None = None


@dataclass(frozen=True, slots=True)
class ClientFiles:
    """A client certificate and key, and the CA that signed it (``init_foreign_client``)."""

    ca_cert: Path
    client_cert: Path
    client_key: Path
    oin: str


@dataclass(frozen=True, slots=True)
class _Issued:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def init_pki(
    directory: Path,
    oin: str = DEFAULT_OIN,
    hosts: Sequence[str] = ("127.0.0.1", "localhost"),
    days: int = 365,
    now: dt.datetime | None = None,
    *,
    overwrite: bool = False,
) -> PkiFiles:
    """Write a test CA, a server certificate for ``hosts`` and a client certificate with ``oin``
    in its ``subject.serialNumber`` (DOMAIN.md 3.4) into ``directory``.

    Files: ``ca.pem``, ``ca-key.pem``, ``server.pem``, ``server-key.pem``, ``server-chain.pem``
    (server + CA), ``client.pem``, ``client-key.pem``, ``duo-sign.pem``, ``duo-sign-key.pem``
    (the simulator's WS-Security signing certificate, to pin as ``duo.duo_cert``). An existing
    ``ca.pem`` is kept unless ``overwrite`` is true (``ConfigError``), so a CA that others
    already trust is not replaced by accident.
    """
    check_oin(oin)
    if days < 1:
        raise ConfigError(f"geldigheid moet minstens 1 dag zijn, niet {days}")
    if not hosts:
        raise ConfigError("geef minstens één host voor het servercertificaat")
    files = _layout(directory, oin)
    if files.ca_cert.exists() and not overwrite:
        raise ConfigError(f"{files.ca_cert} bestaat al; kies een lege map of overschrijf bewust")
    directory.mkdir(parents=True, exist_ok=True)
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=days)
    ca = _make_ca("verzuim-gateway test-CA (alleen voor tests)", start, end)
    server = _issue(ca, _server_subject(hosts[0]), start, end, server_hosts=hosts)
    client = _issue(ca, _client_subject(oin), start, end)
    signing = _issue(ca, _signing_subject(), start, end, signing=True)
    _write_cert(files.ca_cert, ca.cert)
    _write_key(files.ca_key, ca.key)
    _write_cert(files.server_cert, server.cert)
    _write_key(files.server_key, server.key)
    _write_cert(files.server_chain, server.cert, ca.cert)
    _write_cert(files.client_cert, client.cert)
    _write_key(files.client_key, client.key)
    assert files.signing_cert is not None and files.signing_key is not None
    _write_cert(files.signing_cert, signing.cert)
    _write_key(files.signing_key, signing.key)
    return files


def issue_server_cert(
    pki: PkiFiles,
    directory: Path,
    hosts: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
) -> PkiFiles:
    """A copy of ``pki`` in ``directory`` whose server certificate (signed by the same CA) is for
    ``hosts`` and valid from ``start`` to ``end``: an expired or wrong-host server for tests."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in pki.directory.iterdir():
        if source.is_file():
            (directory / source.name).write_bytes(source.read_bytes())
            (directory / source.name).chmod(source.stat().st_mode & 0o777)
    files = _layout(directory, pki.oin)
    ca = _Issued(
        x509.load_pem_x509_certificate(pki.ca_cert.read_bytes()),
        _read_rsa_key(pki.ca_key),
    )
    server = _issue(ca, _server_subject(hosts[0]), start, end, server_hosts=hosts)
    _write_cert(files.server_cert, server.cert)
    _write_key(files.server_key, server.key)
    _write_cert(files.server_chain, server.cert, ca.cert)
    return files


def write_crl(
    pki: PkiFiles,
    path: Path,
    revoked: Sequence[Path] = (),
    now: dt.datetime | None = None,
    days: int = 7,
) -> Path:
    """A PEM CRL of the test CA revoking the certificates in ``revoked`` (for ``duo.crl_file``)."""
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(start)
        .next_update(start + dt.timedelta(days=days))
    )
    for cert_path in revoked:
        serial = x509.load_pem_x509_certificate(cert_path.read_bytes()).serial_number
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(start).build()
        )
    crl = builder.sign(_read_rsa_key(pki.ca_key), hashes.SHA256())
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def _read_rsa_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{path} is geen RSA-sleutel")
    return key


def init_foreign_client(
    directory: Path,
    oin: str = DEFAULT_OIN,
    days: int = 365,
    now: dt.datetime | None = None,
) -> ClientFiles:
    """A client certificate with ``oin`` signed by a *different* CA (for negative tests): the
    simulator must refuse it in the TLS handshake. Files ``foreign-ca.pem``,
    ``foreign-client.pem`` and ``foreign-client-key.pem`` in ``directory`` (overwritten)."""
    check_oin(oin)
    directory.mkdir(parents=True, exist_ok=True)
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=days)
    ca = _make_ca("verzuim-gateway vreemde test-CA", start, end)
    client = _issue(ca, _client_subject(oin), start, end)
    files = ClientFiles(
        ca_cert=directory / "foreign-ca.pem",
        client_cert=directory / "foreign-client.pem",
        client_key=directory / "foreign-client-key.pem",
        oin=oin,
    )
    _write_cert(files.ca_cert, ca.cert)
    _write_cert(files.client_cert, client.cert)
    _write_key(files.client_key, client.key)
    return files


def pki_files(directory: Path) -> PkiFiles:
    """The ``PkiFiles`` of an existing test PKI in ``directory`` (its OIN read from
    ``client.pem``); ``ConfigError`` when a file is missing."""
    layout = _layout(directory, "")
    for path in (layout.ca_cert, layout.server_cert, layout.server_key, layout.client_cert):
        if not path.is_file():
            raise ConfigError(f"test-PKI onvolledig: {path} ontbreekt (maak hem met pki init)")
    return _layout(directory, read_oin(layout.client_cert))


def read_oin(cert_path: Path) -> str:
    """The OIN in the ``subject.serialNumber`` of a PEM certificate (DOMAIN.md 3.4)."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"certificaat {cert_path} niet te lezen: {exc}") from None
    return oin_of(cert.subject)


def oin_of(subject: x509.Name) -> str:
    """The OIN in a certificate subject's ``serialNumber``; ``ConfigError`` without one."""
    values = subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not values:
        raise ConfigError("het certificaat heeft geen serialNumber (OIN) in het subject")
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def brin_of_oin(oin: str) -> str | None:
    """The BRIN carried by an OIN with prefix ``00000007`` (DOMAIN.md 2), else None."""
    match = _OIN_BRIN.fullmatch(oin)
    return match.group(1) if match else None


def check_oin(oin: str) -> str:
    """``oin`` when it is 20 digits or capitals (an OIN, DOMAIN.md 2), else ``ConfigError``."""
    if not _OIN.fullmatch(oin):
        raise ConfigError(f"OIN moet 20 tekens zijn (cijfers of hoofdletters), niet {oin!r}")
    return oin


def pki_init_command(directory: Path, oin: str | None) -> str:
    """``verzuim pki init DIR [--oin OIN]``: make the test PKI and say what was written."""
    files = init_pki(directory, oin or DEFAULT_OIN)
    lines = [
        f"Test-PKI aangemaakt in {files.directory} (alleen voor tests en demo's):",
        f"  CA:           {files.ca_cert.name}, {files.ca_key.name}",
        f"  server:       {files.server_cert.name}, {files.server_key.name}, "
        f"{files.server_chain.name}",
        f"  client (OIN {files.oin}): {files.client_cert.name}, {files.client_key.name}",
        f"  ondertekening simulator (2W-be-S, vastpinnen als duo.duo_cert): "
        f"{files.signing_cert.name if files.signing_cert else '-'}",
        "Sleutels zijn alleen leesbaar voor de eigenaar (0600).",
        f"Start de simulator met: verzuim simulator --pki {files.directory}",
    ]
    return "\n".join(lines)


# ----- parts -----


def _layout(directory: Path, oin: str) -> PkiFiles:
    return PkiFiles(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca-key.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server-key.pem",
        server_chain=directory / "server-chain.pem",
        client_cert=directory / "client.pem",
        client_key=directory / "client-key.pem",
        oin=oin,
        signing_cert=directory / "duo-sign.pem",
        signing_key=directory / "duo-sign-key.pem",
    )


def _new_key() -> rsa.RSAPrivateKey:
    """RSA, as PKIoverheid uses (DOMAIN.md 3.4)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def _make_ca(name: str, start: dt.datetime, end: dt.datetime) -> _Issued:
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "verzuim-gateway test"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _Issued(cert, key)


def _server_subject(host: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DUO-simulator (test)"),
            x509.NameAttribute(NameOID.COMMON_NAME, host),
        ]
    )


def _client_subject(oin: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Proefschool (test)"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
            x509.NameAttribute(NameOID.COMMON_NAME, "verzuim-gateway testclient"),
        ]
    )


def _signing_subject() -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DUO-simulator (test)"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, SIMULATOR_OIN),
            x509.NameAttribute(NameOID.COMMON_NAME, "DUO-simulator ondertekening (test)"),
        ]
    )


def _issue(
    ca: _Issued,
    subject: x509.Name,
    start: dt.datetime,
    end: dt.datetime,
    *,
    server_hosts: Sequence[str] = (),
    signing: bool = False,
) -> _Issued:
    """A leaf certificate signed by ``ca``: a server certificate when ``server_hosts`` is given
    (the hosts as SANs), a WS-Security signing certificate with ``signing``, else a client
    certificate."""
    key = _new_key()
    public = key.public_key()
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server_hosts else ExtendedKeyUsageOID.CLIENT_AUTH
    if signing:  # a services certificate used for both; PKIoverheid gives serverAuth+clientAuth
        usage = ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    if server_hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_san(host) for host in server_hosts]), critical=False
        )
    return _Issued(builder.sign(ca.key, hashes.SHA256()), key)


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_cert(path: Path, *certs: x509.Certificate) -> None:
    path.write_bytes(b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs))


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    """Write a private key readable by the owner only (0600), also when the file existed."""
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
