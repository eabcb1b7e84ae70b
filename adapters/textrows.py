"""Line-by-line reading of small vendor ``;`` exports (Eduarte, dagverzuim; DOMAIN.md 5).

The vendor adapters read their files line by line through ``adapters.textio`` (UTF-8 with or
without BOM, Windows-1252 from older exports). This module holds what they share:

- ``text_lines``: the non-blank lines with their numbers, a NUL byte (``I-TEKEN``) or a byte that
  breaks the encoding (``I-TEKENSET``) already turned into a rejection, and a flag on a last line
  that has no line end (a file cut off in transfer: its wrong field count is reported as such);
- ``split_fields`` and ``field_count``: ``;`` splitting (``"`` quoting allowed) and ``I-VELDEN``;
- ``quoted``: how a value appears in a rejection or warning text. Values from the file are data,
  never evaluated: a quoted value is cut short, has control characters replaced, any run of nine
  digits masked (a BSN typed into the wrong column) and sits between ``'`` quotes, so a text
  such as ``=cmd|' /C calc'!A0`` can never start a cell of a spreadsheet opened on the report;
- parsers for ``yyyyMMdd`` dates, the time spellings of Eduarte and the ``[redencodes]`` lookup;
- ``students_with_identity``: a canonical ``leerlingen.csv`` (read by ``read_students``) joined with
  the BSN/onderwijsnummer found in the rows, as ``AdapterOutput`` students.

A file-level problem (an empty file, a file with only a header) is a rejection without a line
number: it is not a row, so the row accounting read = accepted + rejected does not count it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from adapters.base import Where
from adapters.canonical import ReadStats, read_students
from adapters.progress import advance
from adapters.rows import MAX_KEY, MAX_TEXT, mask_digits
from adapters.textio import BOM, CP1252, read_chunks
from gateway.model import Categorie, Rejection, SchoolConfig, Student, Warning

STUDENT_MARKERS = ("leerlingnummer", "geboortedatum")
_COMPACT_DATE = re.compile(r"\d{8}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?|(?P<hh>\d{2})(?P<mm>\d{2})")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class TextLine:
    """One non-blank line: its number, its text ('' when ``problem`` is set), the rejection of a
    line that cannot be read at all, and whether it is a last line without a line end."""

    number: int
    text: str
    problem: Rejection | None = None
    unterminated: bool = False


def text_lines(path: Path) -> tuple[str, Iterator[TextLine]]:
    """The detected encoding of ``path`` and its non-blank lines (see the module docstring)."""
    encoding, chunks = read_chunks(path)
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size:
            handle.seek(size - 1)
        ends_with_newline = handle.read(1) == b"\n"
    source = path.name

    def lines() -> Iterator[TextLine]:
        pending: TextLine | None = None
        done = 0
        for chunk in chunks:
            done += sum(len(text) + 1 for text in chunk.lines)  # characters: about the bytes
            advance(source, min(done, size), size)  # a progress bar on a terminal (issue 5)
            bad = {line.number: line.reason for line in chunk.undecodable}
            for offset, text in enumerate(chunk.lines):
                number = chunk.first_line + offset
                if number in bad:
                    item = TextLine(number, "", Rejection("I-TEKENSET", bad[number], source,
                                                          number))  # fmt: skip
                elif not text.strip():
                    continue
                elif "\x00" in text:
                    item = TextLine(number, "", Rejection("I-TEKEN", "regel bevat een NUL-teken",
                                                          source, number))  # fmt: skip
                else:
                    item = TextLine(number, text)
                if pending is not None:
                    yield pending
                pending = item
        if pending is not None:
            if not ends_with_newline and pending.problem is None:
                pending = TextLine(pending.number, pending.text, None, True)
            yield pending

    return encoding, lines()


def first_line(path: Path) -> str:
    """The first line of a file (BOM dropped), for recognising a file by its shape."""
    with path.open("rb") as handle:
        sample = handle.read(64 * 1024)
    sample = sample.removeprefix(BOM)
    head = sample.split(b"\n", 1)[0].removesuffix(b"\r")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return head.decode(CP1252, errors="replace")


def is_students_file(path: Path) -> bool:
    """Whether ``path`` is a canonical ``leerlingen.csv`` (its header names leerlingnummer and
    geboortedatum)."""
    names = [name.strip().lower() for name in first_line(path).split(";")]
    return all(marker in names for marker in STUDENT_MARKERS)


def split_fields(text: str) -> list[str] | None:
    """The ``;``-separated fields of a line; None when a ``"`` quote is not closed."""
    if '"' not in text:
        return text.split(";")
    try:
        return next(csv.reader([text], delimiter=";", strict=True))
    except csv.Error:
        return None


def field_count(source: str, line: TextLine, expected: str, found: int | None) -> Rejection:
    """I-VELDEN for a line with the wrong number of fields (or an unclosed quote)."""
    if found is None:
        reason = "aanhalingsteken niet goed afgesloten"
    else:
        reason = f"verwacht {expected} velden, gevonden {found}"
    if line.unterminated:
        reason = f"laatste regel is afgebroken (geen regeleinde): {reason}; bestand onvolledig?"
    return Rejection("I-VELDEN", reason, source, line.number)


def long_field(names: tuple[str, ...], fields: list[str]) -> str | None:
    """The first field longer than ``MAX_TEXT`` characters, or None."""
    for name, value in zip(names, fields, strict=True):
        if len(value) > MAX_TEXT:
            return name
    return None


