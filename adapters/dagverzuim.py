"""Day-grain absence of primary schools: ``dagverzuim.csv`` (DOMAIN.md 5, PO row).

ParnasSys and ESIS have no public absence format; PO registers absence per day or part of a day.
The gateway accepts this ``;`` file with a header (columns in any order, extra columns ignored):

``brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;dagdeel;uren;redencode;reden;geoorloofd;opmerking;groep``

(required: ``leerlingnummer``, ``datum``, ``dagdeel``, ``uren``). ``datum`` is ``YYYY-MM-DD`` (or
``yyyyMMdd``); ``dagdeel`` is ``O`` (ochtend, morning), ``M`` (middag, afternoon) or ``D`` (whole
day); ``uren`` are the hours of that part, with a decimal comma or point (e.g. ``3,5``);
``geoorloofd`` is ``J``, ``N`` or empty (not yet known: counts, with warning W-ONBEKEND, F2).
``reden``, ``opmerking`` and ``groep`` are free text, read as data and not used. Besides this file
the adapter reads a canonical ``leerlingen.csv`` (recognised by its header) for birth date and
startkwalificatie; a pupil's BSN or onderwijsnummer may come from either file.

Each row becomes one ``AFWEZIG`` registration of ``uren`` clock hours: a morning from 08:30, an
afternoon from 13:00, a whole day from 08:30; categorie via ``[redencodes]`` (an unknown code warns
``W-REDENCODE``); bron_id ``dagverzuim:{leerlingnummer}:{datum}:{dagdeel}`` (the register's
natural key, stable across exports); redencode and reden travel along for ``verzuim import``.
Within one file, a second row for the same pupil and date that overlaps an earlier one (the same
dagdeel again, or D beside O or M) is refused with ``I-DUBBEL``; the first row is used.

**Several files: the latest file's day wins** (issue 5). The files are taken in the order given
(``--registrations`` on the command line, the FILE arguments of ``verzuim import``; a drop folder
of ``verzuim sync`` by file name), older to newer. A later export that corrects a day (``D``
where an earlier file had ``O``, or ``O`` where it had ``D``) replaces it: per pupil and date, the
rows of the latest file with an accepted row for that pupil-date count, and every row of earlier
files for that pupil-date is left out. A left-out row is not lost from view: it stays accepted,
is counted as *dubbel* (``ReadStats.duplicates``) and is named with warning ``W-DUBBEL`` (field
``datum``, the later file and row), as ``adapters.base.assemble`` does for a repeated bron_id
(issue 5: the later export wins, as F1 lets the later identical row win). A later file whose
rows for that day were all refused replaces nothing (its rejections ask for a fix; the earlier
rows still count, and so does the presence added for a half they leave open, see below). A day
a later file does not mention keeps the earlier file's rows.

**F6 for PO: a morning or afternoon alone is never a whole absent day** (issue 5). The day register
is complete per day: a pupil with no row for a dagdeel was at school then (a schooldag without any
row is a day of presence already, F7). So for a date on which a pupil has a row for one half only
(``O`` without ``M``, or ``M`` without ``O``; any row naming that pupil, date and dagdeel, even one
refused for its hours, counts as a row; of several files only the rows of the file whose day
counts, so the added half is decided after the replacement above), the adapter adds an ``AANWEZIG``
registration for the other half (morning 08:30-12:00, afternoon 13:00-15:00; its length is not
used: it counts nothing, it only shows presence), with bron_id
``dagverzuim:{leerlingnummer}:{datum}:{O|M}``, so a later export that does register that half
replaces it. The rule book stays as it is: by F6 the day has presence, so it is not an afwezige dag
and never part of a run (no LRV, no follow-ups), while its hours still count toward R-16U exactly
as ``uren`` says. This holds with or without ``hele_dag_minuten``; a school may still set it (e.g.
``300``) so that a day with both halves registered but only a few hours counted is not an afwezige
dag either. The added registrations belong to the row they complete: they are not rows read, and
``verzuim import`` writes them out as ``AANWEZIG`` lines. PO counts clock hours (F3).

Every bad row becomes a rejection (file, line, field, rule) and the other rows go on:
``I-VELDEN``, ``I-TEKENSET``/``I-TEKEN``, ``I-VERPLICHT``/``I-FORMAAT`` (missing or malformed
value, bad dagdeel or uren, over-long text field), ``F1`` (no hours, more than 12 hours, past
midnight), ``V13`` (another school's BRIN), ``I-DUBBEL``. Empty and header-only files are refused
with ``I-LEEG``; a header without a required column refuses the file (``InputError``, ``I-KOP``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from adapters.base import AdapterOutput, Where
from adapters.canonical import ReadStats
from adapters.rows import MAX_KEY, Header, empty_file, parse_header
from adapters.textrows import (
    StudentsRead,
    TextLine,
    any_date,
    as_time,
    categorie_of,
    code_warnings,
    encoding_warning,
    field_count,
    first_line,
    is_students_file,
    key_problem,
    load_students,
    long_field,
    quoted,
    split_fields,
    students_with_identity,
    text_lines,
)
from gateway.model import Registration, Rejection, SchoolConfig, Status
from gateway.rules.dayfacts import MAX_MINUTES

COLUMNS = (
    "brin",
    "vestiging",
    "leerlingnummer",
    "bsn",
    "onderwijsnummer",
    "datum",
    "dagdeel",
    "uren",
    "redencode",
    "reden",
    "geoorloofd",
    "opmerking",
    "groep",
)
REQUIRED = ("leerlingnummer", "datum", "dagdeel", "uren")
STARTS = {"O": 8 * 60 + 30, "M": 13 * 60, "D": 8 * 60 + 30}  # minutes after midnight
_DAGDELEN = {"O": ("O",), "M": ("M",), "D": ("O", "M")}  # halves of the day a dagdeel takes
_UREN = re.compile(r"\d{1,3}(?:[.,]\d{1,2})?")
_DAY_END = 24 * 60


class _RowError(Exception):
    """A refused row: rule, field and reason (caught per line, never leaves this module)."""

    def __init__(self, rule: str, veld: str, reason: str) -> None:
        super().__init__(reason)
        self.rule, self.veld, self.reason = rule, veld, reason


_Day = tuple[str, dt.date]  # pupil and date
_FileDay = tuple[str, dt.date, int]  # pupil, date and the index of the file


@dataclass(slots=True)
class _State:
    """What the reading of all files gathers."""

    output: AdapterOutput = field(default_factory=AdapterOutput)
    identities: dict[str, tuple[str, str, Where]] = field(default_factory=dict)
    file: int = 0  # the index of the file being read
    # of the file being read (I-DUBBEL is per file): the first row that took the half
    halves: dict[tuple[str, dt.date, str], Where] = field(default_factory=dict)
    # per accepted row, beside ``output.registrations`` until ``_latest_days``: its file's index
    # and (redencode, reden)
    files: list[int] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    # per pupil and date: the latest file with an accepted row (its rows count); ``replacing``
    # once a pupil-date has accepted rows in two files
    latest: dict[_Day, int] = field(default_factory=dict)
    replacing: bool = False
    # per pupil, date and file: the halves any row names (even a refused one), and the first
    # accepted row, for the presence of the other half (F6)
    named: dict[_FileDay, set[str]] = field(default_factory=dict)
    first_row: dict[_FileDay, Where] = field(default_factory=dict)


def is_dagverzuim_file(path: Path) -> bool:
    """Whether the header of ``path`` has the required dagverzuim columns."""
    names = [name.strip().lower() for name in first_line(path).split(";")]
    return all(name in names for name in REQUIRED)


class DagverzuimAdapter:
    """``dagverzuim.csv`` (day grain, PO) plus a canonical leerlingen.csv (see the module)."""

    name = "dagverzuim"

    def detect(self, paths: Sequence[Path]) -> bool:
        """A file with the dagverzuim header; the other files may be a leerlingen.csv."""
        found = False
        for path in paths:
            if is_dagverzuim_file(path):
                found = True
            elif not is_students_file(path):
                return False
        return found

    def read(self, school: SchoolConfig, paths: Sequence[Path]) -> AdapterOutput:
        """Read every file; bad rows become rejections, the good ones go on."""
        state = _State()
        students: StudentsRead | None = None
        for index, path in enumerate(paths):  # in the order given: older to newer files
            if path.stat().st_size == 0:
                state.output.rejections.append(empty_file(path.name))
                state.output.stats.append(ReadStats(path.name, "utf-8"))
            elif students is None and not is_dagverzuim_file(path) and is_students_file(path):
                students = load_students(path)
                state.output.rejections.extend(students.rejections)
                state.output.stats.append(students.stats)
            else:
                state.file, state.halves = index, {}
                _read_file(path, school, state)
        _latest_days(state)
        state.output.registrations.extend(_other_halves(state))
        state.output.students.extend(students_with_identity(students, state.identities))
        return state.output


PRESENCE = {"O": (8 * 60 + 30, 12 * 60), "M": (13 * 60, 15 * 60)}  # the added AANWEZIG half


def _latest_days(state: _State) -> None:
    """The registrations that count: per pupil and date those of the latest file with an
    accepted row for it; the rows of earlier files for that pupil-date go to ``replaced_days``
    (``assemble`` counts them as duplicates with W-DUBBEL naming the later file's first row;
    issue 5: the later export wins). See "Several files" in the module docstring."""
    output = state.output
    if not state.replacing:  # every pupil-date from one file only: every row counts
        bron_ids = [registration.bron_id for registration, _ in output.registrations]
        output.texts.update(zip(bron_ids, state.texts, strict=True))
        return
    rows, output.registrations = output.registrations, []
    for (registration, where), file, texts in zip(rows, state.files, state.texts, strict=True):
        day = (registration.leerlingnummer, registration.datum)
        latest = state.latest[day]
        if file == latest:
            output.registrations.append((registration, where))
            output.texts[registration.bron_id] = texts
        else:
            later = state.first_row[(*day, latest)]
            output.replaced_days.append((registration.leerlingnummer, where, later))


def _other_halves(state: _State) -> list[tuple[Registration, Where]]:
    """An ``AANWEZIG`` registration for the half without a row of each pupil-date that has a row
    for one half only (see "F6 for PO" in the module docstring), from the rows of the file whose
    day counts (``_latest_days``) only."""
    added: list[tuple[Registration, Where]] = []
    for (pupil, datum), file in state.latest.items():
        where = state.first_row[(pupil, datum, file)]
        named = state.named[(pupil, datum, file)]
        for half in ("O", "M"):
            if half in named:
                continue
            begin, end = PRESENCE[half]
            registration = Registration(
                leerlingnummer=pupil,
                datum=datum,
                begintijd=as_time(begin),
                eindtijd=as_time(end),
                status=Status.AANWEZIG,
                bron_id=bron_id(pupil, datum, half),
            )
            added.append((registration, where))
    return added


def bron_id(pupil: str, datum: dt.date, dagdeel: str) -> str:
    """The natural key of a day-register row (see the module docstring)."""
    return f"dagverzuim:{pupil}:{datum.isoformat()}:{dagdeel}"


def _read_file(path: Path, school: SchoolConfig, state: _State) -> None:
    source = path.name
    encoding, lines = text_lines(path)
    output = state.output
    output.warnings.extend(encoding_warning(source, encoding))
    unknown: dict[str, tuple[int, int]] = {}
    header: Header | None = None
    read = rejected = 0
    for line in lines:
        if header is None and line.problem is None:
            header = parse_header(line.text, REQUIRED, COLUMNS, source)
            continue
        read += 1
        problem = line.problem or _parse_line(line, source, header, school, unknown, state)
        if problem is not None:
            rejected += 1
            output.rejections.append(problem)
    if read == 0:
        output.rejections.append(
            empty_file(source, "bestand bevat alleen een kopregel" if header else "bestand is leeg")
        )
    output.warnings.extend(code_warnings(unknown, source))
    output.stats.append(ReadStats(source, encoding, read, read - rejected, rejected))


def _parse_line(
    line: TextLine,
    source: str,
    header: Header | None,
    school: SchoolConfig,
    unknown: dict[str, tuple[int, int]],
    state: _State,
) -> Rejection | None:
    if header is None:  # undecodable lines before the header: nothing to check them against
        return Rejection("I-KOP", "regel voor de kopregel", source, line.number)
    fields = split_fields(line.text)
    if fields is None or len(fields) != len(header.names):
        return field_count(
            source, line, str(len(header.names)), None if fields is None else len(fields)
        )
    values = {name: value.strip() for name, value in zip(header.names, fields, strict=True)}
    pupil = values.get("leerlingnummer", "")
    try:
        too_long = long_field(header.names, fields)
        if too_long is not None:
            raise _RowError("I-FORMAAT", too_long, f"{too_long} is langer dan 3000 tekens")
        key = key_problem(pupil, "leerlingnummer")
        if key is not None:
            pupil = ""
            raise _RowError(key[0], "leerlingnummer", key[1])
        registration = _registration(values, school, unknown, Where(source, line.number), state)
    except _RowError as bad:
        return Rejection(bad.rule, bad.reason, source, line.number, bad.veld, pupil or None)
    where = Where(source, line.number)
    state.output.registrations.append((registration, where))
    state.files.append(state.file)
    state.texts.append((values.get("redencode", ""), values.get("reden", "")))
    state.first_row.setdefault((pupil, registration.datum, state.file), where)
    day = (pupil, registration.datum)
    if state.latest.setdefault(day, state.file) != state.file:  # an earlier file had this day
        state.latest[day] = state.file
        state.replacing = True
    identity = (values.get("bsn", ""), values.get("onderwijsnummer", ""))
    if any(identity) and pupil not in state.identities:
        state.identities[pupil] = (*identity, where)
    return None


def _registration(
    values: dict[str, str],
    school: SchoolConfig,
    unknown: dict[str, tuple[int, int]],
    where: Where,
    state: _State,
) -> Registration:
    brin = values.get("brin", "")
    if brin and brin != school.brin:
        raise _RowError(
            "V13", "brin", f"BRIN {quoted(brin, 6)} hoort niet bij deze school ({school.brin})"
        )
    for name in ("bsn", "onderwijsnummer"):
        if len(values.get(name, "")) > MAX_KEY:
            raise _RowError("I-FORMAAT", name, f"{name} is langer dan {MAX_KEY} tekens")
    value = values["datum"]
    if not value:
        raise _RowError("I-VERPLICHT", "datum", "datum ontbreekt")
    datum = any_date(value)
    if datum is None:
        raise _RowError("I-FORMAAT", "datum", f"{quoted(value)} is geen datum JJJJ-MM-DD")
    dagdeel = values["dagdeel"].upper()
    if dagdeel not in STARTS:
        raise _RowError(
            "I-FORMAAT",
            "dagdeel",
            f"{quoted(values['dagdeel'], 10)} is geen dagdeel (O ochtend, M middag, D hele dag)",
        )
    pupil = values["leerlingnummer"]
    state.named.setdefault((pupil, datum, state.file), set()).update(_DAGDELEN[dagdeel])
    minutes = _minutes(values["uren"])
    begin = STARTS[dagdeel]
    if minutes < 1:
        raise _RowError("F1", "uren", "uren moet meer dan 0 zijn (F1)")
    if minutes > MAX_MINUTES:
        raise _RowError("F1", "uren", f"{minutes} minuten is meer dan {MAX_MINUTES} (F1)")
    if begin + minutes >= _DAY_END:
        raise _RowError("F1", "uren", "dagdeel loopt voorbij middernacht (F1)")
    geoorloofd = values.get("geoorloofd", "").upper()
    if geoorloofd not in ("", "J", "N"):
        raise _RowError(
            "I-FORMAAT", "geoorloofd", f"{quoted(values['geoorloofd'], 10)} is niet J, N of leeg"
        )
    code = values.get("redencode", "")
    if len(code) > MAX_KEY:
        raise _RowError("I-FORMAAT", "redencode", f"redencode is langer dan {MAX_KEY} tekens")
    for half in _DAGDELEN[dagdeel]:
        earlier = state.halves.get((pupil, datum, half))
        if earlier is not None:
            raise _RowError(
                "I-DUBBEL",
                "dagdeel",
                f"dagdeel overlapt met {earlier.bestand} regel {earlier.regelnummer} van "
                "dezelfde leerling en datum; deze regel is niet gebruikt",
            )
    for half in _DAGDELEN[dagdeel]:
        state.halves[(pupil, datum, half)] = where
    categorie = categorie_of(school, code, unknown, where.regelnummer or 0)
    return Registration(
        leerlingnummer=pupil,
        datum=datum,
        begintijd=as_time(begin),
        eindtijd=as_time(begin + minutes),
        status=Status.AFWEZIG,
        geoorloofd=None if not geoorloofd else geoorloofd == "J",
        categorie=categorie,
        lesuur=None,
        bron_id=bron_id(pupil, datum, dagdeel),
    )


def _minutes(value: str) -> int:
    """``uren`` (decimal comma or point, at most two decimals) as whole minutes."""
    if not value:
        raise _RowError("I-VERPLICHT", "uren", "uren ontbreekt")
    if _UREN.fullmatch(value) is None:
        raise _RowError("I-FORMAAT", "uren", f"{quoted(value, 10)} is geen aantal uren (bv. 3,5)")
    whole, _, fraction = value.replace(",", ".").partition(".")
    hundredths = int(whole) * 100 + int((fraction + "00")[:2])
    return round(hundredths * 60 / 100)
