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
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from adapters.rows import (
    MAX_KEY,
    Header,
    first_error,
    parse_header,
    shown,
    split_lines,
    strict_date,
    time_minutes,
)
from adapters.textio import CP1252, read_chunks
from gateway.errors import InputError
from gateway.model import Rejection, SchoolConfig, Status, Student, Warning
from gateway.numbers import identity_problem
from gateway.rules.dayfacts import CATEGORIE, GEOORLOOFD, MAX_MINUTES, REGISTRATION_SCHEMA, STATUS

STUDENT_COLUMNS = ("leerlingnummer", "bsn", "onderwijsnummer", "geboortedatum", "startkwalificatie")
REGISTRATION_COLUMNS = (
    "brin", "vestiging", "leerlingnummer", "bsn", "onderwijsnummer", "datum", "lesuur",
    "begintijd", "eindtijd", "status", "redencode", "reden", "geoorloofd", "bron_id",
)  # fmt: skip
REQUIRED_REGISTRATION_COLUMNS = ("leerlingnummer", "datum", "begintijd", "eindtijd", "status")


@dataclass(frozen=True, slots=True)
class ReadStats:
    """Row accounting of one read: read = accepted + rejected + of rejected pupils."""

    bestand: str
    encoding: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    of_rejected_pupils: int = 0