def quoted(value: str, limit: int = 40) -> str:
    """A value for an error text: cut to ``limit``, control characters replaced, nine-digit runs
    masked, between ``'`` quotes (inert in a spreadsheet; see the module docstring)."""
    cut = value[:limit] + ("..." if len(value) > limit else "")
    return "'" + mask_digits(_CONTROL.sub("?", cut)) + "'"


def key_problem(value: str, veld: str) -> tuple[str, str] | None:
    """(rule, reason) when a key (deelnemernummer, leerlingnummer) is missing or not a plain key:
    letters, digits and ``._/-``, starting with a letter or digit, at most ``MAX_KEY`` long. A
    formula such as ``=cmd|...`` is refused here, so it never becomes a leerlingnummer."""
    if not value:
        return "I-VERPLICHT", f"{veld} ontbreekt"
    if len(value) > MAX_KEY:
        return "I-FORMAAT", f"{veld} is langer dan {MAX_KEY} tekens"
    if _KEY.fullmatch(value) is None:
        return (
            "I-FORMAAT",
            f"{veld} {quoted(value)} bevat andere tekens dan letters, cijfers en ._/-",
        )
    return None


def compact_date(value: str) -> dt.date | None:
    """``yyyyMMdd`` as a date; None when malformed or not a real date (or before 1900)."""
    if _COMPACT_DATE.fullmatch(value) is None:
        return None
    try:
        day = dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
    return day if day.year >= 1900 else None


def any_date(value: str) -> dt.date | None:
    """``YYYY-MM-DD`` (canonical files) or ``yyyyMMdd``; None when malformed."""
    if _ISO_DATE.fullmatch(value) is None:
        return compact_date(value)
    return compact_date(value.replace("-", ""))


def clock_minutes(value: str) -> int | None:
    """Minutes after midnight of ``HHmm``, ``HH:mm``, ``H:mm``, ``HH.mm`` or ``HH`` (00:00-23:59);
    None when malformed. The caller handles an empty value."""
    match = _TIME.fullmatch(value)
    if match is None:
        return None
    hour = int(match["h"] or match["hh"])
    minute = int(match["m"] or match["mm"] or 0)
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def as_time(minutes: int) -> dt.time:
    """Minutes after midnight (0-1439) as a time."""
    return dt.time(minutes // 60, minutes % 60)


def categorie_of(
    school: SchoolConfig, code: str, unknown: dict[str, tuple[int, int]], line: int
) -> Categorie | None:
    """The categorie of a reason code via ``[redencodes]``; an unknown non-empty code is noted in
    ``unknown`` (first line, count) for ``code_warnings``."""
    if not code:
        return None
    categorie = school.categorie(code)
    if categorie is None:
        first, count = unknown.get(code, (line, 0))
        unknown[code] = (first, count + 1)
    return categorie


def code_warnings(unknown: Mapping[str, tuple[int, int]], source: str) -> list[Warning]:
    """W-REDENCODE: one warning per reason code missing from ``[redencodes]``."""
    return [
        Warning("W-REDENCODE", f"redencode {quoted(code, 20)} staat niet in [redencodes] van het "
                f"schoolbestand ({count} regels); gelezen zonder categorie (F2)",
                bestand=source, regelnummer=first, veld="redencode")
        for code, (first, count) in sorted(unknown.items())
    ]  # fmt: skip


def encoding_warning(source: str, encoding: str) -> list[Warning]:
    """W-TEKENSET when a file was read as Windows-1252 instead of UTF-8."""
    if encoding != CP1252:
        return []
    return [Warning("W-TEKENSET", "gelezen als Windows-1252 (geen geldige UTF-8)", bestand=source)]


@dataclass(frozen=True, slots=True)
class StudentsRead:
    """``leerlingen.csv`` as read by ``read_students``."""

    source: str
    rows: dict[str, tuple[Student, int]]
    rejections: list[Rejection]
    stats: ReadStats


def load_students(path: Path) -> StudentsRead:
    """Read a canonical ``leerlingen.csv`` (InputError when it has no usable header)."""
    rows, rejections, stats = read_students(path)
    return StudentsRead(
        path.name, {key: (row.student, row.line) for key, row in rows.items()}, rejections, stats
    )


def students_with_identity(
    students: StudentsRead | None, from_rows: Mapping[str, tuple[str, str, Where]]
) -> list[tuple[Student, Where]]:
    """The pupils of ``leerlingen.csv`` (birth date, startkwalificatie, identity) for
    ``AdapterOutput``. A pupil without a BSN or onderwijsnummer there takes the first ones found in
    the rows (``from_rows``: bsn, onderwijsnummer, where). Pupils only in the rows are left out:
    ``assemble`` rejects their registrations with I-LEERLING (no birth date, no F4)."""
    if students is None:
        return []
    result: list[tuple[Student, Where]] = []
    for pupil, (student, line) in students.rows.items():
        where = Where(students.source, line)
        if not (student.bsn or student.onderwijsnummer) and pupil in from_rows:
            bsn, onderwijsnummer, where = from_rows[pupil]
            student = Student(pupil, student.geboortedatum, bsn, onderwijsnummer,
                              student.startkwalificatie)  # fmt: skip
        result.append((student, where))
    return result
