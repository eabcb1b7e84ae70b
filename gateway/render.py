"""Presenting a pre-check: one JSON object for machines, a table with totals for people."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson
from rich import box
from rich.console import Console
from rich.table import Table

from adapters.canonical import ReadStats
from gateway.model import Melding, PrecheckResult, Rejection, Warning, Wijziging

MAX_LISTED = 50
_DATE_COLUMNS = ("van", "tot", "uiterlijk")
_WHOLE_COLUMNS = ("leerling", "code", "uren", *_DATE_COLUMNS)  # never cut, also at 80 columns
_DATE_WIDTH = len("2024-09-02")


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def melding_json(melding: Melding) -> dict[str, Any]:
    return {
        "leerlingnummer": melding.leerlingnummer,
        "soort": melding.soort.value,
        "code": melding.code.value,
        "herhaal": melding.herhaal,
        "begindatum": _day(melding.begindatum),
        "einddatum": _day(melding.einddatum),
        "eenheid": melding.eenheid.value,
        "uren": melding.uren,
        "uiterste_meldingsdatum": _day(melding.uiterste_meldingsdatum),
        "regels": list(melding.regels),
        "dagen": [
            {
                "datum": _day(day.datum),
                "hele_dag": day.hele_dag,
                "lesuren": list(day.lesuren),
                "uren": day.uren,
            }
            for day in melding.dagen
        ],
    }


def wijziging_json(change: Wijziging) -> dict[str, Any]:
    return {
        "leerlingnummer": change.leerlingnummer,
        "code": change.code.value,
        "begindatum": _day(change.begindatum),
        "einddatum": _day(change.einddatum),
        "nummer": change.nummer,
        "regels": list(change.regels),
    }


def rejection_json(rejection: Rejection) -> dict[str, Any]:
    return {
        "regel": rejection.regel,
        "bestand": rejection.bestand,
        "regelnummer": rejection.regelnummer,
        "veld": rejection.veld,
        "leerlingnummer": rejection.leerlingnummer,
        "reden": rejection.reden,
    }


def warning_json(warning: Warning) -> dict[str, Any]:
    return {
        "regel": warning.regel,
        "leerlingnummer": warning.leerlingnummer,
        "datum": _day(warning.datum),
        "bestand": warning.bestand,
        "regelnummer": warning.regelnummer,
        "veld": warning.veld,
        "reden": warning.reden,
    }


def stats_json(stats: ReadStats) -> dict[str, Any]:
    return {
        "bestand": stats.bestand,
        "tekenset": stats.encoding,
        "gelezen": stats.read,
        "geaccepteerd": stats.accepted,
        "afgewezen": stats.rejected,
        "van_afgewezen_leerlingen": stats.of_rejected_pupils,
        # parts of "geaccepteerd" without a registration of their own (W-DUBBEL; not attendance)
        "waarvan_dubbel": stats.duplicates,
        "waarvan_genegeerd": stats.ignored,
    }


def precheck_json(result: PrecheckResult, stats: Sequence[ReadStats] = ()) -> dict[str, Any]:
    """The ``--format json`` document of ``verzuim precheck``."""
    return {
        "peildatum": _day(result.peildatum),
        "meldingen": [melding_json(m) for m in result.meldingen],
        "wijzigingen": [wijziging_json(c) for c in result.wijzigingen],
        "afwijzingen": [rejection_json(r) for r in result.afwijzingen],
        "waarschuwingen": [warning_json(w) for w in result.waarschuwingen],
        "bestanden": [stats_json(s) for s in stats],
    }


def precheck_json_bytes(
    result: PrecheckResult, stats: Sequence[ReadStats] = (), indent: bool = False
) -> bytes:
    """The same document as ``precheck_json``, serialised by orjson straight from the model's
    dataclasses (their field names are the JSON keys): several times faster for large runs."""
    document = {
        "peildatum": result.peildatum,
        "meldingen": result.meldingen,
        "wijzigingen": result.wijzigingen,
        "afwijzingen": result.afwijzingen,
        "waarschuwingen": result.waarschuwingen,
        "bestanden": [stats_json(s) for s in stats],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 if indent else 0)


def print_precheck_table(
    console: Console, result: PrecheckResult, stats: Sequence[ReadStats] = ()
) -> None:
    """One line per melding sorted by pupil and date, then totals, changes, rejections, warnings."""
    peildatum = _day(result.peildatum) or "onbekend (geen bruikbare registraties)"
    units = sorted({m.eenheid.value for m in result.meldingen})
    title = f"Voorgestelde meldingen, peildatum {peildatum}" + (
        f" (uren in {', '.join(units)})" if units else ""
    )
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False
    )
    for column in ("leerling", "soort", "code", "van", "tot", "uren", "uiterlijk", "regels"):
        table.add_column(
            column,
            justify="right" if column == "uren" else "left",
            no_wrap=column in _WHOLE_COLUMNS,
            min_width=_DATE_WIDTH if column in _DATE_COLUMNS else None,
            overflow="fold",
        )
    for m in sorted(result.meldingen, key=lambda m: (m.leerlingnummer, m.begindatum)):
        table.add_row(
            m.leerlingnummer,
            m.soort.value + (" herhaal" if m.herhaal else ""),
            m.code.value,
            _day(m.begindatum),
            _day(m.einddatum) or "open",
            "-" if m.uren is None else f"{m.uren:.2f}",
            _day(m.uiterste_meldingsdatum),
            " ".join(m.regels),
        )
    console.print(table)
    per_code = Counter(m.code.value for m in result.meldingen)
    pupils = len({m.leerlingnummer for m in result.meldingen})
    codes = ", ".join(f"{code} {count}" for code, count in sorted(per_code.items())) or "geen"
    console.print(f"Totaal: {len(result.meldingen)} meldingen voor {pupils} leerlingen ({codes})")
    for change in result.wijzigingen:
        console.print(
            f"Wijziging {' '.join(change.regels)}: leerling {change.leerlingnummer}, "
            f"{change.code.value} vanaf {change.begindatum} krijgt einddatum {change.einddatum}"
        )
    for item in stats:
        console.print(
            f"{item.bestand} ({item.encoding}): {item.read} rijen gelezen = {item.accepted} "
            f"geaccepteerd + {item.rejected} afgewezen + {item.of_rejected_pupils} van "
            "afgewezen leerlingen" + _accepted_parts(item)
        )
    _print_issues(console, "Afwijzingen", result.afwijzingen)
    _print_issues(console, "Waarschuwingen", result.waarschuwingen)


def _accepted_parts(item: ReadStats) -> str:
    """The accepted rows that gave no registration of their own, when there are any."""
    if not item.duplicates and not item.ignored:
        return ""
    return f" (waarvan {item.duplicates} dubbel, {item.ignored} genegeerd)"


def _print_issues(console: Console, title: str, items: Sequence[Rejection | Warning]) -> None:
    if not items:
        return
    per_rule = Counter(item.regel for item in items)
    console.print(
        f"{title}: {len(items)} ("
        + ", ".join(f"{rule} {count}" for rule, count in sorted(per_rule.items()))
        + ")"
    )
    for item in items[:MAX_LISTED]:
        where = ", ".join(
            part
            for part in (
                item.bestand,
                f"regel {item.regelnummer}" if item.regelnummer else None,
                f"veld {item.veld}" if item.veld else None,
                f"leerling {item.leerlingnummer}" if item.leerlingnummer else None,
            )
            if part
        )
        console.print(f"  [{item.regel}] {where}: {item.reden}", markup=False, highlight=False)
    if len(items) > MAX_LISTED:
        console.print(f"  ... en {len(items) - MAX_LISTED} meer (zie --format json)")
