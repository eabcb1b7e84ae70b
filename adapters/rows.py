"""Shared pieces of the CSV readers: header matching and vectorised field checks.

Every bad row becomes a ``Rejection`` naming the file, the line, the field and the rule (DOMAIN.md
5: "bad rows are reported with file, line, column and reason, and never stop the other rows").
Input rule ids: ``I-KOP`` (header), ``I-VELDEN`` (field count), ``I-TEKENSET`` (encoding),
``I-TEKEN`` (NUL byte), ``I-VERPLICHT`` (missing value), ``I-FORMAAT`` (malformed value); the
domain rules keep their own ids (``F1``, ``V01``, ``V13``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from gateway.errors import InputError
from gateway.model import Rejection

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_TEXT = 3000
MAX_KEY = 32


@dataclass(frozen=True, slots=True)
class Header:
    """The columns of a file, by name, as found on its first line."""

    names: tuple[str, ...]

    def index(self, name: str) -> int | None:
        try:
            return self.names.index(name)
        except ValueError:
            return None


def parse_header(line: str, required: Sequence[str], known: Sequence[str], source: str) -> Header:
    """Read a ``;`` header line; raise InputError naming missing columns (rule I-KOP)."""
    names = tuple(field.strip().lower() for field in next(csv.reader([line], delimiter=";")))
    missing = [name for name in required if name not in names]
    if missing:
        raise InputError(
            f"{source}, regel 1: kolom(men) {', '.join(missing)} ontbreken in de kopregel "
            f"(verwacht: {';'.join(known)}) (I-KOP)"
        )
    duplicated = sorted({name for name in names if names.count(name) > 1 and name})
    if duplicated:
        raise InputError(
            f"{source}, regel 1: kolom(men) {', '.join(duplicated)} staan dubbel in de kopregel "
            "(I-KOP)"
        )
    return Header(names)


def first_error(checks: Sequence[tuple[pl.Expr, str, str, pl.Expr | str]]) -> list[pl.Expr]:
    """Columns ``fout_regel``, ``fout_veld`` and ``fout_reden`` of the first failing check.

    Each check is (condition that is true for a bad row, rule id, field, reason).
    """
    rule = pl.lit(None, pl.String())
    field = pl.lit(None, pl.String())
    reason = pl.lit(None, pl.String())
    for condition, rule_id, field_name, text in reversed(checks):
        text_expr = pl.lit(text) if isinstance(text, str) else text
        rule = pl.when(condition).then(pl.lit(rule_id)).otherwise(rule)
        field = pl.when(condition).then(pl.lit(field_name)).otherwise(field)
        reason = pl.when(condition).then(text_expr).otherwise(reason)
    return [rule.alias("fout_regel"), field.alias("fout_veld"), reason.alias("fout_reden")]


_NINE_DIGITS = re.compile(r"\d{9}")


def mask_digits(text: str) -> str:
    """``text`` with every run of 9 digits masked (see ``shown``)."""
    return _NINE_DIGITS.sub("*********", text)


def shown(value: pl.Expr, limit: int = 40) -> pl.Expr:
    """A value quoted for an error text, cut short, with any run of 9 digits masked: a BSN typed
    into the wrong column must not end up in a stored rejection. Never used for identity
    fields."""
    text = value.fill_null("").str.slice(0, limit).str.replace_all(r"\d{9}", "*********")
    return pl.concat_str(pl.lit("'"), text, pl.lit("'"))


# the 1,440 valid ``HH:MM`` values in order, so that a value's index is its minute of the day
_CLOCK = pl.Enum([f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60)])


def time_minutes(value: pl.Expr) -> pl.Expr:
    """``HH:MM`` (00:00-23:59) as minutes after midnight; null when malformed.

    A cast to the enum of the 1,440 valid values, whose index is the minute: exact, and cheaper
    than parsing each row or a lookup table.
    """
    return value.cast(_CLOCK, strict=False).to_physical().cast(pl.Int32)


def strict_date(value: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD`` as a date (null when malformed or not a real date)."""
    return (
        pl.when(value.str.len_bytes() == len("2024-09-02"))
        .then(value.str.to_date("%Y-%m-%d", strict=False))
        .otherwise(None)
    )


def duplicate_reason(pad: str, later: str, count: int, veld: str = "bron_id") -> str:
    """The text of W-DUBBEL (``adapters.base.assemble`` and the canonical reader): ``pad`` the
    JSON path of the row counted once ('' for a CSV line), ``later`` the place of the row that
    replaced it, ``count`` the rows of this file so replaced. Names no bron_id value: places only.
    ``veld`` ``datum``: a day register's later file gave the same pupil and date again, and its
    rows replace this file's rows for that day (dagverzuim).
    """
    prefix = f"{pad}: " if pad else ""
    if veld == "datum":
        more = f"; {count} regels van dit bestand zo vervangen" if count > 1 else ""
        return (
            f"{prefix}een later bestand geeft dezelfde leerling en datum opnieuw ({later}); "
            f"voor die dag telt dat latere bestand, deze regel niet{more}"
        )
    more = f"; {count} regels van dit bestand zo één keer geteld" if count > 1 else ""
    return (
        f"{prefix}dezelfde bron_id van dezelfde leerling staat later nog eens in de invoer "
        f"({later}); die latere regel telt, deze niet{more}"
    )


def empty_file(source: str, reason: str = "bestand is leeg", what: str = "regels") -> Rejection:
    """A file without any row (I-LEEG, issue 5: the batch goes on, exit 0); not a row, so
    outside the row accounting."""
    return Rejection("I-LEEG", f"{reason}: geen {what} gelezen", source)
