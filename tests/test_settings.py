"""Settings (DESIGN.md 2 row "config"; DOMAIN.md 3.4): TOML + ``VERZUIM_*`` environment, secrets
from files, readable errors, and the start-up checks of ``check_settings``.

Certificates are made here with ``cryptography``: a PKIoverheid-like client certificate carries
the school's OIN in ``subject.serialNumber``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.errors import ConfigError
from gateway.settings import (
    Settings,
    SettingsCheck,
    certificate_days_left,
    check_settings,
    load_settings,
)

OIN = "00000001234567890000"
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
SCHOOL_TOML = """\
[school]
brin = "99XX"
vestiging = "01"
naam = "Proefschool"
sector = "vo"

[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"
"""


def make_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(
    key: ec.EllipticCurvePrivateKey,
    *,
    oin: str | None = OIN,
    not_before: dt.datetime = NOW - dt.timedelta(days=10),
    not_after: dt.datetime = NOW + dt.timedelta(days=365),
) -> bytes:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, "proefschool.example")]
    if oin is not None:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, oin))
    name = x509.Name(attributes)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@dataclass
class Setup:
    """A complete, valid configuration directory."""

    directory: Path
    config: Path
    key: ec.EllipticCurvePrivateKey

    @property
    def pki(self) -> Path:
        return self.directory / "pki"

    def load(self, env: dict[str, str] | None = None) -> Settings:
        return load_settings(self.config, env or {})

    def check(self, env: dict[str, str] | None = None) -> SettingsCheck:
        return check_settings(self.load(env), NOW)


CONFIG_TOML = f"""\
school = "school.toml"
store_url = "sqlite:///data/verzuim.db"

[duo]
endpoint = "https://127.0.0.1:8443/verzuim/v1"
client_cert = "pki/client.pem"
client_key = "pki/client-key.pem"
trust_bundle = "pki/ca.pem"
oin = "{OIN}"
timeout_seconds = 30
concurrency = 4

[logging]
level = "info"
format = "json"
"""


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    directory = tmp_path / "etc"
    (directory / "pki").mkdir(parents=True)
    (directory / "data").mkdir()
    key = make_key()
    (directory / "pki" / "client.pem").write_bytes(make_cert(key))
    (directory / "pki" / "client-key.pem").write_bytes(key_pem(key))
    (directory / "pki" / "client-key.pem").chmod(0o600)
    (directory / "pki" / "ca.pem").write_bytes(make_cert(make_key(), oin=None))
    (directory / "school.toml").write_text(SCHOOL_TOML, encoding="utf-8")
    config = directory / "verzuim.toml"
    config.write_text(CONFIG_TOML, encoding="utf-8")
    return Setup(directory, config, key)


# --- loading ----------------------------------------------------------------------------------


def test_toml_values_are_read_and_defaults_fill_the_rest(setup: Setup) -> None:
    settings = setup.load()
    assert settings.duo.oin == OIN
    assert settings.duo.endpoint == "https://127.0.0.1:8443/verzuim/v1"
    assert settings.duo.connect_timeout_seconds == 10  # default
    assert settings.duo.max_attempts == 3
    assert settings.logging.level == "INFO"  # upper-cased
    assert settings.logging.format == "json"


def test_environment_overrides_toml_nested_with_double_underscore(setup: Setup) -> None:
    settings = setup.load(
        {
            "VERZUIM_DUO__ENDPOINT": "https://duo.example/verzuim/v1",
            "verzuim_duo__concurrency": "8",  # case-insensitive
            "VERZUIM_LOGGING__LEVEL": "debug",
            "VERZUIM_STORE_URL": "postgresql://gateway@db/verzuim",
            "UNRELATED": "x",
        }
    )
    assert settings.duo.endpoint == "https://duo.example/verzuim/v1"
    assert settings.duo.concurrency == 8
    assert settings.duo.oin == OIN  # the rest of [duo] still comes from the file
    assert settings.duo.timeout_seconds == 30
    assert settings.logging.level == "DEBUG"
    assert settings.store_url == "postgresql://gateway@db/verzuim"


def test_relative_paths_are_relative_to_the_config_file(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = setup.load()
    etc = setup.directory.absolute()
    assert settings.school == etc / "school.toml"
    assert settings.duo.client_cert == etc / "pki" / "client.pem"
    assert settings.duo.client_key == etc / "pki" / "client-key.pem"
    assert settings.duo.trust_bundle == etc / "pki" / "ca.pem"
    assert settings.store_url == f"sqlite:///{etc / 'data' / 'verzuim.db'}"


def test_absolute_paths_and_environment_paths_are_kept(setup: Setup) -> None:
    setup.config.write_text(
        CONFIG_TOML.replace('"pki/ca.pem"', '"/etc/ssl/pkioverheid.pem"').replace(
            "sqlite:///data/verzuim.db", "sqlite:////var/lib/verzuim.db"
        ),
        encoding="utf-8",
    )
    settings = setup.load({"VERZUIM_DUO__CLIENT_CERT": "certs/other.pem"})
    assert settings.duo.trust_bundle == Path("/etc/ssl/pkioverheid.pem")
    assert settings.store_url == "sqlite:////var/lib/verzuim.db"
    assert settings.duo.client_cert == Path("certs/other.pem")  # relative to the working dir


def test_missing_default_file_gives_defaults_but_a_named_file_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, {"VERZUIM_DUO__OIN": OIN})
    assert settings.duo.oin == OIN
    assert settings.store_url == "sqlite:///verzuim.db"
    with pytest.raises(ConfigError, match=r"niet gevonden.*--config"):
        load_settings(tmp_path / "nope.toml", {})
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_settings(None, {"VERZUIM_CONFIG": str(tmp_path / "nope.toml")})


def test_config_file_from_verzuim_config(setup: Setup) -> None:
    settings = load_settings(None, {"VERZUIM_CONFIG": str(setup.config)})
    assert settings.duo.oin == OIN


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "verzuim.toml"
    config.write_text("[duo\nendpoint = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="geen geldige TOML"):
        load_settings(config, {})


def test_pydantic_errors_become_one_readable_message_naming_every_key(tmp_path: Path) -> None:
    config = tmp_path / "verzuim.toml"
    config.write_text(
        'colour = "blue"\n[duo]\noin = 12\nconcurrency = 0\n[logging]\nformat = "xml"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(config, {"VERZUIM_DUO__TIMEOUT_SECONDS": "hunter2"})
    message = str(info.value)
    assert "colour (VERZUIM_COLOUR): onbekende sleutel" in message
    assert "duo.oin (VERZUIM_DUO__OIN): moet tekst zijn" in message
    assert "duo.concurrency (VERZUIM_DUO__CONCURRENCY): moet minstens 1 zijn" in message
    assert "duo.timeout_seconds (VERZUIM_DUO__TIMEOUT_SECONDS): moet een getal zijn" in message
    assert "logging.format (VERZUIM_LOGGING__FORMAT): moet een van" in message
    assert "hunter2" not in message  # values are never quoted
    assert "Input should" not in message and "errors.pydantic.dev" not in message


def test_typo_in_environment_variable_of_a_table_is_refused(setup: Setup) -> None:
    with pytest.raises(ConfigError, match=r"duo\.endpiont .*onbekende sleutel"):
        setup.load({"VERZUIM_DUO__ENDPIONT": "https://x"})


def test_backoff_maximum_below_first_backoff_is_refused(setup: Setup) -> None:
    with pytest.raises(ConfigError, match="retry_backoff_max_seconds moet minstens"):
        setup.load({"VERZUIM_DUO__RETRY_BACKOFF_MAX_SECONDS": "10"})


def test_secrets_come_from_files_and_stay_out_of_repr(setup: Setup, tmp_path: Path) -> None:
    url_file = tmp_path / "store_url"
    url_file.write_text("postgresql://gateway:s3cr3t@db/verzuim\n", encoding="utf-8")
    password_file = tmp_path / "key_password"
    password_file.write_text("pa55word\n", encoding="utf-8")
    settings = setup.load(
        {
            "VERZUIM_STORE_URL_FILE": str(url_file),
            "VERZUIM_DUO__CLIENT_KEY_PASSWORD_FILE": str(password_file),
        }
    )
    assert settings.store_url == "postgresql://gateway:s3cr3t@db/verzuim"
    assert settings.duo.client_key_password is not None
    assert settings.duo.client_key_password.get_secret_value() == "pa55word"
    assert "s3cr3t" not in repr(settings)
    assert "pa55word" not in repr(settings)


def test_secret_file_in_toml_is_relative_to_the_config_file(setup: Setup) -> None:
    (setup.directory / "store_url.secret").write_text("sqlite:///x.db", encoding="utf-8")
    setup.config.write_text(
        'store_url_file = "store_url.secret"\n[duo]\noin = "' + OIN + '"\n', encoding="utf-8"
    )
    assert setup.load().store_url == "sqlite:///x.db"


def test_secret_and_its_file_twin_together_are_refused(setup: Setup, tmp_path: Path) -> None:
    url_file = tmp_path / "store_url"
    url_file.write_text("sqlite:///x.db", encoding="utf-8")
    with pytest.raises(ConfigError, match="store_url of store_url_file, niet allebei"):
        setup.load({"VERZUIM_STORE_URL_FILE": str(url_file), "VERZUIM_STORE_URL": "sqlite://"})


def test_unreadable_secret_file_names_the_key(setup: Setup, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"client_key_password_file: bestand .* niet leesbaar"):
        setup.load({"VERZUIM_DUO__CLIENT_KEY_PASSWORD_FILE": str(tmp_path / "missing")})


def test_direct_construction_prefers_keyword_arguments() -> None:
    settings = Settings(duo={"oin": OIN, "endpoint": "https://a.example/"})  # type: ignore[arg-type]
    assert settings.duo.oin == OIN


# --- check_settings ---------------------------------------------------------------------------


def test_a_complete_valid_setup_has_no_errors_or_warnings(setup: Setup) -> None:
    result = setup.check()
    assert result.errors == ()
    assert result.warnings == ()
    assert result.ok
    assert result.certificate_days_left == 365
    result.raise_for_errors()  # nothing raised


def test_expired_certificate_is_an_error(setup: Setup) -> None:
    (setup.pki / "client.pem").write_bytes(
        make_cert(setup.key, not_before=NOW - dt.timedelta(days=400), not_after=NOW)
    )
    result = setup.check()
    assert any("verlopen op 2026-11-29" in e and "nieuw" in e for e in result.errors)
    assert result.certificate_days_left == 0


def test_certificate_not_yet_valid_is_an_error(setup: Setup) -> None:
    (setup.pki / "client.pem").write_bytes(
        make_cert(setup.key, not_before=NOW + dt.timedelta(days=2))
    )
    result = setup.check()
    assert any("pas geldig vanaf" in e and "klok" in e for e in result.errors)


def test_certificate_close_to_expiry_is_a_warning(setup: Setup) -> None:
    (setup.pki / "client.pem").write_bytes(
        make_cert(setup.key, not_after=NOW + dt.timedelta(days=12, hours=3))
    )
    result = setup.check()
    assert result.ok
    assert result.certificate_days_left == 12
    assert any("verloopt over 12 dagen" in w for w in result.warnings)


def test_key_that_does_not_match_the_certificate(setup: Setup) -> None:
    (setup.pki / "client-key.pem").write_bytes(key_pem(make_key()))
    result = setup.check()
    assert [e for e in result.errors if "hoort niet bij het certificaat" in e]


def test_http_endpoint_is_an_error(setup: Setup) -> None:
    result = setup.check({"VERZUIM_DUO__ENDPOINT": "http://127.0.0.1:8080/verzuim/v1"})
    assert any(e.startswith("duo.endpoint: moet met https://") for e in result.errors)


def test_endpoint_with_credentials_is_an_error_without_quoting_them(setup: Setup) -> None:
    result = setup.check({"VERZUIM_DUO__ENDPOINT": "https://user:geheim@duo.example/"})
    assert any("gebruikersnaam of wachtwoord" in e for e in result.errors)
    assert all("geheim" not in e for e in result.errors)


def test_oin_not_matching_the_certificate(setup: Setup) -> None:
    other = "00000009999999990000"
    result = setup.check({"VERZUIM_DUO__OIN": other})
    assert any(
        e.startswith(f"duo.oin: {other} is niet het OIN in het certificaat ({OIN})")
        for e in result.errors
    )


@pytest.mark.parametrize("oin", ["1234", "0000000123456789000x", "000000012345678900001"])
def test_oin_must_be_twenty_digits_or_capitals(setup: Setup, oin: str) -> None:
    result = setup.check({"VERZUIM_DUO__OIN": oin})
    assert any(e.startswith("duo.oin: een OIN is precies 20 cijfers") for e in result.errors)


def test_oin_may_carry_a_brin_with_letters(setup: Setup) -> None:
    result = setup.check({"VERZUIM_DUO__OIN": "0000000799XX00000000"})
    assert not any(e.startswith("duo.oin: een OIN") for e in result.errors)


def test_missing_oin(setup: Setup) -> None:
    result = setup.check({"VERZUIM_DUO__OIN": ""})
    assert any(e.startswith("duo.oin: ontbreekt") for e in result.errors)


def test_certificate_without_serial_number(setup: Setup) -> None:
    (setup.pki / "client.pem").write_bytes(make_cert(setup.key, oin=None))
    result = setup.check()
    assert any("geen serialNumber (OIN)" in e for e in result.errors)


def test_missing_files_are_each_named(setup: Setup) -> None:
    for name in ("client.pem", "client-key.pem", "ca.pem"):
        (setup.pki / name).unlink()
    (setup.directory / "school.toml").unlink()
    (setup.directory / "data").rmdir()
    result = setup.check()
    text = "\n".join(result.errors)
    assert f"duo.client_cert: bestand {setup.pki / 'client.pem'} niet gevonden" in text
    assert f"duo.client_key: bestand {setup.pki / 'client-key.pem'} niet gevonden" in text
    assert f"duo.trust_bundle: bestand {setup.pki / 'ca.pem'} niet gevonden" in text
    assert "school: schoolbestand" in text
    assert "store_url: de map" in text
    assert result.certificate_days_left is None
    with pytest.raises(ConfigError) as info:
        result.raise_for_errors()
    assert str(info.value).count("\n- ") == len(result.errors)


def test_invalid_school_file_is_reported(setup: Setup) -> None:
    (setup.directory / "school.toml").write_text('[school]\nbrin = "x"\n', encoding="utf-8")
    result = setup.check()
    assert any(e.startswith("school: ") and "school.brin" in e for e in result.errors)


def test_files_that_are_not_pem(setup: Setup) -> None:
    (setup.pki / "client.pem").write_text("not a certificate", encoding="utf-8")
    (setup.pki / "client-key.pem").write_text("not a key", encoding="utf-8")
    (setup.pki / "ca.pem").write_text("", encoding="utf-8")
    text = "\n".join(setup.check().errors)
    assert "duo.client_cert: " in text and "geen leesbaar PEM-certificaat" in text
    assert "duo.client_key: " in text and "geen leesbare PEM-privésleutel" in text
    assert "duo.trust_bundle: " in text


def test_key_readable_by_others_is_a_warning_not_an_error(setup: Setup) -> None:
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    (setup.pki / "client-key.pem").chmod(0o644)
    result = setup.check()
    assert result.ok
    assert any(
        w.startswith("duo.client_key: ") and "0644" in w and "chmod 600" in w
        for w in result.warnings
    )


def test_encrypted_key_needs_its_password(setup: Setup, tmp_path: Path) -> None:
    (setup.pki / "client-key.pem").write_bytes(key_pem(setup.key, b"pa55word"))
    result = setup.check()
    assert any("is versleuteld" in e for e in result.errors)

    password_file = tmp_path / "pw"
    password_file.write_text("pa55word\n", encoding="utf-8")
    password_file.chmod(0o600)
    assert setup.check({"VERZUIM_DUO__CLIENT_KEY_PASSWORD_FILE": str(password_file)}).ok

    password_file.write_text("wrong\n", encoding="utf-8")
    errors = setup.check({"VERZUIM_DUO__CLIENT_KEY_PASSWORD_FILE": str(password_file)}).errors
    assert any("wachtwoord klopt niet" in e for e in errors)
    assert all("wrong" not in e for e in errors)


def test_messages_never_contain_key_material(setup: Setup) -> None:
    pem = (setup.pki / "client-key.pem").read_text(encoding="ascii")
    (setup.pki / "client-key.pem").write_text(pem[:-40], encoding="ascii")  # broken key
    (setup.pki / "client-key.pem").chmod(0o644)
    result = setup.check()
    body_lines = [line for line in pem.splitlines() if line and "-----" not in line]
    for message in (*result.errors, *result.warnings):
        assert "PRIVATE KEY" not in message
        assert not any(line in message for line in body_lines)


def test_expired_certificate_in_trust_bundle_is_a_warning(setup: Setup) -> None:
    expired = make_cert(make_key(), oin=None, not_after=NOW - dt.timedelta(days=1))
    fresh = make_cert(make_key(), oin=None)
    (setup.pki / "ca.pem").write_bytes(fresh + expired)
    result = setup.check()
    assert result.ok
    assert any("1 van de 2 certificaten zijn verlopen" in w for w in result.warnings)


# --- certificate_days_left ----------------------------------------------------------------------


def test_certificate_days_left(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_bytes(make_cert(make_key(), not_after=NOW + dt.timedelta(days=30, hours=1)))
    assert certificate_days_left(cert, NOW) == 30
    assert certificate_days_left(cert, NOW + dt.timedelta(days=31)) == -1
    assert certificate_days_left(cert, NOW.replace(tzinfo=None)) == 30  # naive = UTC


def test_certificate_days_left_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="niet gevonden"):
        certificate_days_left(tmp_path / "missing.pem", NOW)


def test_the_higher_source_decides_between_a_secret_and_its_file(
    setup: Setup, tmp_path: Path
) -> None:
    url_file = tmp_path / "store_url"
    url_file.write_text("sqlite:///from-file.db\n", encoding="utf-8")
    setup.config.write_text(f'store_url_file = "{url_file}"\n', encoding="utf-8")
    assert setup.load().store_url == "sqlite:///from-file.db"
    assert setup.load({"VERZUIM_STORE_URL": "sqlite:///env.db"}).store_url == "sqlite:///env.db"


def test_a_lease_shorter_than_the_longest_send_is_a_warning(setup: Setup) -> None:
    assert not any(w.startswith("duo.lease_seconds") for w in setup.check().warnings)  # default
    short = setup.check({"VERZUIM_DUO__LEASE_SECONDS": "60"})  # 3 x (10 + 30) + 4 = 124 s
    assert short.ok  # a warning, not an error
    (warning,) = [w for w in short.warnings if w.startswith("duo.lease_seconds")]
    assert "124 s" in warning and "248" in warning


def test_a_vendor_configuration_checks_every_school_file(setup: Setup) -> None:
    text = setup.config.read_text(encoding="utf-8").replace('school = "school.toml"\n', "")
    text += '\n[[sync.schools]]\nschool = "school.toml"\n[[sync.schools]]\nschool = "gone.toml"\n'
    setup.config.write_text(text, encoding="utf-8")
    errors = setup.check().errors
    assert any(e.startswith("sync.schools[1].school: ") and "gone.toml" in e for e in errors)
    assert not any(e.startswith("school:") for e in errors)  # the top-level school is unused
    assert not any(e.startswith("sync.schools[0]") for e in errors)
