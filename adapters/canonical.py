"""The canonical export: ``leerlingen.csv`` and ``lesregistraties.csv`` (DOMAIN.md 5).

``read_export`` reads both files, checks every row and resolves each pupil's identity, which may
come from either file (V01). Lesson registrations stream through polars in blocks, so exports of
millions of rows fit in memory; every bad row becomes a rejection with file, line, field and rule
and the other rows go on.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from adapters.registrations import (
    BRON_KEY,
    FILE_STRIDE,
    IDENTITY_SCHEMA,
    REGISTRATION_COLUMNS,
    REQUIRED_REGISTRATION_COLUMNS,
    read_registration_file,
)
from adapters.rows import MAX_KEY, Header, duplicate_reason, empty_file, mask_digits, parse_header
from adapters.textio import CP1252, read_chunks
from gateway.model import Rejection, SchoolConfig, Student, Warning
from gateway.numbers import identity_problem
from gateway.rules.dayfacts import REGISTRATION_SCHEMA

STUDENT_COLUMNS = ("leerlingnummer", "bsn", "onderwijsnummer", "geboortedatum", "startkwalificatie")
__all__ = ["REGISTRATION_COLUMNS", "REQUIRED_REGISTRATION_COLUMNS", "CanonicalExport", "ReadStats",
           "read_export", "read_registrations", "read_students"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReadStats:
    """Row accounting of one read: read = accepted + rejected + of rejected pupils.

    Two parts of ``accepted`` are counted apart, so that no accepted row goes unexplained:
    ``duplicates`` (a row whose ``bron_id`` the same pupil has again later in the input: the
    later row counts, this one does not; warning W-DUBBEL) and ``ignored`` (a valid row that is
    not attendance, such as Magister's Verantwoordingtype 7 and 8: no registration).
    """

    bestand: str
    encoding: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    of_rejected_pupils: int = 0
    duplicates: int = 0
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class CanonicalExport:
    """Students and registrations that passed the checks, and everything that did not."""

    students: dict[str, Student]
    registrations: pl.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    stats: list[ReadStats] = field(default_factory=list)
    # what the rule book does not need but ``verzuim import`` writes back: per ``volgorde`` of
    # ``registrations`` the ``bron_id``, ``redencode`` and ``reden`` (None: not kept)
    texts: pl.DataFrame | None = None


@dataclass(slots=True)
class _StudentRow:
    student: Student
    line: int


@dataclass(slots=True)
class _RegistrationsRead:
    frame: pl.DataFrame
    identities: pl.DataFrame
    rejections: list[Rejection]
    warnings: list[Warning]
    stats: ReadStats


def read_export(
    school: SchoolConfig,
    students_path: Path,
    registration_paths: Sequence[Path],
    not_after: dt.date | None = None,
) -> CanonicalExport:
    """Read a canonical export; raise InputError only when a file is unusable as a whole.

    ``not_after``: registrations dated after it are refused (I-TOEKOMST); the CLI passes today.
    """
    # leerlingen.csv is read in a thread beside the registrations (pure Python beside polars,
    # which releases the GIL); its error, if any, still comes first, as when read first
    with ThreadPoolExecutor(1, thread_name_prefix="leerlingen") as pool:
        pending = pool.submit(read_students, students_path)
        try:
            reads = [
                read_registrations(path, school, index, not_after)
                for index, path in enumerate(registration_paths)
            ]
        except Exception:
            pending.result()
            raise
        students, rejections, student_stats = pending.result()
    identities = (
        pl.concat([read.identities for read in reads], how="vertical")
        if reads
        else pl.DataFrame(schema=IDENTITY_SCHEMA)
    )
    resolved, pupil_rejections, identity_warnings, rejected = _resolve_identities(
        students, identities, students_path.name, [path.name for path in registration_paths]
    )
    frame = (
        pl.concat([read.frame for read in reads], how="vertical")
        if reads
        else pl.DataFrame(schema=REGISTRATION_SCHEMA)
    )
    if rejected:
        frame = frame.filter(~pl.col("leerlingnummer").is_in(sorted(rejected)))
    frame, duplicates, duplicate_warnings = _latest_per_bron_id(
        frame, [path.name for path in registration_paths]
    )
    dropped = (
        identities.filter(pl.col("leerlingnummer").is_in(sorted(rejected)))
        .group_by("bestand")
        .agg(pl.col("rijen").sum())
    )
    dropped_per_file = dict(dropped.iter_rows())
    stats = [student_stats]
    for index, read in enumerate(reads):
        lost = int(dropped_per_file.get(index, 0))
        stats.append(
            replace(read.stats, accepted=read.stats.accepted - lost, of_rejected_pupils=lost,
                    duplicates=duplicates.get(index, 0))
        )  # fmt: skip
    for read in reads:
        rejections.extend(read.rejections)
    rejections.extend(pupil_rejections)
    warnings = [
        *_encoding_warnings(student_stats),
        *identity_warnings,
        *(w for read in reads for w in read.warnings),
        *duplicate_warnings,
    ]
    return CanonicalExport(resolved, frame, rejections, warnings, stats)


def _latest_per_bron_id(
    frame: pl.DataFrame, sources: Sequence[str]
) -> tuple[pl.DataFrame, dict[int, int], list[Warning]]:
    """The same bron_id imported twice counts once (issue 5): of the rows of one pupil with the
    same non-empty ``bron_id`` the later one in the input counts (as F1 lets the later identical
    row win). Returns the frame without those earlier rows and without ``BRON_KEY``, the count of
    rows so dropped per file (they stay accepted: ``ReadStats.duplicates``), and per file one
    W-DUBBEL naming the first of them and the row that replaced it.

    The bron_id is compared by its 64-bit hash (``BRON_KEY``) together with the pupil. When all
    keys are distinct, which one pass over the keys shows, nothing else is done; otherwise only
    the rows whose key occurs more than once are grouped.
    """
    if BRON_KEY not in frame.columns:
        return frame, {}, []
    keys = frame.get_column(BRON_KEY).drop_nulls()
    if keys.len() == 0 or keys.n_unique() == keys.len():
        return frame.drop(BRON_KEY), {}, []
    earlier = (
        frame.filter(pl.col(BRON_KEY).is_not_null() & pl.col(BRON_KEY).is_duplicated())
        .select("leerlingnummer", "volgorde",
                _later=pl.col("volgorde").max().over("leerlingnummer", BRON_KEY))
        .filter(pl.col("_later") != pl.col("volgorde"))
    )  # fmt: skip
    replaced = (
        earlier.select(
            pl.col("leerlingnummer").cast(pl.String),
            (pl.col("volgorde") // FILE_STRIDE).alias("bestand"),
            (pl.col("volgorde") % FILE_STRIDE).alias("regel"),
            (pl.col("_later") // FILE_STRIDE).alias("later_bestand"),
            (pl.col("_later") % FILE_STRIDE).alias("later_regel"),
        )
        .group_by("bestand", maintain_order=True)
        .agg(pl.all().first(), pl.len().alias("rijen"))
        .sort("bestand")
    )
    counts: dict[int, int] = {}
    warnings: list[Warning] = []
    for pupil, index, line, later_index, later_line, count in replaced.select(
        "leerlingnummer", "bestand", "regel", "later_bestand", "later_regel", "rijen"
    ).iter_rows():
        counts[index] = count
        later = f"{sources[later_index]} regel {later_line}"
        warnings.append(
            Warning("W-DUBBEL", duplicate_reason("", later, count), pupil,
                    bestand=sources[index], regelnummer=line, veld="bron_id")
        )  # fmt: skip
    kept = frame.filter(~pl.col("volgorde").is_in(earlier.get_column("volgorde").implode()))
    return kept.drop(BRON_KEY), counts, warnings


def _encoding_warnings(stats: ReadStats) -> list[Warning]:
    """W-TEKENSET when a file was read as Windows-1252 instead of UTF-8."""
    if stats.encoding != CP1252:
        return []
    return [
        Warning(
            "W-TEKENSET", "gelezen als Windows-1252 (geen geldige UTF-8)", bestand=stats.bestand
        )
    ]


# -- leerlingen.csv -----------------------------------------------------------------------------


def read_students(path: Path) -> tuple[dict[str, _StudentRow], list[Rejection], ReadStats]:
    """Read ``leerlingen.csv``: ``leerlingnummer;bsn;onderwijsnummer;geboortedatum;
    startkwalificatie`` (J/N, default N). A repeated leerlingnummer keeps the first row. An
    empty or header-only file is an I-LEEG rejection (no pupils: their registrations get
    I-LEERLING); a header without a required column refuses the file (InputError, I-KOP)."""
    source = path.name
    encoding, chunks = read_chunks(path)
    rows: dict[str, _StudentRow] = {}
    rejections: list[Rejection] = []
    header: Header | None = None
    read = 0
    for chunk in chunks:
        bad_lines = {line.number: line.reason for line in chunk.undecodable}
        for offset, line in enumerate(chunk.lines):
            number = chunk.first_line + offset
            if header is None:
                header = parse_header(
                    line, ("leerlingnummer", "geboortedatum"), STUDENT_COLUMNS, source
                )
                continue
            if number in bad_lines:
                read += 1
                rejections.append(Rejection("I-TEKENSET", bad_lines[number], source, number))
                continue
            if not line.strip():
                continue
            read += 1
            problem = _student_row(line, number, header, source, rows)
            if problem is not None:
                rejections.append(problem)
    if read == 0:  # an empty file (I-LEEG, issue 5: the batch goes on, exit 0)
        reason = "bestand bevat alleen een kopregel" if header else "bestand is leeg"
        rejections.append(empty_file(source, reason, what="leerlingen"))
    stats = ReadStats(source, encoding, read, len(rows), read - len(rows))
    return rows, rejections, stats


def _student_row(
    line: str, number: int, header: Header, source: str, rows: dict[str, _StudentRow]
) -> Rejection | None:
    if "\x00" in line:
        return Rejection("I-TEKEN", "regel bevat een NUL-teken", source, number)
    if '"' not in line and "\r" not in line:  # what the csv module would do, without it
        fields = line.split(";")
    else:
        try:
            fields = next(csv.reader([line], delimiter=";", strict=True))
        except csv.Error:
            fields = []
    if len(fields) != len(header.names):
        return Rejection(
            "I-VELDEN",
            f"verwacht {len(header.names)} velden, gevonden {len(fields)}",
            source,
            number,
        )
    values = {name: value.strip() for name, value in zip(header.names, fields, strict=True)}

    def reject(rule: str, veld: str, reden: str) -> Rejection:
        return Rejection(rule, reden, source, number, veld, values.get("leerlingnummer") or None)

    leerlingnummer = values.get("leerlingnummer", "")
    if not leerlingnummer:
        return reject("I-VERPLICHT", "leerlingnummer", "leerlingnummer ontbreekt")
    if len(leerlingnummer) > MAX_KEY or not leerlingnummer.isprintable():
        return reject("I-FORMAAT", "leerlingnummer", f"hoogstens {MAX_KEY} leesbare tekens")
    try:
        born = dt.date.fromisoformat(values.get("geboortedatum", ""))
    except ValueError:
        return reject("I-FORMAAT", "geboortedatum", "verwacht een datum JJJJ-MM-DD")
    if born.year < 1900 or len(values["geboortedatum"]) != 10:
        return reject("I-FORMAAT", "geboortedatum", "verwacht een datum JJJJ-MM-DD")
    kwalificatie = values.get("startkwalificatie", "").upper()
    if kwalificatie not in ("", "J", "N"):
        return reject("I-FORMAAT", "startkwalificatie", "verwacht J of N")
    if leerlingnummer in rows:
        return reject(
            "I-DUBBEL",
            "leerlingnummer",
            f"leerlingnummer staat al op regel {rows[leerlingnummer].line}; deze regel is "
            "niet gebruikt",
        )
    rows[leerlingnummer] = _StudentRow(
        Student(
            leerlingnummer=leerlingnummer,
            geboortedatum=born,
            bsn=values.get("bsn", ""),
            onderwijsnummer=values.get("onderwijsnummer", ""),
            startkwalificatie=kwalificatie == "J",
        ),
        number,
    )
    return None


# -- lesregistraties.csv ------------------------------------------------------------------------


def read_registrations(
    path: Path, school: SchoolConfig, file_index: int = 0, not_after: dt.date | None = None
) -> _RegistrationsRead:
    """Read one ``lesregistraties.csv`` (see ``adapters.registrations``) with its row accounting
    and its warnings (W-REDENCODE, W-TEKENSET)."""
    read = read_registration_file(path, school, file_index, not_after)
    rejected = sum(1 for r in read.rejections if r.regelnummer is not None)  # not I-LEEG
    stats = ReadStats(path.name, read.encoding, read.read, read.read - rejected, rejected)
    warnings = [*_code_warnings(read.unknown_codes, path.name), *_encoding_warnings(stats)]
    return _RegistrationsRead(read.frame, read.identities, read.rejections, warnings, stats)


def _code_warnings(unknown: pl.DataFrame, source: str) -> list[Warning]:
    """W-REDENCODE: one warning per reason code missing from ``[redencodes]``."""
    codes = (
        unknown.group_by("code")
        .agg(pl.col("regelnummer").min(), pl.col("rijen").sum())
        .sort("code")
    )
    return [
        Warning(
            regel="W-REDENCODE",
            reden=f"redencode {mask_digits(code)!r} staat niet in [redencodes] van het "
            f"schoolbestand ({count} registraties); geteld zonder categorie (F2)",
            bestand=source,
            regelnummer=line,
            veld="redencode",
        )
        for code, line, count in codes.iter_rows()
    ]


def _resolve_identities(
    students: dict[str, _StudentRow],
    identities: pl.DataFrame,
    students_source: str,
    registration_sources: Sequence[str],
) -> tuple[dict[str, Student], list[Rejection], list[Warning], dict[str, int]]:
    """V01: each pupil's identity from leerlingen.csv, or else from the registrations.

    Returns the identified students, the rejections (V01, I-LEERLING), warnings about conflicting
    identities, and per rejected pupil the number of registrations not assessed.
    """
    per_pupil: dict[str, list[tuple[str | None, str | None, int, int, int]]] = {}
    for pupil, bestand, bsn, onderwijsnummer, line, count in identities.sort(
        "bestand", "regelnummer"
    ).iter_rows():
        per_pupil.setdefault(pupil, []).append((bsn, onderwijsnummer, line, count, bestand))
    resolved: dict[str, Student] = {}
    rejections: list[Rejection] = []
    warnings: list[Warning] = []
    rejected: dict[str, int] = {}
    for pupil in sorted(set(students) | set(per_pupil)):
        rows = per_pupil.get(pupil, [])
        count = sum(row[3] for row in rows)
        reg_bsn = next((row[0] for row in rows if row[0]), "")
        reg_onderwijsnummer = next((row[1] for row in rows if row[1]), "")
        first_source = registration_sources[rows[0][4]] if rows else students_source
        first_line = rows[0][2] if rows else None
        entry = students.get(pupil)
        if entry is None:
            rejected[pupil] = count
            rejections.append(
                Rejection("I-LEERLING",
                          f"leerling staat niet in {students_source}: zonder geboortedatum is de "
                          f"plicht (F4) niet te bepalen; {count} registraties niet beoordeeld",
                          first_source, first_line, "leerlingnummer", pupil)
            )  # fmt: skip
            continue
        student = entry.student
        own_identity = bool(student.bsn or student.onderwijsnummer)
        bsn = student.bsn if own_identity else reg_bsn
        onderwijsnummer = student.onderwijsnummer if own_identity else reg_onderwijsnummer
        problem = identity_problem(bsn, onderwijsnummer)
        if problem is not None:
            rejected[pupil] = count
            source, line = (
                (students_source, entry.line)
                if own_identity or not rows
                else (first_source, first_line)
            )
            rejections.append(
                Rejection("V01", f"{problem}; geen melding mogelijk, {count} registraties niet "
                          "beoordeeld", source, line, "bsn", pupil)
            )  # fmt: skip
            continue
        if own_identity and reg_bsn and student.bsn and reg_bsn != student.bsn:
            warnings.append(
                Warning("W-IDENTITEIT", "BSN in de registraties wijkt af van het leerlingenbestand;"
                        " dat van het leerlingenbestand is gebruikt", pupil,
                        bestand=first_source, regelnummer=first_line, veld="bsn")
            )  # fmt: skip
        resolved[pupil] = (
            student  # its own identity: the same values
            if own_identity
            else Student(
                leerlingnummer=pupil,
                geboortedatum=student.geboortedatum,
                bsn=bsn,
                onderwijsnummer=onderwijsnummer,
                startkwalificatie=student.startkwalificatie,
            )
        )
    return resolved, rejections, warnings, rejected
