"""The canonical interval file ``absentiemeldingen.csv`` (DOMAIN.md 5, issue 5).

``leerlingnummer;begin;eind;beginlesuur;eindlesuur;hele_dag;absentiesoort;redencode;reden;
geoorloofd;afgehandeld;opmerking;bron_id`` with a header (columns in any order): ``begin`` and
``eind`` as ``YYYY-MM-DDTHH:MM`` local time, ``eind`` empty = open (the report runs to
``open_until``, today when the CLI reads it); ``beginlesuur``/``eindlesuur`` optional lesson
numbers on the first and last day; ``hele_dag`` J = every lesson of each day; ``absentiesoort``
Absent, Telaat or Verwijderd; ``geoorloofd`` J, N or empty; ``afgehandeld`` J/N (read, not used).

Each report is cut into the lesson slots of the school's ``[lesrooster]`` on the weekdays it
covers; each slot becomes a registration with bron_id ``{bron_id}:{date}:{lesuur}`` (without a
``bron_id`` the report's natural key ``{leerlingnummer}:{begin}`` stands in, so an export read
twice counts once); redencode and reden travel along for ``verzuim import``. A file with a header
and no report is refused as ``I-LEEG``; a report follows its pupil in the row accounting even
when it covers no lesson. How report
slots meet lesson registrations of the same pupil, date and lesson number is decided by
``merge_reports``: a report fills a lesson that has no registration, and gives its reason to an
absent one; a lesson registered as present, late or not applicable keeps its registration.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl

from adapters.base import AdapterOutput, Where
from adapters.canonical import ReadStats
from adapters.lessons import slots_between, slots_numbered
from adapters.rows import MAX_KEY, empty_file, mask_digits
from gateway.errors import InputError
from gateway.model import Registration, Rejection, SchoolConfig, Status

REQUIRED = ("leerlingnummer", "begin", "absentiesoort")
KNOWN = ("leerlingnummer", "begin", "eind", "beginlesuur", "eindlesuur", "hele_dag",
         "absentiesoort", "redencode", "reden", "geoorloofd", "afgehandeld", "opmerking",
         "bron_id", "bsn", "onderwijsnummer")  # fmt: skip
SOORTEN = {"ABSENT": Status.AFWEZIG, "TELAAT": Status.TE_LAAT, "VERWIJDERD": Status.VERWIJDERD}
MAX_DAYS = 366


def is_interval_file(path: Path) -> bool:
    """A ``;`` file whose header has ``begin`` and ``absentiesoort``."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            header = handle.readline().strip().lower().split(";")
    except OSError:
        return False
    return "begin" in header and "absentiesoort" in header


def read_intervals(
    path: Path, school: SchoolConfig, open_until: dt.date | None = None
) -> AdapterOutput:
    """Read one interval file into registrations, one per covered lesson slot."""
    output = AdapterOutput()
    source = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="windows-1252")
    reader = csv.reader(text.splitlines(), delimiter=";")
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InputError(f"{source}, regel 1: kolom(men) {', '.join(missing)} ontbreken (I-KOP)")
    read = rejected = 0
    for number, fields in enumerate(reader, start=2):
        if not any(field.strip() for field in fields):
            continue
        read += 1
        where = Where(source, number)
        if len(fields) != len(header):
            output.rejections.append(Rejection(
                "I-VELDEN", f"verwacht {len(header)} velden, gevonden {len(fields)}", source,
                number))  # fmt: skip
            rejected += 1
            continue
        values = {name: value.strip() for name, value in zip(header, fields, strict=True)}
        try:
            cut = _cut(values, school, open_until, source, number)
        except _RowError as exc:
            output.rejections.append(Rejection(exc.rule, exc.reason, source, number, exc.field,
                                               values.get("leerlingnummer") or None))  # fmt: skip
            rejected += 1
            continue
        output.registrations.extend((registration, where) for registration in cut)
        output.other_rows.append((values["leerlingnummer"], where, False))
        texts = (values.get("redencode", ""), values.get("reden", ""))
        output.texts.update((registration.bron_id, texts) for registration in cut)
    if read == 0:
        output.rejections.append(empty_file(source, "bestand bevat alleen een kopregel"))
    output.stats.append(ReadStats(source, "utf-8", read, read - rejected, rejected))
    return output


class _RowError(Exception):
    def __init__(self, rule: str, field: str, reason: str) -> None:
        super().__init__(reason)
        self.rule, self.field, self.reason = rule, field, reason


