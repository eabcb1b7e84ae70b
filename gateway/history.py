"""The meldingen a school sent earlier (``--history``): input to V08, V09 and R-EINDE.

The file is JSON: a list of meldingen, or an object with a ``meldingen`` list (so the JSON output
of ``verzuim precheck`` can be fed back as it is). Each item needs ``leerlingnummer``, ``code``
(wire code) and ``begindatum``; ``einddatum`` (null = open), ``status`` (DUO status, default R),
``herhaal`` and ``nummer`` (DUO's melding number) are optional.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from gateway.errors import InputError
from gateway.model import DuoStatus, KnownMelding, WireCode

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def load_history(path: Path) -> list[KnownMelding]:
    """Read a history file; raise InputError naming the item and field of the first problem."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path}: bestand met eerdere meldingen niet gevonden") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: geen leesbare JSON: {exc}") from None
    return parse_history(raw, source=path.name)


def parse_history(raw: Any, source: str = "history") -> list[KnownMelding]:
    """Check already parsed history JSON; raise InputError naming the item and field."""
    items = raw.get("meldingen") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise InputError(f"{source}: verwacht een lijst van meldingen of {{'meldingen': [...]}}")
    return [_known(item, f"{source}: melding {index}") for index, item in enumerate(items, 1)]


def _known(item: Any, where: str) -> KnownMelding:
    if not isinstance(item, dict):
        raise InputError(f"{where}: verwacht een object")
    leerlingnummer = item.get("leerlingnummer")
    if not isinstance(leerlingnummer, str) or not leerlingnummer.strip():
        raise InputError(f"{where}, veld leerlingnummer: verplicht, tekst")
    try:
        code = WireCode(str(item.get("code")))
    except ValueError:
        codes = ", ".join(code.value for code in WireCode)
        raise InputError(f"{where}, veld code: verwacht een van {codes}") from None
    try:
        status = DuoStatus(item.get("status", "R"))
    except ValueError:
        raise InputError(f"{where}, veld status: verwacht een van R B G K I D") from None
    herhaal = item.get("herhaal", False)
    if not isinstance(herhaal, bool):
        raise InputError(f"{where}, veld herhaal: verwacht true of false")
    einddatum = item.get("einddatum")
    return KnownMelding(
        leerlingnummer=leerlingnummer.strip(),
        code=code,
        begindatum=_date(item.get("begindatum"), f"{where}, veld begindatum"),
        einddatum=None if einddatum is None else _date(einddatum, f"{where}, veld einddatum"),
        status=status,
        herhaal=herhaal,
        nummer=str(item.get("nummer") or ""),
    )


def _date(value: Any, where: str) -> dt.date:
    """A ``JJJJ-MM-DD`` string as a date; numbers, ``20240902`` and week dates are refused."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"{where}: verwacht een datum JJJJ-MM-DD")
