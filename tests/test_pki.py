"""The test PKI (issue 4; DOMAIN.md 3.4): a CA, a server certificate for the hosts, a client
certificate with the OIN in ``subject.serialNumber``, RSA 2048, keys 0600, and a client
certificate from another CA for negative tests."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from gateway.errors import ConfigError
from gateway.pki import (
    DEFAULT_OIN,
    PkiFiles,
    brin_of_oin,
    init_foreign_client,
    init_pki,
    pki_files,
    pki_init_command,
    read_oin,
)

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"), days=30, now=NOW)


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_files_and_private_keys_readable_by_owner_only(pki: PkiFiles) -> None:
    names = sorted(path.name for path in pki.directory.iterdir())
    assert names == [
        "ca-key.pem",
        "ca.pem",
        "client-key.pem",
        "client.pem",
        "duo-sign-key.pem",
        "duo-sign.pem",
        "server-chain.pem",
        "server-key.pem",
        "server.pem",
    ]
    for key in (pki.ca_key, pki.server_key, pki.client_key, pki.signing_key):
        assert key is not None
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        private = serialization.load_pem_private_key(key.read_bytes(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048


def test_client_certificate_carries_the_oin_and_is_signed_by_the_ca(pki: PkiFiles) -> None:
    assert pki.oin == DEFAULT_OIN == "0000000799XX00000000"
    assert read_oin(pki.client_cert) == DEFAULT_OIN
    client, ca = cert(pki.client_cert), cert(pki.ca_cert)
    client.verify_directly_issued_by(ca)
    usage = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert client.not_valid_before_utc <= NOW < client.not_valid_after_utc
    assert client.not_valid_after_utc - client.not_valid_before_utc == dt.timedelta(days=30)


def test_server_certificate_names_the_hosts(pki: PkiFiles) -> None:
    server, ca = cert(pki.server_cert), cert(pki.ca_cert)
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    chain = x509.load_pem_x509_certificates(pki.server_chain.read_bytes())
    assert chain == [server, ca]
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca


def test_foreign_client_is_not_signed_by_the_test_ca(pki: PkiFiles, tmp_path: Path) -> None:
    foreign = init_foreign_client(tmp_path)
    assert read_oin(foreign.client_cert) == DEFAULT_OIN
    cert(foreign.client_cert).verify_directly_issued_by(cert(foreign.ca_cert))
    with pytest.raises(ValueError):
        cert(foreign.client_cert).verify_directly_issued_by(cert(pki.ca_cert))


def test_existing_ca_is_not_overwritten_by_accident(tmp_path: Path) -> None:
    first = init_pki(tmp_path, oin="00000007" + "12AB" + "00000001")
    with pytest.raises(ConfigError, match="bestaat al"):
        init_pki(tmp_path)
    assert pki_files(tmp_path) == first
    second = init_pki(tmp_path, overwrite=True)
    assert read_oin(second.client_cert) == DEFAULT_OIN


@pytest.mark.parametrize("oin", ["123", "0000000799xx00000000", "0000000799XX000000000"])
def test_bad_oin_is_refused(tmp_path: Path, oin: str) -> None:
    with pytest.raises(ConfigError, match="OIN"):
        init_pki(tmp_path, oin=oin)
    assert not (tmp_path / "ca.pem").exists()


def test_pki_files_of_an_incomplete_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ontbreekt"):
        pki_files(tmp_path)


def test_brin_of_oin() -> None:
    assert brin_of_oin(DEFAULT_OIN) == "99XX"
    assert brin_of_oin("00000001234567890000") is None


def test_pki_init_command_says_what_it_wrote(tmp_path: Path) -> None:
    text = pki_init_command(tmp_path / "pki", "00000007" + "12AB" + "00000000")
    assert "0000000712AB00000000" in text
    assert "client.pem" in text and "0600" in text
    assert f"verzuim simulator --pki {tmp_path / 'pki'}" in text
    assert read_oin(tmp_path / "pki" / "client.pem") == "0000000712AB00000000"
