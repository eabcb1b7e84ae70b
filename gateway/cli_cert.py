"""``verzuim check-cert``: the certificates of the machinekoppeling at a glance (DOMAIN.md 3.4:
"certificate expiry is the classic outage").

For the client certificate (``duo.client_cert``) and, when configured, DUO's pinned signing
certificate (``duo.duo_cert``, profile 2W-be-S) it prints the subject, the OIN
(``subject.serialNumber``), the issuer chain up to the trust bundle, the validity and the days
left. Exit code 1 when a certificate is expired or not yet valid, does not chain to
``duo.trust_bundle``, or (client certificate) does not belong to ``duo.client_key`` or carries
another OIN than ``duo.oin``; a warning from ``EXPIRY_WARNING_DAYS`` days before expiry. Exit 2
when the settings themselves cannot be read. Key material is never printed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from rich.console import Console

from gateway.certs import ChainError, chain_to_bundle
from gateway.errors import ConfigError, GatewayError
from gateway.pki import oin_of
from gateway.settings import (
    EXPIRY_WARNING_DAYS,
    DuoSettings,
    _load_key,
    _same_public_key,
    certificate_days_left,
    load_settings,
)

PROBLEM = 1
USAGE_ERROR = 2


@dataclass(slots=True)
class CertReport:
    """What ``check_certificate`` found about one certificate file."""

    label: str
    path: Path
    lines: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def register(app: typer.Typer) -> None:
    """Add ``check-cert`` to the ``verzuim`` app."""
    app.command(name="check-cert")(check_cert)


def check_cert(
    config: Annotated[
        Path | None, typer.Option("--config", help="instellingen (TOML); standaard verzuim.toml")
    ] = None,
    warn_days: Annotated[
        int, typer.Option(help="waarschuw zoveel dagen voor het verlopen")
    ] = EXPIRY_WARNING_DAYS,
) -> None:
    """Toon en controleer het clientcertificaat en het vastgepinde DUO-certificaat: subject,
    OIN, uitgeversketen tot de trust bundle, geldigheid en dagen over.

    Exitcode 1 bij een verlopen certificaat, een certificaat dat niet naar duo.trust_bundle
    leidt of niet bij zijn sleutel hoort; een waarschuwing vanaf 30 dagen voor het verlopen.
    Voorbeeld: verzuim check-cert --config verzuim.toml
    """
    console = Console()
    try:
        settings = load_settings(config)
    except GatewayError as exc:
        Console(stderr=True).print(f"fout: {exc}", markup=False, highlight=False)
        raise typer.Exit(USAGE_ERROR) from None
    reports = check_certificates(settings.duo, dt.datetime.now(dt.UTC), warn_days)
    for report in reports:
        print_report(console, report)
    if any(report.errors for report in reports):
        raise typer.Exit(PROBLEM)


def check_certificates(duo: DuoSettings, now: dt.datetime, warn_days: int) -> list[CertReport]:
    """One report for the client certificate and one for the pinned DUO certificate (if set)."""
    try:
        bundle = x509.load_pem_x509_certificates(duo.trust_bundle.read_bytes())
    except (OSError, ValueError):
        bundle = []
    reports = [
        check_certificate(
            "clientcertificaat (duo.client_cert)", duo.client_cert, bundle, now, warn_days, duo
        )
    ]
    if duo.duo_cert is not None:
        reports.append(
            check_certificate(
                "DUO-certificaat (duo.duo_cert)", duo.duo_cert, bundle, now, warn_days, None
            )
        )
    if not bundle:
        reports[0].errors.append(
            f"duo.trust_bundle: {duo.trust_bundle} bevat geen leesbaar certificaat"
        )
    return reports


def check_certificate(
    label: str,
    path: Path,
    bundle: list[x509.Certificate],
    now: dt.datetime,
    warn_days: int,
    client: DuoSettings | None,
) -> CertReport:
    """Check one PEM file (its first certificate; further ones are intermediates). With
    ``client`` also the key (``duo.client_key``) and the OIN (``duo.oin``)."""
    report = CertReport(label, path)
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        report.errors.append(f"{path}: geen leesbaar PEM-certificaat")
        return report
    cert = certs[0]
    try:
        oin = oin_of(cert.subject)
    except ConfigError:
        oin = ""
    report.lines.append(("subject", cert.subject.rfc4514_string()))
    report.lines.append(("OIN", oin or "(geen serialNumber in het subject)"))
    days = certificate_days_left(path, now)  # the one days-left rule (gateway.settings)
    report.lines.append(
        (
            "geldig",
            f"{cert.not_valid_before_utc:%Y-%m-%d} tot {cert.not_valid_after_utc:%Y-%m-%d}"
            f" ({days} dagen over)",
        )
    )
    try:
        chain = chain_to_bundle(cert, certs[1:], bundle, now)
        report.lines.append(
            ("keten", " -> ".join(c.subject.rfc4514_string() for c in chain[1:]) or "(zelf)")
        )
    except ChainError as exc:
        report.lines.append(("uitgever", cert.issuer.rfc4514_string()))
        report.errors.append(f"leidt niet naar de trust bundle: {exc}")
    if now < cert.not_valid_before_utc:
        report.errors.append(f"nog niet geldig (vanaf {cert.not_valid_before_utc:%Y-%m-%d})")
    elif days < 0 or now >= cert.not_valid_after_utc:
        report.errors.append(f"verlopen op {cert.not_valid_after_utc:%Y-%m-%d}")
    elif days < warn_days:
        report.warnings.append(
            f"verloopt over {days} dagen ({cert.not_valid_after_utc:%Y-%m-%d}); vraag nu een "
            "nieuw certificaat aan"
        )
    if client is not None:
        _check_client(report, cert, oin, client)
    return report


def _check_client(report: CertReport, cert: x509.Certificate, oin: str, duo: DuoSettings) -> None:
    key_errors: list[str] = []
    key = _load_key(duo.client_key, duo.client_key_password, key_errors)
    if key is None:
        report.errors.extend(key_errors)
    elif _same_public_key(key, cert):
        report.lines.append(("sleutel", f"{duo.client_key} hoort bij het certificaat"))
    else:
        report.errors.append(f"de sleutel {duo.client_key} hoort niet bij dit certificaat")
    if duo.oin and oin != duo.oin:
        report.errors.append(f"OIN in het certificaat is niet duo.oin ({duo.oin})")


def print_report(console: Console, report: CertReport) -> None:
    console.print(f"{report.label}: {report.path}", markup=False, highlight=False)
    for name, value in report.lines:
        console.print(f"  {name:<9} {value}", markup=False, highlight=False, soft_wrap=True)
    for warning in report.warnings:
        console.print(f"  waarschuwing: {warning}", markup=False, highlight=False)
    for error in report.errors:
        console.print(f"  FOUT: {error}", markup=False, highlight=False)
    if not report.errors and not report.warnings:
        console.print("  in orde", markup=False, highlight=False)
