"""Certificate chains against an explicit trust bundle (DOMAIN.md 3.4), without the system store.

``chain_to_bundle`` builds the issuer chain of a certificate from the certificates given with it
(its own PEM file may carry intermediates) up to a certificate of the trust bundle, checking
every signature and every validity period. Used by the simulator (the BinarySecurityToken of a
request) and by ``verzuim check-cert``. It does not check extensions such as the extended key
usage: PKIoverheid's profiles differ per certificate type and the TLS handshake checks those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

_MAX_DEPTH = 8


class ChainError(ValueError):
    """No valid chain from the certificate to the trust bundle; the message says where."""


def chain_to_bundle(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    bundle: Sequence[x509.Certificate],
    now: dt.datetime,
) -> list[x509.Certificate]:
    """The chain ``[leaf, ..., anchor]`` ending in a certificate of ``bundle``; ``ChainError``
    when a signature does not verify, a certificate is not valid at ``now``, or no path exists.
    A leaf that is itself in the bundle is its own chain."""
    anchors = {_der(cert): cert for cert in bundle}
    chain = [leaf]
    current = leaf
    for _ in range(_MAX_DEPTH):
        _check_time(current, now)
        if _der(current) in anchors:
            return chain
        issuer = _issuer(current, [*intermediates, *bundle])
        if issuer is None:
            raise ChainError(
                f"geen uitgever van '{current.subject.rfc4514_string()}' in de trust bundle "
                f"(uitgegeven door '{current.issuer.rfc4514_string()}')"
            )
        chain.append(issuer)
        if _der(issuer) in anchors:
            _check_time(issuer, now)
            return chain
        current = issuer
    raise ChainError("keten langer dan 8 certificaten")


def _issuer(
    cert: x509.Certificate, candidates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in candidates:
        if candidate.subject != cert.issuer or _der(candidate) == _der(cert):
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return None


def _check_time(cert: x509.Certificate, now: dt.datetime) -> None:
    moment = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    if moment < cert.not_valid_before_utc:
        raise ChainError(
            f"'{cert.subject.rfc4514_string()}' is pas geldig vanaf "
            f"{cert.not_valid_before_utc:%Y-%m-%d}"
        )
    if moment >= cert.not_valid_after_utc:
        raise ChainError(
            f"'{cert.subject.rfc4514_string()}' is verlopen op {cert.not_valid_after_utc:%Y-%m-%d}"
        )


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)
