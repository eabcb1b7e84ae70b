"""Somtoday (VO): ``waarnemingen`` per lesson joined with ``absentiemeldingen`` (DOMAIN.md 5).

Input files (any order; one or more JSON pages of each kind):

- ``*.json`` with the body of ``/rest/v1/waarnemingen``: ``{"items": [...]}``, each item one
  lesson of one pupil: ``id``, ``leerling{id, leerlingnummer}``, ``beginDatumTijd`` and
  ``eindDatumTijd`` with a UTC offset (``2024-09-02T08:30:00.000+02:00``), optional
  ``beginLesuur``/``eindLesuur``, ``waarnemingSoort``.
- ``*.json`` with the body of ``/rest/v1/absentiemeldingen``: ``{"items": [...]}``, each item an
  interval report: ``id``, ``leerling``, ``beginDatumTijd``, ``eindDatumTijd`` (absent = open),
  ``absentieReden{absentieSoort, afkorting, omschrijving, geoorloofd}``, ``afgehandeld``.
- exactly one ``*.csv``: the student export ``leerlingnummer;bsn;onderwijsnummer;geboortedatum;
  startkwalificatie``, read by the canonical ``leerlingen.csv`` reader (same checks, same rule
  ids). Somtoday's API does not give BSN or birth date, so identity (V01, F4) comes from there.

A JSON file is told apart by its items (``waarnemingSoort`` or ``absentieReden``), or, when it
has none, by its name. Waarnemingen and reports are joined, and pupils matched with the student
export, on ``leerling.leerlingnummer`` (a number or text); Somtoday's internal ``leerling.id`` is
not used. Decisions where Somtoday's data leave room (DOMAIN.md 4.1, 4.3 F2/F6):

- ``Afwezig`` covered by an absentiemelding of the same pupil (the report's interval and the
  lesson overlap by at least a minute; an open report runs on forever) takes the report's reason:
  ``absentieSoort`` Absent -> AFWEZIG, Telaat -> TE_LAAT, Verwijderd -> VERWIJDERD;
  ``geoorloofd`` from the reason; categorie ``school.categorie(afkorting)`` (an unknown code keeps
  the lesson without categorie, warning ``W-REDENCODE``). Overlap rather than containment because
  Telaat and Verwijderd reports are short intervals *inside* the lesson they belong to. When
  several reports cover a lesson, the one with the largest overlap wins, then the later one.
- ``Afwezig`` without a report is unexcused: ``geoorloofd = False`` (N), no categorie. Somtoday
  itself treats it as "ongeoorloofd tot het tegendeel", as Eduarte does (DOMAIN.md 5); it counts
  under F2 either way, but an N does not raise ``W-ONBEKEND`` on every skipped lesson.
- ``Aanwezig`` -> AANWEZIG (presence breaks a run, F6), never joined with a report.
  ``Nvt`` (no lesson for this pupil) and ``Onbekend`` (attendance not taken) -> NVT: neither
  absence nor presence. Any other ``waarnemingSoort`` or ``absentieSoort`` is refused (I-FORMAAT).
- ``afgehandeld`` is the attendance office's follow-up flag, not the authorisation: it is
  checked to be a boolean when present and otherwise not used (the SIS's own leerplicht reports
  go by the reason's ``geoorloofd``).
- An absentiemelding is a reason, not a registration: days it covers without waarnemingen add
  nothing. A refused report leaves its lessons uncovered, hence unexcused; the rejection tells
  the school to fix it before sending.
- Times are converted to Europe/Amsterdam local time with ``zoneinfo`` (correct on either side
  of a DST change whatever offset the stamp carries); a lesson whose local begin and end fall on
  different dates is refused (F1). ``bron_id`` is ``somtoday:waarneming:{id}``; a waarneming
  whose ``id`` comes again later for the same pupil is replaced by the later one (``assemble``:
  W-DUBBEL, counted as ``duplicates``). The report's ``afkorting`` and ``omschrijving`` travel
  along as redencode and reden for ``verzuim import``.
- Accounting: the unit is the item, per file read = accepted + rejected; an absentiemelding
  gives no registration of its own and follows its pupil (a rejected pupil's reports count as
  rows of rejected pupils). An empty file (0 bytes) is refused as ``I-LEEG``.

Rejections (the other items go on): ``I-JSON`` (not UTF-8 JSON at all: the whole file),
``I-VORM`` (not ``{"items": [...]}``: the whole file; an item that is not an object),
``I-VERPLICHT`` (field missing), ``I-FORMAAT`` (malformed value, unknown soort), ``I-TEKENSET``
(bytes that are not UTF-8 inside a string), ``I-TEKEN`` (NUL character), ``F1`` (end not after
begin, longer than 720 minutes, across midnight). Each names the file, the JSON path
(``$.items[3]``) and the field; texts never repeat a nine-digit value (BSN).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar
from zoneinfo import ZoneInfo

from adapters.base import AdapterOutput, Where
from adapters.canonical import ReadStats, read_students
from adapters.progress import advance
from adapters.rows import MAX_KEY, empty_file, mask_digits
from adapters.textio import BOM, UTF8
from gateway.errors import InputError
from gateway.model import Registration, Rejection, SchoolConfig, Status, Warning
from gateway.rules.dayfacts import minutes_problem

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
WAARNEMINGEN: Final = "waarnemingen"
ABSENTIEMELDINGEN: Final = "absentiemeldingen"
DETECT_BYTES: Final = 1 << 20
WAARNEMING_SOORTEN: Final[dict[str, Status]] = {
    "aanwezig": Status.AANWEZIG,
    "afwezig": Status.AFWEZIG,
    "nvt": Status.NVT,
    "onbekend": Status.NVT,
}
ABSENTIE_SOORTEN: Final[dict[str, Status]] = {
    "absent": Status.AFWEZIG,
    "telaat": Status.TE_LAAT,
    "verwijderd": Status.VERWIJDERD,
}
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")
_MAX_SHOWN = 40


class _ItemError(Exception):
    """One problem with one item: the rule, the field and the reason (raised while checking)."""

    def __init__(self, rule: str, veld: str, reden: str) -> None:
        super().__init__(reden)
        self.rule = rule
        self.veld = veld
        self.reden = reden


@dataclass(frozen=True, slots=True)
class _Waarneming:
    """One checked waarneming (times aware, in UTC or any offset)."""

    item_id: str
    leerlingnummer: str
    begin: dt.datetime
    end: dt.datetime
    status: Status
    lesuur: int | None
    where: Where


@dataclass(frozen=True, slots=True)
class _Absentiemelding:
    """One checked absentiemelding; ``end`` None is an open report."""

    leerlingnummer: str
    begin: dt.datetime
    end: dt.datetime | None
    status: Status
    afkorting: str
    geoorloofd: bool
    where: Where
    omschrijving: str = ""


@dataclass(slots=True)
class _JsonFile:
    """A parsed JSON file: its kind (waarnemingen or absentiemeldingen) and its items."""

    path: Path
    kind: str = ""
    items: list[object] = field(default_factory=list)


class SomtodayAdapter:
    """Somtoday ``waarnemingen`` + ``absentiemeldingen`` JSON and a student CSV (DOMAIN.md 5)."""

    name = "somtoday"

    def detect(self, paths: Sequence[Path]) -> bool:
        """True when one of the files is JSON naming ``waarnemingSoort`` or ``absentieReden``."""
        for path in paths:
            if path.suffix.lower() != ".json" or not path.is_file():
                continue
            with path.open("rb") as handle:
                head = handle.read(DETECT_BYTES)
            if b'"waarnemingSoort"' in head or b'"absentieReden"' in head:
                return True
        return False

    def read(self, school: SchoolConfig, paths: Sequence[Path]) -> AdapterOutput:
        """Read the student CSV and the JSON pages; join waarnemingen with their reports.

        Raises InputError only when there is not exactly one student CSV or its header is
        unusable; a bad JSON file or item becomes a rejection and the rest is read.
        """
        csv_paths = [path for path in paths if path.suffix.lower() == ".csv"]
        if len(csv_paths) != 1:
            raise InputError(
                "somtoday: verwacht precies één leerlingenbestand (.csv: leerlingnummer;bsn;"
                f"onderwijsnummer;geboortedatum;startkwalificatie), gevonden {len(csv_paths)}"
            )
        output = AdapterOutput()
        rows, student_rejections, student_stats = read_students(csv_paths[0])
        for row in rows.values():
            output.students.append((row.student, Where(csv_paths[0].name, row.line)))
        output.rejections.extend(student_rejections)
        output.stats.append(student_stats)

        waarnemingen: list[_Waarneming] = []
        meldingen: list[_Absentiemelding] = []
        stats: list[ReadStats] = []
        for path in paths:
            if path.suffix.lower() == ".csv":
                continue
            parsed = _load(path, output.rejections)
            if parsed is None:
                stats.append(ReadStats(path.name, UTF8))
                continue
            before = len(output.rejections)
            if parsed.kind == WAARNEMINGEN:
                for where, item in _items(parsed):
                    found = _checked(where, item, _waarneming, output.rejections)
                    if found is not None:
                        waarnemingen.append(found)
            else:
                for where, item in _items(parsed):
                    melding = _checked(where, item, _absentiemelding, output.rejections)
                    if melding is not None:
                        meldingen.append(melding)
                        output.other_rows.append((melding.leerlingnummer, melding.where, False))
            rejected = len(output.rejections) - before
            read = len(parsed.items)
            stats.append(ReadStats(path.name, UTF8, read, read - rejected, rejected))
        output.stats.extend(stats)

        registrations, used_codes = _join(school, waarnemingen, meldingen, output.texts)
        output.registrations.extend(registrations)
        output.warnings.extend(_code_warnings(school, meldingen, used_codes))
        return output


# -- files ---------------------------------------------------------------------------------------


def _load(path: Path, rejections: list[Rejection]) -> _JsonFile | None:
    """The file's items and kind, or None after a whole-file rejection (I-JSON, I-VORM).

    Bytes that are not UTF-8 are kept as lone surrogates, so that only the items whose strings
    hold them are refused (I-TEKENSET) and a stray byte never loses the whole file.
    """
    source = path.name
    raw = path.read_bytes()
    if not raw:
        rejections.append(empty_file(source))
        return None
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    text = raw.decode(UTF8, errors="surrogateescape")
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as error:
        line = error.lineno if isinstance(error, json.JSONDecodeError) else None
        message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        rejections.append(
            Rejection("I-JSON", f"$: geen geldige JSON ({message}); bestand niet gelezen",
                      source, line)
        )  # fmt: skip
        return None
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        rejections.append(
            Rejection("I-VORM", "$: verwacht een object met een lijst 'items' (de body van "
                      "/rest/v1/waarnemingen of /rest/v1/absentiemeldingen); bestand niet gelezen",
                      source, None, "items")
        )  # fmt: skip
        return None
    kind = _kind(items, path)
    if kind is None:
        rejections.append(
            Rejection("I-VORM", "$.items: geen waarnemingen (waarnemingSoort) en geen "
                      "absentiemeldingen (absentieReden); bestand niet gelezen",
                      source, None, "items")
        )  # fmt: skip
        return None
    return _JsonFile(path, kind, items)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is geen JSON-getal")


def _kind(items: list[object], path: Path) -> str | None:
    """Waarnemingen or absentiemeldingen, by the items' fields or else by the file name."""
    dicts = [item for item in items if isinstance(item, dict)]
    if any("waarnemingSoort" in item for item in dicts):
        return WAARNEMINGEN
    if any("absentieReden" in item for item in dicts):
        return ABSENTIEMELDINGEN
    stem = path.stem.lower()
    if "waarneming" in stem:
        return WAARNEMINGEN
    if "absentie" in stem:
        return ABSENTIEMELDINGEN
    return WAARNEMINGEN if not items else None