@dataclass(frozen=True, slots=True)
class CanonicalExport:
    """Students and registrations that passed the checks, and everything that did not."""

    students: dict[str, Student]
    registrations: pl.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    stats: list[ReadStats] = field(default_factory=list)


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
    school: SchoolConfig, students_path: Path, registration_paths: Sequence[Path]
) -> CanonicalExport:
    """Read a canonical export; raise InputError only when a file is unusable as a whole."""
    students, rejections, student_stats = read_students(students_path)
    reads = [
        read_registrations(path, school, index) for index, path in enumerate(registration_paths)
    ]
    identities = pl.concat([read.identities for read in reads], how="vertical")
    resolved, pupil_rejections, identity_warnings, rejected = _resolve_identities(
        students, identities, students_path.name, [path.name for path in registration_paths]
    )
    frame = pl.concat([read.frame for read in reads], how="vertical")
    if rejected:
        frame = frame.filter(~pl.col("leerlingnummer").is_in(sorted(rejected)))
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
            replace(read.stats, accepted=read.stats.accepted - lost, of_rejected_pupils=lost)
        )
    for read in reads:
        rejections.extend(read.rejections)
    rejections.extend(pupil_rejections)
    warnings = [
        *_encoding_warnings(student_stats),
        *identity_warnings,
        *(w for read in reads for w in read.warnings),
    ]
    return CanonicalExport(resolved, frame, rejections, warnings, stats)


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
    startkwalificatie`` (J/N, default N). A repeated leerlingnummer keeps the first row."""
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
    if header is None:
        raise InputError(f"{source}: bestand is leeg, verwacht een kopregel (I-KOP)")
    stats = ReadStats(source, encoding, read, len(rows), read - len(rows))
    return rows, rejections, stats


def _student_row(
    line: str, number: int, header: Header, source: str, rows: dict[str, _StudentRow]
) -> Rejection | None:
    if "\x00" in line:
        return Rejection("I-TEKEN", "regel bevat een NUL-teken", source, number)
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


def read_registrations(path: Path, school: SchoolConfig, file_index: int = 0) -> _RegistrationsRead:
    """Read ``lesregistraties.csv`` in blocks into the registration frame of the rule book."""
    source = path.name
    encoding, chunks = read_chunks(path)
    frames: list[pl.DataFrame] = []
    identities: list[pl.DataFrame] = []
    unknown: list[pl.DataFrame] = []
    rejections: list[Rejection] = []
    header: Header | None = None
    read = accepted = 0
    for chunk in chunks:
        lines, first_line = chunk.lines, chunk.first_line
        if header is None:
            if not lines:
                continue
            header = parse_header(
                lines[0], REQUIRED_REGISTRATION_COLUMNS, REGISTRATION_COLUMNS, source
            )
            lines, first_line = lines[1:], first_line + 1
        for bad in chunk.undecodable:
            rejections.append(Rejection("I-TEKENSET", bad.reason, source, bad.number))
        read += len(chunk.undecodable)
        rows = split_lines(lines, first_line, len(header.names))
        read += rows.height
        checked = rows.with_columns(_checks(header, school))
        for row in checked.filter(pl.col("fout_regel").is_not_null()).iter_rows(named=True):
            rejections.append(
                Rejection(row["fout_regel"], row["fout_reden"], source, row["regelnummer"],
                          row["fout_veld"] or None, row["leerlingnummer"] or None)
            )  # fmt: skip
        good = checked.filter(pl.col("fout_regel").is_null())
        accepted += good.height
        frames.append(good.select(_typed_columns(header, school, file_index)))
        identities.append(_identities(good.select(_identity_columns(header, file_index))))
        unknown.append(_unknown_codes(header, school, good))
    if header is None:
        raise InputError(f"{source}: bestand is leeg, verwacht een kopregel (I-KOP)")
    frame = (
        pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=REGISTRATION_SCHEMA)
    )
    identity = pl.concat(identities, how="vertical") if identities else _EMPTY_IDENTITIES
    stats = ReadStats(source, encoding, read, accepted, read - accepted)
    warnings = [*_code_warnings(unknown, source), *_encoding_warnings(stats)]
    return _RegistrationsRead(frame, identity, rejections, warnings, stats)


def _code_warnings(unknown: list[pl.DataFrame], source: str) -> list[Warning]:
    """W-REDENCODE: one warning per reason code missing from ``[redencodes]``."""
    if not unknown:
        return []
    codes = (
        pl.concat(unknown)
        .group_by("code")
        .agg(pl.col("regelnummer").min(), pl.col("rijen").sum())
        .sort("code")
    )
    return [
        Warning(
            regel="W-REDENCODE",
            reden=f"redencode {code!r} staat niet in [redencodes] van het schoolbestand "
            f"({count} registraties); geteld zonder categorie (F2)",
            bestand=source,
            regelnummer=line,
            veld="redencode",
        )
        for code, line, count in codes.iter_rows()
    ]


_EMPTY_IDENTITIES = pl.DataFrame(
    schema={
        "leerlingnummer": pl.String(),
        "bestand": pl.Int32(),
        "bsn": pl.String(),
        "onderwijsnummer": pl.String(),
        "regelnummer": pl.Int64(),
        "rijen": pl.Int64(),
    }
)


def _column(header: Header, name: str) -> pl.Expr:
    index = header.index(name)
    return pl.lit("") if index is None else pl.col(f"f{index}").fill_null("").str.strip_chars()


def _checks(header: Header, school: SchoolConfig) -> list[pl.Expr]:
    """The row checks, in column order; the first failing one is reported."""
    width = len(header.names)
    leerlingnummer = _column(header, "leerlingnummer")
    brin = _column(header, "brin")
    datum = _column(header, "datum")
    begintijd = _column(header, "begintijd")
    eindtijd = _column(header, "eindtijd")
    status = _column(header, "status").str.to_uppercase()
    geoorloofd = _column(header, "geoorloofd").str.to_uppercase()
    lesuur = _column(header, "lesuur")
    begin = time_minutes(begintijd)
    end = time_minutes(eindtijd)
    minutes = end - begin
    lesuur_number = lesuur.cast(pl.Int32, strict=False)
    statuses = [status.value for status in Status]
    checks: list[tuple[pl.Expr, str, str, pl.Expr | str]] = [
        (pl.col("velden") != width, "I-VELDEN",
         "", pl.format(f"verwacht {width} velden, gevonden {{}}", pl.col("velden"))),
        (pl.col("nul"), "I-TEKEN", "", "regel bevat een NUL-teken"),
        (leerlingnummer == "", "I-VERPLICHT", "leerlingnummer", "leerlingnummer ontbreekt"),
        (leerlingnummer.str.len_chars() > MAX_KEY, "I-FORMAAT", "leerlingnummer",
         f"leerlingnummer is langer dan {MAX_KEY} tekens"),
        ((brin != "") & (brin != school.brin), "V13", "brin",
         pl.concat_str(pl.lit("BRIN "), shown(brin, 6),
                       pl.lit(f" hoort niet bij deze school ({school.brin})"))),
        (strict_date(datum).is_null(), "I-FORMAAT", "datum",
         pl.concat_str(shown(datum), pl.lit(" is geen datum JJJJ-MM-DD"))),
        (begin.is_null(), "I-FORMAAT", "begintijd",
         pl.concat_str(shown(begintijd), pl.lit(" is geen tijd UU:MM"))),
        (end.is_null(), "I-FORMAAT", "eindtijd",
         pl.concat_str(shown(eindtijd), pl.lit(" is geen tijd UU:MM"))),
        (minutes < 1, "F1", "eindtijd", "eindtijd ligt niet na de begintijd (F1)"),
        (minutes > MAX_MINUTES, "F1", "eindtijd",
         pl.format(f"registratie duurt {{}} minuten, meer dan {MAX_MINUTES} (F1)", minutes)),
        (~status.is_in(statuses), "I-FORMAAT", "status",
         pl.concat_str(shown(status, 20), pl.lit(f" is geen status ({', '.join(statuses)})"))),
        (~geoorloofd.is_in(["", "J", "N"]), "I-FORMAAT", "geoorloofd",
         pl.concat_str(shown(geoorloofd, 10), pl.lit(" is niet J, N of leeg"))),
        ((lesuur != "") & (lesuur_number.is_null() | ~lesuur_number.is_between(1, 12)),
         "I-FORMAAT", "lesuur", pl.concat_str(shown(lesuur, 10), pl.lit(" is geen lesuur 1-12"))),
    ]  # fmt: skip
    return [*first_error(checks), leerlingnummer.alias("leerlingnummer")]


def _typed_columns(header: Header, school: SchoolConfig, file_index: int) -> list[pl.Expr]:
    """Checked rows in the typed shape of ``REGISTRATION_SCHEMA``; categorie via [redencodes]."""
    mapping = {code: categorie.value for code, categorie in school.redencodes}
    return [
        _column(header, "leerlingnummer").alias("leerlingnummer"),
        strict_date(_column(header, "datum")).alias("datum"),
        time_minutes(_column(header, "begintijd")).cast(pl.Int16).alias("begin"),
        time_minutes(_column(header, "eindtijd")).cast(pl.Int16).alias("eind"),
        _column(header, "status").str.to_uppercase().cast(STATUS).alias("status"),
        _column(header, "geoorloofd").str.to_uppercase().cast(GEOORLOOFD).alias("geoorloofd"),
        _column(header, "redencode")
        .replace_strict(mapping, default="", return_dtype=pl.String())
        .cast(CATEGORIE)
        .alias("categorie"),
        _column(header, "lesuur").cast(pl.Int8, strict=False).alias("lesuur"),
        (pl.col("regelnummer") + file_index * _FILE_STRIDE).alias("volgorde"),
    ]


_FILE_STRIDE = 10**12  # keeps input order across several registration files (F1: later wins)


def _identity_columns(header: Header, file_index: int) -> list[pl.Expr]:
    return [
        _column(header, "leerlingnummer").alias("leerlingnummer"),
        _column(header, "bsn").alias("bsn"),
        _column(header, "onderwijsnummer").alias("onderwijsnummer"),
        pl.col("regelnummer"),
        pl.lit(file_index, pl.Int32).alias("bestand"),
    ]


def _identities(rows: pl.DataFrame) -> pl.DataFrame:
    """Per pupil: the first non-empty BSN and onderwijsnummer, the first line and the row count."""
    return rows.group_by("leerlingnummer", "bestand").agg(
        bsn=pl.col("bsn").filter(pl.col("bsn") != "").first(),
        onderwijsnummer=pl.col("onderwijsnummer").filter(pl.col("onderwijsnummer") != "").first(),
        regelnummer=pl.col("regelnummer").min(),
        rijen=pl.len().cast(pl.Int64),
    )


def _unknown_codes(header: Header, school: SchoolConfig, good: pl.DataFrame) -> pl.DataFrame:
    known = [code for code, _ in school.redencodes]
    code = _column(header, "redencode")
    return (
        good.select(code.alias("code"), "regelnummer")
        .filter((pl.col("code") != "") & ~pl.col("code").is_in(known))
        .group_by("code")
        .agg(regelnummer=pl.col("regelnummer").min(), rijen=pl.len())
    )


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
        resolved[pupil] = Student(
            leerlingnummer=pupil,
            geboortedatum=student.geboortedatum,
            bsn=bsn,
            onderwijsnummer=onderwijsnummer,
            startkwalificatie=student.startkwalificatie,
        )
    return resolved, rejections, warnings, rejected
