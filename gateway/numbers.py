"""Checks of the numbers that identify pupils and schools (DOMAIN.md glossary; rules V01, V13).

The checks are strict about the form the DUO interface uses: exactly nine digits for a BSN or
onderwijsnummer (no padding of shorter numbers, no separators), and an upper-case BRIN. Error texts
never repeat the number itself, so they are safe to log and store.
"""

from __future__ import annotations

import re

_NINE_DIGITS = re.compile(r"[0-9]{9}")
_BRIN = re.compile(r"[0-9]{2}[A-Z0-9]{2}")
_VESTIGING = re.compile(r"[0-9]{2}")


def _eleven_check(value: str) -> int:
    """sum(d1*9 .. d8*2) - d9, modulo 11 (the "elfproef")."""
    d = [ord(ch) - 48 for ch in value]
    total = 9 * d[0] + 8 * d[1] + 7 * d[2] + 6 * d[3] + 5 * d[4] + 4 * d[5] + 3 * d[6] + 2 * d[7]
    return (total - d[8]) % 11


def is_bsn(value: str) -> bool:
    """V01: nine digits passing the 11-check (sum(d1*9 .. d8*2) - d9 divisible by 11), not zero.

    The same check as python-stdnum's ``nl.bsn``, without its separator clean-up: the DUO
    interface carries exactly nine digits (the tests compare both on generated numbers).
    """
    return (
        _NINE_DIGITS.fullmatch(value) is not None
        and value != "000000000"
        and _eleven_check(value) == 0
    )


def is_onderwijsnummer(value: str) -> bool:
    """V01: nine digits starting with ``10`` whose weighted sum leaves remainder 5."""
    return (
        _NINE_DIGITS.fullmatch(value) is not None
        and value.startswith("10")
        and _eleven_check(value) == 5
    )


def identity_problem(bsn: str, onderwijsnummer: str) -> str | None:
    """V01: why a pupil is not identified, or None when the BSN or onderwijsnummer is valid.

    A valid BSN wins; without one, a valid onderwijsnummer identifies the pupil. The returned text
    names the field and the check, never the number.
    """
    if bsn and is_bsn(bsn):
        return None
    if onderwijsnummer and is_onderwijsnummer(onderwijsnummer):
        return None
    if bsn and onderwijsnummer:
        return "BSN voldoet niet aan de elfproef en het onderwijsnummer is ook ongeldig"
    if bsn:
        return "BSN voldoet niet aan de elfproef (9 cijfers) en er is geen onderwijsnummer"
    if onderwijsnummer:
        return "onderwijsnummer is ongeldig (9 cijfers, begint met 10, elfproef rest 5)"
    return "geen BSN en geen onderwijsnummer"


def is_brin(value: str) -> bool:
    """V13: a BRIN is two digits followed by two capitals or digits."""
    return bool(_BRIN.fullmatch(value))


def is_vestiging(value: str) -> bool:
    """V13: the vestiging number that makes a BRIN6 is two digits."""
    return bool(_VESTIGING.fullmatch(value))
