"""Eduarte (MBO) exports: headerless ``;`` absentiemeldingen and waarnemingen (DOMAIN.md 5).

Files (UTF-8 or Windows-1252, no header; which is which is decided per file by its field count):

- **absentiemeldingen**, 9 fields: ``deelnemernummer; begindatum (yyyyMMdd); begintijd;
  einddatum (yyyyMMdd or empty); eindtijd; beginlesuur; eindlesuur; redencode; opmerking``.
  Times may be spelt ``HHmm``, ``HH:mm``, ``H:mm``, ``HH.mm``, ``HH`` or be empty.
- **waarnemingen**, 10 fields (the first eight are not fixed by DOMAIN.md; this adapter reads):
  ``deelnemernummer; datum (yyyyMMdd); begintijd; eindtijd; lesuur; vak; docent; groep;
  waarneming (Aanwezig/Afwezig/Nvt/DeelsAfwezig); afgehandeld (J/N)``. ``vak``, ``docent`` and
  ``groep`` are free text, read as data and not used. A waarneming needs both times, or a
  ``lesuur`` of that day in the school's ``[lesrooster]`` (``SchoolConfig.lessons_on``; without
  one ``adapters.lessons.DEFAULT_LESSONS``) to take the times from.
- a canonical **leerlingen.csv** (recognised by its header) for birth date and identity, with
  ``leerlingnummer`` = deelnemernummer (``adapters.canonical.read_students``).

Decisions (DOMAIN.md 5: "an absence without a report, or with a reason that is not geoorloofd,
is unexcused"; Eduarte gives no geoorloofd boolean, so it is derived from the categorie):

- A reason code's categorie comes from the school's ``[redencodes]`` (``school.categorie``).
  Categories ZIEK, MEDISCH, VERLOF and SCHORSING are geoorloofd (``J``); LUXE, OVERIG, an unknown
  code (warning ``W-REDENCODE``) and an empty code are not (``N``).
- ``Afwezig`` -> ``AFWEZIG``. It takes ``geoorloofd`` and ``categorie`` from the absentiemelding
  covering it (same pupil and date; by lesson number when both give one, else by overlapping time;
  of several, the last in the files wins), and is ``N`` without categorie when none covers it.
  ``afgehandeld`` is checked (J/N) but changes nothing: an unhandled absence is unexcused too.
- ``DeelsAfwezig`` (partly absent from a lesson: came late or left early) -> ``TE_LAAT``: it never
  counts towards 16 hours (DOMAIN.md 6), feeds R-SIGNAAL when unexcused, and shows the pupil was
  at school that day (F6).
- ``Aanwezig`` -> ``AANWEZIG``; ``Nvt`` -> ``NVT``.
- An absentiemelding is cut into the lesson slots of the school's timetable for each schooldag
  (Mon-Fri) it covers (``SchoolConfig.lessons_on``; by default ``DEFAULT_LESSONS``): by time when
  it gives a time, else by lesson numbers, else all lessons of the day. A slot that no waarneming
  of the pupil covers becomes an ``AFWEZIG`` registration of its own, so exports of reports
  only still count; of several reports covering such a slot the last in the files gives it. An
  empty einddatum is the begindatum when an eindtijd or eindlesuur is given, otherwise the report
  is open and runs to the last date in the files read. A report may span at most 366 days.
- bron_id: Eduarte gives no ids, so a registration's bron_id is its natural key
  ``eduarte:{deelnemernummer}:{yyyyMMdd}:{HHmm}-{HHmm}`` (pupil, date, begin, end), the same for
  a waarneming and a report slot: stable across exports, so a lesson exported twice (in one file
  or in two) counts once (``assemble``: the later wins, W-DUBBEL, counted as ``duplicates``).
  The report's redencode and opmerking travel along as redencode and reden for ``verzuim
  import``; a report gives no registration of its own where waarnemingen cover it and follows
  its pupil in the row accounting.
- Counting is the rule book's business: MBO counts clock hours unless ``mbo_telt_lesuren`` (F3).

Every bad row becomes a rejection (file, line, field, rule) and the other rows go on: ``I-VELDEN``
(field count, truncated last line), ``I-TEKENSET``/``I-TEKEN`` (encoding, NUL), ``I-VERPLICHT`` /
``I-FORMAAT`` (missing or malformed value, over-long text field, key with other characters), ``F1``
(end not after begin, longer than 720 minutes; einddatum before begindatum). An empty file is
rejected as ``I-LEEG``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from adapters.base import AdapterOutput, Where
from adapters.canonical import ReadStats
from adapters.lessons import LessonSlot, slots_between, slots_numbered
from adapters.rows import MAX_KEY, empty_file
from adapters.textrows import (
    StudentsRead,
    TextLine,
    as_time,
    categorie_of,
    clock_minutes,
    code_warnings,
    compact_date,
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
from gateway.model import Categorie, Registration, Rejection, SchoolConfig, Status
from gateway.rules.dayfacts import MAX_MINUTES

ABSENTIEMELDING_FIELDS = (
    "deelnemernummer",
    "begindatum",
    "begintijd",
    "einddatum",
    "eindtijd",
    "beginlesuur",
    "eindlesuur",
    "redencode",
    "opmerking",
)
WAARNEMING_FIELDS = (
    "deelnemernummer",
    "datum",
    "begintijd",
    "eindtijd",
    "lesuur",
    "vak",
    "docent",
    "groep",
    "waarneming",
    "afgehandeld",
)
GEOORLOOFD = frozenset({Categorie.ZIEK, Categorie.MEDISCH, Categorie.VERLOF, Categorie.SCHORSING})
PRESENCE = {
    "aanwezig": Status.AANWEZIG,
    "afwezig": Status.AFWEZIG,
    "nvt": Status.NVT,
    "deelsafwezig": Status.TE_LAAT,
}
MAX_REPORT_DAYS = 366
_DAY_END = 24 * 60
_SAMPLE_LINES = 200
_Span = tuple[list[LessonSlot], int, int, tuple[int, int] | None]  # slots, start, stop, lessons


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


class _RowError(Exception):
    """A refused row: rule, field and reason (caught per line, never leaves this module)."""

    def __init__(self, rule: str, veld: str, reason: str) -> None:
        super().__init__(reason)
        self.rule, self.veld, self.reason = rule, veld, reason


@dataclass(frozen=True, slots=True)
class _Report:
    """One absentiemelding, checked."""

    pupil: str
    first: dt.date
    last: dt.date | None  # None: open
    begin: int | None  # minutes, on the first day
    end: int | None  # minutes, on the last day
    low: int | None  # lesson numbers
    high: int | None
    geoorloofd: bool
    categorie: Categorie | None
    where: Where
    code: str
    opmerking: str

    def coverage(self, day: dt.date, last: dt.date, lessons: tuple[LessonSlot, ...]) -> _Span:
        """Slots of ``day`` (of the day's ``lessons``), the covered time span, and the covered
        lesson range if by lesson."""
        if self.begin is not None or self.end is not None:
            start = self.begin if day == self.first and self.begin is not None else 0
            stop = self.end if day == last and self.end is not None else _DAY_END
            end = None if stop == _DAY_END else as_time(stop)
            slots = slots_between(as_time(start), end, lessons)
            return slots, start, stop, None
        if self.low is not None or self.high is not None:
            low = self.low if day == self.first and self.low is not None else 1
            high = self.high if day == last and self.high is not None else 12
            slots = slots_numbered(low, high, lessons)
            first = min((slot[1] for slot in slots), default=dt.time(0, 0))
            final = max((slot[2] for slot in slots), default=dt.time(23, 59))
            return slots, _minutes(first), _minutes(final), (low, high)
        return list(lessons), 0, _DAY_END, None


@dataclass(frozen=True, slots=True)
class _Observation:
    """One waarneming, checked."""

    pupil: str
    datum: dt.date
    begin: int
    end: int
    lesuur: int | None
    status: Status
    where: Where


@dataclass(slots=True)
class _Files:
    """Everything read from the data files, before reports and waarnemingen are combined."""

    reports: list[_Report] = field(default_factory=list)
    observations: list[_Observation] = field(default_factory=list)
    output: AdapterOutput = field(default_factory=AdapterOutput)


class EduarteAdapter:
    """Eduarte absentiemeldingen and waarnemingen plus a canonical leerlingen.csv (see module)."""

    name = "eduarte"

    def detect(self, paths: Sequence[Path]) -> bool:
        """Headerless ``;`` lines of 9 or 10 fields whose second field is a ``yyyyMMdd`` date; the
        other files may be a leerlingen.csv."""
        found = False
        for path in paths:
            if is_students_file(path):
                continue
            fields = first_line(path).split(";")
            if len(fields) not in (9, 10) or compact_date(fields[1].strip()) is None:
                return False
            found = True
        return found

    def read(self, school: SchoolConfig, paths: Sequence[Path]) -> AdapterOutput:
        """Read every file; bad rows become rejections, the good ones go on."""
        files = _Files()
        students: StudentsRead | None = None
        for path in paths:
            if students is None and is_students_file(path):
                students = load_students(path)
                files.output.rejections.extend(students.rejections)
                files.output.stats.append(students.stats)
                continue
            _read_file(path, school, files)
        output = files.output
        output.registrations.extend(
            _combine(files.reports, files.observations, school, output.texts)
        )
        output.other_rows.extend((report.pupil, report.where, False) for report in files.reports)
        output.students.extend(students_with_identity(students, {}))
        return output


def _kind(path: Path) -> int:
    """9 (absentiemeldingen) or 10 (waarnemingen): the most common of the two field counts among
    the first lines (ties and files with neither: the first seen, else 10)."""
    counts: Counter[int] = Counter()
    _, lines = text_lines(path)
    for index, line in enumerate(lines):
        if index >= _SAMPLE_LINES:
            break
        fields = split_fields(line.text) if line.problem is None else None
        if fields is not None and len(fields) in (9, 10):
            counts[len(fields)] += 1
    return counts.most_common(1)[0][0] if counts else 10


def _read_file(path: Path, school: SchoolConfig, files: _Files) -> None:
    source = path.name
    width = _kind(path)
    names = ABSENTIEMELDING_FIELDS if width == 9 else WAARNEMING_FIELDS
    encoding, lines = text_lines(path)
    output = files.output
    output.warnings.extend(encoding_warning(source, encoding))
    unknown: dict[str, tuple[int, int]] = {}
    read = rejected = 0
    for line in lines:
        read += 1
        problem = line.problem or _parse_line(line, source, names, school, unknown, files)
        if problem is not None:
            rejected += 1
            output.rejections.append(problem)
    if read == 0:
        output.rejections.append(empty_file(source))
    output.warnings.extend(code_warnings(unknown, source))
    output.stats.append(ReadStats(source, encoding, read, read - rejected, rejected))


def _parse_line(
    line: TextLine,
    source: str,
    names: tuple[str, ...],
    school: SchoolConfig,
    unknown: dict[str, tuple[int, int]],
    files: _Files,
) -> Rejection | None:
    fields = split_fields(line.text)
    if fields is None or len(fields) != len(names):
        found = None if fields is None else len(fields)
        kind = "absentiemelding" if len(names) == 9 else "waarneming"
        return field_count(source, line, f"{len(names)} ({kind})", found)
    values = dict(zip(names, (value.strip() for value in fields), strict=True))
    pupil = values["deelnemernummer"]
    try:
        too_long = long_field(names, fields)
        if too_long is not None:
            raise _RowError("I-FORMAAT", too_long, f"{too_long} is langer dan 3000 tekens")
        key = key_problem(pupil, "deelnemernummer")
        if key is not None:
            pupil = ""
            raise _RowError(key[0], "deelnemernummer", key[1])
        where = Where(source, line.number)
        if len(names) == 9:
            files.reports.append(_report(values, school, unknown, where))
        else:
            files.observations.append(_observation(values, school, where))
    except _RowError as bad:
        return Rejection(bad.rule, bad.reason, source, line.number, bad.veld, pupil or None)
    return None


def _date(values: dict[str, str], name: str) -> dt.date:
    value = values[name]
    if not value:
        raise _RowError("I-VERPLICHT", name, f"{name} ontbreekt")
    day = compact_date(value)
    if day is None:
        raise _RowError("I-FORMAAT", name, f"{quoted(value)} is geen datum jjjjMMdd")
    return day


def _time(values: dict[str, str], name: str) -> int | None:
    value = values[name]
    if not value:
        return None
    minutes = clock_minutes(value)
    if minutes is None:
        raise _RowError(
            "I-FORMAAT", name, f"{quoted(value)} is geen tijd (UUmm, UU:mm, UU.mm of UU)"
        )
    return minutes


def _lesson(values: dict[str, str], name: str) -> int | None:
    value = values[name]
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 12:
        raise _RowError("I-FORMAAT", name, f"{quoted(value, 10)} is geen lesuur 1-12")
    return int(value)


def _report(
    values: dict[str, str], school: SchoolConfig, unknown: dict[str, tuple[int, int]], where: Where
) -> _Report:
    first = _date(values, "begindatum")
    begin = _time(values, "begintijd")
    last = None if not values["einddatum"] else _date(values, "einddatum")
    end = _time(values, "eindtijd")
    low = _lesson(values, "beginlesuur")
    high = _lesson(values, "eindlesuur")
    if last is None and (end is not None or high is not None):
        last = first
    if last is not None:
        if last < first:
            raise _RowError("F1", "einddatum", "einddatum ligt voor de begindatum (F1)")
        if (last - first).days >= MAX_REPORT_DAYS:
            raise _RowError(
                "I-FORMAAT", "einddatum", f"melding beslaat meer dan {MAX_REPORT_DAYS} dagen"
            )
        if last == first and begin is not None and end is not None and end <= begin:
            raise _RowError("F1", "eindtijd", "eindtijd ligt niet na de begintijd (F1)")
        if last == first and low is not None and high is not None and high < low:
            raise _RowError("F1", "eindlesuur", "eindlesuur ligt voor het beginlesuur (F1)")
    code = values["redencode"]
    if len(code) > MAX_KEY:
        raise _RowError("I-FORMAAT", "redencode", f"redencode is langer dan {MAX_KEY} tekens")
    categorie = categorie_of(school, code, unknown, where.regelnummer or 0)
    return _Report(
        values["deelnemernummer"],
        first,
        last,
        begin,
        end,
        low,
        high,
        categorie in GEOORLOOFD,
        categorie,
        where,
        code,
        values["opmerking"],
    )


def _observation(values: dict[str, str], school: SchoolConfig, where: Where) -> _Observation:
    datum = _date(values, "datum")
    begin = _time(values, "begintijd")
    end = _time(values, "eindtijd")
    lesuur = _lesson(values, "lesuur")
    if begin is None or end is None:
        slot = next((s for s in school.lessons_on(datum) if s[0] == lesuur), None)
        if begin is not None or end is not None or slot is None:
            missing = "begintijd" if begin is None else "eindtijd"
            raise _RowError(
                "I-VERPLICHT",
                missing,
                f"{missing} ontbreekt (en geen lesuur van het "
                "lesrooster om de tijden van te nemen)",
            )
        begin, end = _minutes(slot[1]), _minutes(slot[2])
    if end <= begin:
        raise _RowError("F1", "eindtijd", "eindtijd ligt niet na de begintijd (F1)")
    if end - begin > MAX_MINUTES:
        raise _RowError(
            "F1", "eindtijd", f"waarneming duurt {end - begin} minuten, meer dan {MAX_MINUTES} (F1)"
        )
    presence = values["waarneming"]
    status = PRESENCE.get(presence.lower())
    if status is None:
        raise _RowError(
            "I-FORMAAT",
            "waarneming",
            f"{quoted(presence, 20)} is geen waarneming (Aanwezig, Afwezig, Nvt, DeelsAfwezig)",
        )
    if values["afgehandeld"].upper() not in ("J", "N"):
        raise _RowError(
            "I-FORMAAT", "afgehandeld", f"{quoted(values['afgehandeld'], 10)} is niet J of N"
        )
    return _Observation(
        values["deelnemernummer"],
        datum,
        begin,
        end,
        lesuur,
        status,
        where,
    )


def bron_id(pupil: str, day: dt.date, begin: int, end: int) -> str:
    """The natural key of an Eduarte registration (see the module docstring)."""
    return f"eduarte:{pupil}:{day:%Y%m%d}:{as_time(begin):%H%M}-{as_time(end):%H%M}"


def _combine(
    reports: list[_Report],
    observations: list[_Observation],
    school: SchoolConfig,
    texts: dict[str, tuple[str, str]],
) -> list[tuple[Registration, Where]]:
    """Waarnemingen with the reason of the report covering them, then report slots (of the school's
    timetable for the day) that no waarneming covers, each slot once (see the module docstring).
    ``texts`` gets the reason code and opmerking of every registration a report gave a reason."""
    dates = [o.datum for o in observations] + [r.last or r.first for r in reports]
    horizon = max(dates, default=dt.date.min)
    by_day: dict[tuple[str, dt.date], list[tuple[_Report, _Span]]] = defaultdict(list)
    for report in reports:
        last = report.last or max(horizon, report.first)
        day = report.first
        while day <= last:
            if day.weekday() < 5:
                span = report.coverage(day, last, school.lessons_on(day))
                by_day[(report.pupil, day)].append((report, span))
            day += dt.timedelta(days=1)
    seen: dict[tuple[str, dt.date], list[_Observation]] = defaultdict(list)
    result: list[tuple[Registration, Where]] = []
    for obs in observations:
        seen[(obs.pupil, obs.datum)].append(obs)
        geoorloofd: bool | None = None
        categorie: Categorie | None = None
        reason: _Report | None = None
        if obs.status in (Status.AFWEZIG, Status.TE_LAAT):
            geoorloofd = False
            for report, (_, start, stop, lessons) in reversed(
                by_day.get((obs.pupil, obs.datum), [])
            ):
                if _covers(obs.lesuur, obs.begin, obs.end, start, stop, lessons):
                    geoorloofd, categorie, reason = report.geoorloofd, report.categorie, report
                    break
        registration = Registration(
            obs.pupil,
            obs.datum,
            as_time(obs.begin),
            as_time(obs.end),
            obs.status,
            geoorloofd,
            categorie,
            obs.lesuur,
            bron_id(obs.pupil, obs.datum, obs.begin, obs.end),
        )
        result.append((registration, obs.where))
        if reason is not None:
            texts[registration.bron_id] = (reason.code, reason.opmerking)
    for (pupil, day), entries in by_day.items():
        slots_of_day: dict[int, tuple[_Report, LessonSlot]] = {}  # lesuur -> the last report
        for report, (slots, _, _, _) in entries:
            for slot in slots:
                number, begin, end = slot
                start, stop = _minutes(begin), _minutes(end)
                if not any(
                    _covers(o.lesuur, o.begin, o.end, start, stop, (number, number))
                    for o in seen.get((pupil, day), [])
                ):
                    slots_of_day[number] = (report, slot)
        for report, (number, begin, end) in sorted(
            slots_of_day.values(), key=lambda entry: entry[1][0]
        ):
            registration = Registration(
                pupil,
                day,
                begin,
                end,
                Status.AFWEZIG,
                report.geoorloofd,
                report.categorie,
                number,
                bron_id(pupil, day, _minutes(begin), _minutes(end)),
            )
            result.append((registration, report.where))
            texts[registration.bron_id] = (report.code, report.opmerking)
    return result


def _covers(
    lesuur: int | None,
    begin: int,
    end: int,
    start: int,
    stop: int,
    lessons: tuple[int, int] | None,
) -> bool:
    """Whether a report span covers a lesson: by number when both have one, else by time."""
    if lessons is not None and lesuur is not None:
        return lessons[0] <= lesuur <= lessons[1]
    return begin < stop and end > start