def _items(parsed: _JsonFile) -> Iterator[tuple[Where, object]]:
    source, total = parsed.path.name, len(parsed.items)
    for index, item in enumerate(parsed.items):
        yield Where(source, pad=f"$.items[{index}]"), item
        if index % 1000 == 999 or index + 1 == total:
            advance(source, index + 1, total)  # a progress bar on a terminal (issue 5)


_T = TypeVar("_T")


def _checked(
    where: Where,
    item: object,
    check: Callable[[Where, dict[str, object]], _T],
    rejections: list[Rejection],
) -> _T | None:
    """``check(item)``, or None after recording the item's first problem as a rejection."""
    pupil: str | None = None
    try:
        if not isinstance(item, dict):
            raise _ItemError("I-VORM", "", f"verwacht een object, gevonden {_json_type(item)}")
        pupil = _pupil_or_none(item)
        _check_text(item, "")
        return check(where, item)
    except _ItemError as bad:
        rejections.append(
            Rejection(bad.rule, f"{where.pad}: {bad.reden}", where.bestand, where.regelnummer,
                      bad.veld or None, pupil)
        )  # fmt: skip
        return None


_SURROGATE = re.compile("[\udc80-\udcff]")


def _clean(value: object) -> bool:
    """Whether no key or string of ``value`` holds an undecodable byte or a NUL (fast pass)."""
    if isinstance(value, str):
        return "\x00" not in value and (value.isascii() or _SURROGATE.search(value) is None)
    if isinstance(value, dict):
        return all(_clean(key) and _clean(inner) for key, inner in value.items())
    if isinstance(value, list):
        return all(_clean(inner) for inner in value)
    return True


