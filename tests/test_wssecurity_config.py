"""Configuration and certificates of profile 2W-be-S (issue 7, DOMAIN.md 3.4): the ``[duo]``
keys, ``check_settings`` on the pinned DUO certificate and the CRL, and ``verzuim check-cert``
(exit 1 for an expired certificate, one that does not chain to the trust bundle or does not
match its key; a warning from 30 days before expiry)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gateway.cli import app
from gateway.duo.wssecurity import WsSecurity
from gateway.errors import ConfigError
from gateway.pki import PkiFiles, init_foreign_client, init_pki, write_crl
from gateway.settings import check_settings, load_settings

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"), now=NOW)  # valid at NOW, however late


def config(tmp_path: Path, pki: PkiFiles, **duo: object) -> Path:
    values: dict[str, object] = {
        "endpoint": "https://127.0.0.1:8443/verzuim/v1",
        "client_cert": pki.client_cert,
        "client_key": pki.client_key,
        "trust_bundle": pki.ca_cert,
        "oin": pki.oin,
        "profiel": "2W-be-S",
        "duo_cert": pki.signing_cert,
    }
    values.update(duo)
    lines = ["[duo]"]
    for key, value in values.items():
        if value is not None:
            lines.append(
                f'{key} = "{value}"' if not isinstance(value, float) else f"{key} = {value}"
            )
    path = tmp_path / "verzuim.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check_cert(path: Path) -> Result:
    return CliRunner().invoke(app, ["check-cert", "--config", str(path)], env={"COLUMNS": "200"})


def test_profile_defaults_to_2w_be_and_2w_be_s_needs_a_pinned_certificate(
    pki: PkiFiles, tmp_path: Path
) -> None:
    plain = load_settings(config(tmp_path, pki, profiel=None, duo_cert=None), env={})
    assert plain.duo.profiel == "2W-be" and WsSecurity.from_settings(plain.duo) is None
    with pytest.raises(ConfigError, match=r"duo\.duo_cert: verplicht bij profiel 2W-be-S"):
        load_settings(config(tmp_path, pki, duo_cert=None), env={})
    with pytest.raises(ConfigError, match=r"duo\.profiel"):
        load_settings(config(tmp_path, pki, profiel="2W-bes"), env={})
    signed = load_settings(config(tmp_path, pki, timestamp_seconds=120.0), env={})
    security = WsSecurity.from_settings(signed.duo)
    assert security is not None and security.policy.lifetime == dt.timedelta(seconds=120)


def test_check_settings_checks_the_pinned_certificate_and_the_crl(
    pki: PkiFiles, tmp_path: Path
) -> None:
    expired = init_pki(tmp_path / "oud", now=NOW - dt.timedelta(days=400), days=30)
    settings = load_settings(config(tmp_path, pki, duo_cert=expired.signing_cert), env={})
    result = check_settings(settings, NOW)
    assert any("duo.duo_cert: het DUO-certificaat is verlopen" in e for e in result.errors)

    soon = init_pki(tmp_path / "kort", days=10, now=NOW)
    settings = load_settings(config(tmp_path, pki, duo_cert=soon.signing_cert), env={})
    result = check_settings(settings, NOW)
    assert result.duo_certificate_days_left == 9
    assert any("duo.duo_cert: het DUO-certificaat verloopt over 9 dagen" in w
               for w in result.warnings)  # fmt: skip

    stale_crl = write_crl(pki, tmp_path / "oud.crl.pem", now=NOW - dt.timedelta(days=30), days=7)
    settings = load_settings(config(tmp_path, pki, crl_file=stale_crl), env={})
    assert any(
        "duo.crl_file: de CRL is verlopen" in e for e in check_settings(settings, NOW).errors
    )
    fresh_crl = write_crl(pki, tmp_path / "vers.crl.pem")
    settings = load_settings(config(tmp_path, pki, crl_file=fresh_crl), env={})
    assert not [e for e in check_settings(settings, NOW).errors if "crl" in e]


def test_check_cert_prints_both_certificates(pki: PkiFiles, tmp_path: Path) -> None:
    result = check_cert(config(tmp_path, pki))
    assert result.exit_code == 0, result.output
    assert "clientcertificaat (duo.client_cert)" in result.output
    assert "DUO-certificaat (duo.duo_cert)" in result.output
    assert f"OIN       {pki.oin}" in result.output
    assert "dagen over" in result.output and "keten" in result.output
    assert "hoort bij het certificaat" in result.output
    assert "PRIVATE KEY" not in result.output


@pytest.mark.parametrize("problem", ["verlopen", "sleutel", "keten", "DUO verlopen"])
def test_check_cert_exits_1_on_a_problem(pki: PkiFiles, tmp_path: Path, problem: str) -> None:
    if problem in ("verlopen", "DUO verlopen"):
        old = init_pki(tmp_path / "oud", now=NOW - dt.timedelta(days=400), days=30)
        if problem == "verlopen":
            path = config(tmp_path, old, duo_cert=pki.signing_cert, trust_bundle=old.ca_cert)
        else:
            path = config(tmp_path, pki, duo_cert=old.signing_cert)
        expected = "verlopen op"
    elif problem == "sleutel":
        path = config(tmp_path, pki, client_key=pki.server_key)
        expected = "hoort niet bij dit certificaat"
    else:
        foreign = init_foreign_client(tmp_path / "vreemd", pki.oin)
        path = config(tmp_path, pki, client_cert=foreign.client_cert, client_key=foreign.client_key)
        expected = "leidt niet naar de trust bundle"
    result = check_cert(path)
    assert result.exit_code == 1, result.output
    assert expected in result.output


def test_check_cert_warns_30_days_before_expiry(tmp_path: Path) -> None:
    soon = init_pki(tmp_path / "kort", days=20)
    result = check_cert(config(tmp_path, soon))
    assert result.exit_code == 0, result.output
    assert "waarschuwing: verloopt over 19 dagen" in result.output


def test_check_cert_with_unreadable_settings_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "verzuim.toml"
    path.write_text('[duo]\nprofiel = "2W-be-S"\n', encoding="utf-8")
    result = check_cert(path)
    assert result.exit_code == 2
    assert "duo.duo_cert" in result.output