def _cut(
    values: dict[str, str],
    school: SchoolConfig,
    open_until: dt.date | None,
    source: str,
    number: int,
) -> list[Registration]:
    pupil = values.get("leerlingnummer", "")
    if not pupil or len(pupil) > MAX_KEY:
        raise _RowError("I-VERPLICHT", "leerlingnummer", "leerlingnummer ontbreekt of is te lang")
    begin = _moment(values.get("begin", ""), "begin")
    end = _moment(values["eind"], "eind") if values.get("eind") else None
    last_day = end.date() if end else (open_until or begin.date())
    if end is not None and end <= begin:
        raise _RowError("F1", "eind", "eind ligt niet na begin (F1)")
    if (last_day - begin.date()).days > MAX_DAYS:
        raise _RowError("I-FORMAAT", "eind", f"een melding van meer dan {MAX_DAYS} dagen")
    soort = SOORTEN.get(values.get("absentiesoort", "").upper())
    if soort is None:
        raise _RowError("I-FORMAAT", "absentiesoort",
                        f"'{mask_digits(values.get('absentiesoort', ''))[:20]}' is niet Absent, "
                        "Telaat of Verwijderd")  # fmt: skip
    allowed = values.get("geoorloofd", "").upper()
    if allowed not in ("", "J", "N"):
        raise _RowError("I-FORMAAT", "geoorloofd", "geoorloofd is niet J, N of leeg")
    first_lesson = _lesson(values.get("beginlesuur", ""), "beginlesuur")
    last_lesson = _lesson(values.get("eindlesuur", ""), "eindlesuur")
    whole = values.get("hele_dag", "").upper() == "J"
    categorie = school.categorie(values.get("redencode", ""))
    bron = values.get("bron_id") or f"{pupil}:{begin:%Y-%m-%dT%H:%M}"
    registrations = []
    day = begin.date()
    while day <= last_day:
        lessons = school.lessons_on(day)
        if whole or not (day == begin.date() or day == last_day):
            slots = list(lessons)
        elif first_lesson is not None or last_lesson is not None:
            low = first_lesson if day == begin.date() and first_lesson else 1
            high = last_lesson if day == last_day and last_lesson else 12
            slots = slots_numbered(low, high, lessons)
        else:
            start = begin.time() if day == begin.date() else None
            stop = end.time() if end is not None and day == last_day else None
            slots = slots_between(start, stop, lessons)
        for lesuur, slot_begin, slot_end in slots:
            registrations.append(
                Registration(pupil, day, slot_begin, slot_end, soort,
                             None if not allowed else allowed == "J", categorie, lesuur,
                             f"{bron}:{day.isoformat()}:{lesuur}")
            )  # fmt: skip
        day += dt.timedelta(days=1)
    return registrations


def _moment(value: str, field: str) -> dt.datetime:
    try:
        moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError:
        shown = mask_digits(value)[:20]
        raise _RowError("I-FORMAAT", field, f"'{shown}' is geen JJJJ-MM-DDTUU:MM") from None
    return moment


def _lesson(value: str, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 12:
        raise _RowError("I-FORMAAT", field, f"'{mask_digits(value)[:10]}' is geen lesuur 1-12")
    return int(value)


def merge_reports(lessons: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """Lesson registrations and report slots in one frame.

    Matched on (pupil, date, lesson number): a report slot is dropped where the lesson is
    registered as present, late or not applicable, and replaces an absent lesson registration
    (it carries the reason). Report slots of lessons without a registration are kept.
    """
    key = ["leerlingnummer", "datum", "lesuur"]
    kept_lessons = lessons.filter(
        pl.col("lesuur").is_null()
        | ~pl.struct(key).is_in(
            reports.filter(pl.col("lesuur").is_not_null())
            .select(pl.struct(key))
            .to_series()
            .implode()
        )
        | pl.col("status").is_in([Status.AANWEZIG.value, Status.TE_LAAT.value, Status.NVT.value])
    )
    present = (
        lessons.filter(
            pl.col("status").is_in([Status.AANWEZIG.value, Status.TE_LAAT.value, Status.NVT.value])
            & pl.col("lesuur").is_not_null()
        )
        .select(pl.struct(key))
        .to_series()
    )
    kept_reports = reports.filter(~pl.struct(key).is_in(present.implode()))
    offset = report_offset(lessons)
    return pl.concat(
        [kept_lessons, kept_reports.with_columns(pl.col("volgorde") + offset)], how="vertical"
    )


def report_offset(lessons: pl.DataFrame) -> int:
    """What ``merge_reports`` adds to the ``volgorde`` of report slots: after every lesson."""
    highest = lessons.get_column("volgorde").max() if lessons.height else None
    return int(highest) + 1 if isinstance(highest, int) else 0