def _check_text(value: object, path: str) -> None:
    """I-TEKENSET / I-TEKEN: no undecodable byte and no NUL in any key or string of the item.

    A fast pass first; only an item with a problem is walked again to name the path.
    """
    if _clean(value):
        return
    _locate_text_problem(value, path)


def _locate_text_problem(value: object, path: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _locate_text_problem(key, f"{path}.(naam)" if path else "(naam)")
            name = f"{path}.{key}" if path else str(key)
            _locate_text_problem(inner, name)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _locate_text_problem(inner, f"{path}[{index}]")
    elif isinstance(value, str):
        bad = _SURROGATE.search(value)
        if bad is not None:
            byte = ord(bad.group()) - 0xDC00
            raise _ItemError("I-TEKENSET", path, f"{path}: byte 0x{byte:02X} is geen geldige UTF-8")
        if "\x00" in value:
            raise _ItemError("I-TEKEN", path, f"{path}: bevat een NUL-teken")


# -- fields --------------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "een getal"
    if isinstance(value, str):
        return "tekst"
    if isinstance(value, list):
        return "een lijst"
    return "een object"


def _shown(value: object) -> str:
    """A value for a rejection text: short, nine-digit runs masked (never a BSN)."""
    text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return mask_digits(text)


def _required(item: dict[str, object], key: str, veld: str | None = None) -> object:
    value = item.get(key)
    if value is None or value == "":
        raise _ItemError("I-VERPLICHT", veld or key, f"{veld or key} ontbreekt")
    return value


def _key(value: object, veld: str) -> str:
    """An id or leerlingnummer: a whole number or a short printable text."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _ItemError("I-FORMAAT", veld, f"{veld}: verwacht een nummer of tekst, gevonden "
                   f"{_json_type(value)}")  # fmt: skip
    text = str(value).strip()
    if not text or len(text) > MAX_KEY or not text.isprintable():
        raise _ItemError("I-FORMAAT", veld, f"{veld}: hoogstens {MAX_KEY} leesbare tekens")
    return text


def _pupil_or_none(item: dict[str, object]) -> str | None:
    """The item's leerlingnummer for the rejection, when it is readable."""
    leerling = item.get("leerling")
    if not isinstance(leerling, dict):
        return None
    try:
        return _key(leerling.get("leerlingnummer"), "leerling.leerlingnummer")
    except _ItemError:
        return None


def _pupil(item: dict[str, object]) -> str:
    leerling = _required(item, "leerling")
    if not isinstance(leerling, dict):
        raise _ItemError(
            "I-FORMAAT", "leerling", "leerling: verwacht een object met leerlingnummer"
        )
    veld = "leerling.leerlingnummer"
    return _key(_required(leerling, "leerlingnummer", veld), veld)


def _timestamp(value: object, veld: str) -> dt.datetime:
    """An ISO 8601 date-time with an offset (``2024-09-02T08:30:00.000+02:00`` or ``Z``)."""
    if not isinstance(value, str) or _TIMESTAMP.fullmatch(value) is None:
        raise _ItemError("I-FORMAAT", veld, f"{veld}: verwacht datum-tijd met tijdzone "
                   f"(JJJJ-MM-DDTuu:mm:ss.sss+02:00), gevonden {_shown(value)}")  # fmt: skip
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        reason = f"{veld}: geen bestaande datum-tijd: {_shown(value)}"
        raise _ItemError("I-FORMAAT", veld, reason) from None


def _local(moment: dt.datetime) -> dt.datetime:
    """The wall-clock time in Europe/Amsterdam (DOMAIN.md 5: offsets are converted)."""
    return moment.astimezone(AMSTERDAM)


def _lesuur(item: dict[str, object], key: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise _ItemError(
            "I-FORMAAT", key, f"{key}: verwacht een lesuur 1-12, gevonden {_shown(value)}"
        )
    return value


def _soort(value: object, veld: str, known: dict[str, Status]) -> Status:
    if not isinstance(value, str) or value.strip().lower() not in known:
        names = ", ".join(name.capitalize() for name in known)
        raise _ItemError("I-FORMAAT", veld, f"{veld} {_shown(value)} onbekend (verwacht: {names})")
    return known[value.strip().lower()]


# -- items ---------------------------------------------------------------------------------------


def _waarneming(where: Where, item: dict[str, object]) -> _Waarneming:
    """A waarneming: one lesson of one pupil (DOMAIN.md 5); F1 on its local times."""
    item_id = _key(_required(item, "id"), "id")
    pupil = _pupil(item)
    begin = _timestamp(_required(item, "beginDatumTijd"), "beginDatumTijd")
    end = _timestamp(_required(item, "eindDatumTijd"), "eindDatumTijd")
    status = _soort(_required(item, "waarnemingSoort"), "waarnemingSoort", WAARNEMING_SOORTEN)
    first = _lesuur(item, "beginLesuur")
    last = _lesuur(item, "eindLesuur")
    if first is not None and last is not None and last < first:
        raise _ItemError("I-FORMAAT", "eindLesuur", "eindLesuur ligt voor beginLesuur")
    local_begin, local_end = _local(begin), _local(end)
    if end <= begin:
        raise _ItemError("F1", "eindDatumTijd", "eindtijd ligt niet na de begintijd (F1)")
    if local_begin.date() != local_end.date():
        raise _ItemError("F1", "eindDatumTijd", "begin en einde vallen op verschillende dagen (F1)")
    problem = minutes_problem(
        local_begin.hour * 60 + local_begin.minute, local_end.hour * 60 + local_end.minute
    )
    if problem is not None:
        raise _ItemError("F1", "eindDatumTijd", problem)
    return _Waarneming(item_id, pupil, begin, end, status, first or last, where)


def _absentiemelding(where: Where, item: dict[str, object]) -> _Absentiemelding:
    """An absentiemelding: an interval report with a reason (DOMAIN.md 5)."""
    _key(_required(item, "id"), "id")
    pupil = _pupil(item)
    begin = _timestamp(_required(item, "beginDatumTijd"), "beginDatumTijd")
    raw_end = item.get("eindDatumTijd")
    end = None if raw_end is None else _timestamp(raw_end, "eindDatumTijd")
    if end is not None and end <= begin:
        raise _ItemError("F1", "eindDatumTijd", "eindtijd ligt niet na de begintijd (F1)")
    reden = _required(item, "absentieReden")
    if not isinstance(reden, dict):
        raise _ItemError("I-FORMAAT", "absentieReden", "absentieReden: verwacht een object")
    soort_veld = "absentieReden.absentieSoort"
    status = _soort(_required(reden, "absentieSoort", soort_veld), soort_veld, ABSENTIE_SOORTEN)
    afkorting_veld = "absentieReden.afkorting"
    afkorting = _required(reden, "afkorting", afkorting_veld)
    if not isinstance(afkorting, str) or len(afkorting) > MAX_KEY:
        raise _ItemError("I-FORMAAT", afkorting_veld, f"{afkorting_veld}: verwacht een korte tekst")
    geoorloofd_veld = "absentieReden.geoorloofd"
    geoorloofd = reden.get("geoorloofd")
    if geoorloofd is None:
        raise _ItemError("I-VERPLICHT", geoorloofd_veld, f"{geoorloofd_veld} ontbreekt")
    if not isinstance(geoorloofd, bool):
        raise _ItemError("I-FORMAAT", geoorloofd_veld, f"{geoorloofd_veld}: verwacht true of false")
    afgehandeld = item.get("afgehandeld")
    if afgehandeld is not None and not isinstance(afgehandeld, bool):
        raise _ItemError("I-FORMAAT", "afgehandeld", "afgehandeld: verwacht true of false")
    omschrijving = reden.get("omschrijving")
    text = omschrijving.strip() if isinstance(omschrijving, str) else ""
    return _Absentiemelding(pupil, begin, end, status, afkorting.strip(), geoorloofd, where, text)


# -- join ----------------------------------------------------------------------------------------


def _join(
    school: SchoolConfig,
    waarnemingen: Sequence[_Waarneming],
    meldingen: Sequence[_Absentiemelding],
    texts: dict[str, tuple[str, str]],
) -> tuple[list[tuple[Registration, Where]], dict[str, int]]:
    """Registrations as Somtoday shows them: an Afwezig lesson takes the reason of the report that
    covers it, or else is unexcused (see the module text). Also the lessons per reason code;
    ``texts`` gets the reason code and text of each covered lesson (by bron_id)."""
    per_pupil: dict[str, list[tuple[int, _Absentiemelding]]] = {}
    for order, melding in enumerate(meldingen):
        per_pupil.setdefault(melding.leerlingnummer, []).append((order, melding))
    used: dict[str, int] = {}
    registrations: list[tuple[Registration, Where]] = []
    for waarneming in waarnemingen:
        status, geoorloofd, categorie = waarneming.status, None, None
        report: _Absentiemelding | None = None
        if status is Status.AFWEZIG:
            report = _covering(waarneming, per_pupil.get(waarneming.leerlingnummer, ()))
            if report is None:
                geoorloofd = False
            else:
                status, geoorloofd = report.status, report.geoorloofd
                categorie = school.categorie(report.afkorting)
                used[report.afkorting] = used.get(report.afkorting, 0) + 1
        begin, end = _local(waarneming.begin), _local(waarneming.end)
        registration = Registration(
            leerlingnummer=waarneming.leerlingnummer,
            datum=begin.date(),
            begintijd=dt.time(begin.hour, begin.minute),
            eindtijd=dt.time(end.hour, end.minute),
            status=status,
            geoorloofd=geoorloofd,
            categorie=categorie,
            lesuur=waarneming.lesuur,
            bron_id=f"somtoday:waarneming:{waarneming.item_id}",
        )
        registrations.append((registration, waarneming.where))
        if report is not None:
            texts[registration.bron_id] = (report.afkorting, report.omschrijving)
    return registrations, used


def _covering(
    waarneming: _Waarneming, reports: Sequence[tuple[int, _Absentiemelding]]
) -> _Absentiemelding | None:
    """The report overlapping the lesson most (then the later begin, then the later listed)."""
    best: tuple[dt.timedelta, dt.datetime, int] | None = None
    chosen: _Absentiemelding | None = None
    for order, report in reports:
        start = max(report.begin, waarneming.begin)
        stop = waarneming.end if report.end is None else min(report.end, waarneming.end)
        overlap = stop - start
        if overlap < dt.timedelta(minutes=1):
            continue
        key = (overlap, report.begin, order)
        if best is None or key > best:
            best, chosen = key, report
    return chosen


def _code_warnings(
    school: SchoolConfig, meldingen: Sequence[_Absentiemelding], used: dict[str, int]
) -> list[Warning]:
    """W-REDENCODE: one warning per reason code missing from ``[redencodes]``."""
    first: dict[str, Where] = {}
    for melding in meldingen:
        if school.categorie(melding.afkorting) is None:
            first.setdefault(melding.afkorting, melding.where)
    return [
        Warning(
            regel="W-REDENCODE",
            reden=f"{where.pad}: afkorting {_shown(code)} staat niet in [redencodes] van het "
            f"schoolbestand ({used.get(code, 0)} lessen); geteld zonder categorie (F2)",
            bestand=where.bestand,
            veld="absentieReden.afkorting",
        )
        for code, where in sorted(first.items())
    ]
