"""Checks and formats for the values that go into a document (DOMAIN.md 3.3, rule V06).

Text is UTF-8 and escaped by lxml, never by hand. Control characters are refused here with the
element path and the position, before lxml or the schema sees them: free-text fields (reden,
acties, toelichting) may hold tab, line feed and carriage return; one-line fields (names,
functions, location, opleiding) hold none. Code points that XML 1.0 cannot carry (surrogates,
U+FFFE, U+FFFF) are refused as well.
"""

from __future__ import annotations

import datetime as dt
import re

from gateway.errors import MessageError, XmlIssue

_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BLOCK_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def check_text(value: str, path: str, *, multiline: bool = False) -> str:
    """Return ``value`` unchanged, or raise ``MessageError`` (V06) naming the path and position."""
    match = (_BLOCK_FORBIDDEN if multiline else _LINE_FORBIDDEN).search(value)
    if match is None:
        return value
    issue = XmlIssue(
        path=path,
        message=(
            f"teken U+{ord(match.group()):04X} op positie {match.start() + 1} is niet toegestaan: "
            "geen stuurtekens in tekst (V06)"
        ),
    )
    raise MessageError("tekst bevat een stuurteken (V06)", (issue,))


def has_control_character(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds a character ``check_text`` refuses (one search, no error)."""
    return (_BLOCK_FORBIDDEN if multiline else _LINE_FORBIDDEN).search(value) is not None


def format_utc(moment: dt.datetime, path: str) -> str:
    """A timezone-aware moment as UTC with ``Z``, e.g. ``2024-10-01T08:30:00Z`` (microseconds
    only when not zero). A naive datetime is refused: the gateway never guesses the zone."""
    offset = moment.utcoffset()
    if offset is None:
        raise MessageError(
            "tijdstip zonder tijdzone", (XmlIssue(path=path, message="geef een tijdzone mee"),)
        )
    try:
        utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise MessageError(
            "tijdstip buiten bereik", (XmlIssue(path=path, message="niet om te zetten naar UTC"),)
        ) from None
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def format_uren(uren: float) -> str:
    """Counted hours with two decimals (F3)."""
    return f"{uren:.2f}"


def yes_no(value: bool) -> str:
    """DUO's J/N indicator."""
    return "J" if value else "N"
