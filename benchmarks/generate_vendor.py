"""Generate the same term of absence data in every input format, for ``benchmarks/adapters.py``.

``generate_vendor(directory, n_pupils=2_000, seed=1)`` draws one school term (26 Aug - 20 Dec
2024, herfstvakantie excluded, so it crosses the change from summer to winter time) of lesson
registrations for ``n_pupils`` pupils, in the six 50-minute lesson slots of
``adapters.lessons.DEFAULT_LESSONS``, and writes it as

- ``canonical/``: ``leerlingen.csv`` + ``lesregistraties.csv`` (every lesson, presence too);
- ``magister/``: one JSON file of envelopes per class of 30 pupils (absence items only: Magister
  exports no presence; about 2% "huiswerk vergeten" items that give no registration) and a
  ``stamnr`` student export;
- ``somtoday/``: ``waarnemingen`` JSON pages of 20,000 items (every lesson), one
  ``absentiemeldingen`` JSON file (episode, lesson, te-laat and verwijderd reports) and
  ``leerlingen.csv``;
- ``eduarte/``: headerless ``waarnemingen.csv`` (every lesson, times in Eduarte's mixed
  spellings) and ``absentiemeldingen.csv`` (whole-day episodes by date, the others by lesson
  number) and ``leerlingen.csv``;
- ``dagverzuim/``: ``dagverzuim.csv`` (one row per absent morning, afternoon or whole day) and
  ``leerlingen.csv``;
- ``equivalent/{magister,somtoday,eduarte,dagverzuim}.csv``: for each vendor format the canonical
  ``lesregistraties.csv`` of exactly the registrations its adapter should produce (what the
  format can express: no presence in Magister, no "geoorloofd unknown" in Somtoday or Eduarte,
  geoorloofd from the categorie in Eduarte, day parts in dagverzuim), so the canonical reader can
  be timed on the same rows;
- ``school.toml`` (the benchmark school of ``generate_export``) and ``manifest.json`` (parameters,
  file sizes and the expected registrations per format). When the manifest matches and the files
  have the recorded sizes, generation is skipped (a cache).

The pupils are the same in every format (valid BSNs from ``gateway.sample.generate.make_bsn``,
1% onderwijsnummers). Every pupil gets a profile (ordinary, truant, often sick, luxe) and day
events (present days, a late arrival, a skipped lesson, a removal, a medical appointment, sick,
truancy, verlof, luxe or suspension episodes, absence of unknown authorisation). Deterministic for
a given seed; pure Python.

Importing this module must not import the ``adapters`` package: ``benchmarks/adapters.py`` shadows
it on ``sys.path`` when a benchmark script is run. The lesson slots are therefore repeated here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from generate_export import (
    BRIN,
    LEERLINGEN_HEADER,
    LESREGISTRATIES_HEADER,
    VESTIGING,
    render_school_toml,
    schooldagen,
)

from gateway.sample.generate import make_bsn, make_onderwijsnummer

GENERATOR_VERSION = 3
TERM_START = dt.date(2024, 8, 26)
TERM_END = dt.date(2024, 12, 20)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
VENDORS = ("magister", "somtoday", "eduarte", "dagverzuim")
# adapters.lessons.DEFAULT_LESSONS as (lesuur, begin, end) in minutes after midnight; the
# benchmark checks in its measuring process that they are still the same.
LESSONS: tuple[tuple[int, int, int], ...] = (
    (1, 510, 560),
    (2, 560, 610),
    (3, 630, 680),
    (4, 680, 730),
    (5, 760, 810),
    (6, 810, 860),
)
N_LESSONS = len(LESSONS)
MORNING = frozenset({1, 2, 3, 4})  # dagverzuim: lessons before 12:30 are the morning
REDEN = {
    "Z": "Ziek",
    "ZM": "Ziekmelding ouder",
    "T": "Te laat",
    "S": "Ongeoorloofd afwezig",
    "VZV": "Vakantie zonder verlof",
    "ART": "Arts/tandarts",
    "VL": "Verlof",
    "SCH": "Schorsing",
    "VW": "Verwijderd uit de les",
}
# Eduarte derives geoorloofd from the categorie ([redencodes] of generate_export's school).
EDUARTE_GEOORLOOFD = {"Z", "ZM", "ART", "VL", "SCH"}
CLASS_SIZE = 30
SOMTODAY_PAGE = 20_000
MAGISTER_IGNORED_SHARE = 0.02

# One lesson of one pupil: (status, redencode, geoorloofd J/N/"", reported). ``reported``: the
# school registered a reason (Somtoday absentiemelding, Eduarte absentiemelding); without one an
# Afwezig lesson is unexcused in those formats.
Lesson = tuple[str, str, str, bool]
DayPattern = tuple[Lesson | None, ...]  # by lesson slot; None = no registration
PRESENT: Lesson = ("AANWEZIG", "", "", False)


def _day(events: dict[int, Lesson], rest: Lesson | None = PRESENT) -> DayPattern:
    return tuple(events.get(les, rest) for les, _, _ in LESSONS)


def _whole(status: str, code: str, geoorloofd: str, reported: bool) -> DayPattern:
    return tuple((status, code, geoorloofd, reported) for _ in LESSONS)


def _patterns() -> dict[str, list[DayPattern]]:
    """Day patterns by kind (variants: which lesson)."""
    return {
        "present": [_day({})] * 4 + [_day({6: ("NVT", "", "", False)})],
        "late_n": [_day({k: ("TE_LAAT", "T", "N", True)}) for k in (1, 1, 3, 5)],
        "late_j": [_day({1: ("TE_LAAT", "T", "J", True)})],
        "skip": [
            _day({k: ("AFWEZIG", "S", "N", False) for k in ks})
            for ks in ((1,), (4,), (6,), (5, 6), (2, 3))
        ],
        "removed": [_day({k: ("VERWIJDERD", "VW", "N", True)}) for k in (2, 5)],
        "medical": [
            _day({k: ("AFWEZIG", "ART", "J", True), k + 1: ("AFWEZIG", "ART", "J", True)})
            for k in (1, 3, 5)
        ],
        "sick_pm": [_day({5: ("AFWEZIG", "Z", "J", True), 6: ("AFWEZIG", "Z", "J", True)})],
        "sick": [_whole("AFWEZIG", "Z", "J", True), _whole("AFWEZIG", "ZM", "J", True)],
        "truant": [_whole("AFWEZIG", "S", "N", False)],
        "unknown": [_whole("AFWEZIG", "", "", False)],
        "luxe": [_whole("AFWEZIG", "VZV", "N", True)],
        "verlof": [_whole("AFWEZIG", "VL", "J", True)],
        "suspended": [_whole("AFWEZIG", "SCH", "J", True)],
    }


Event = tuple[str, int, int, int]  # kind, min days, max days, weight
PROFILES: tuple[tuple[int, int, tuple[Event, ...]], ...] = (  # weight, days with records, events
    (
        60,
        28,
        (
            ("present", 1, 1, 30),
            ("sick", 1, 3, 10),
            ("skip", 1, 1, 8),
            ("late_n", 1, 1, 6),
            ("late_j", 1, 1, 3),
            ("medical", 1, 1, 8),
            ("sick_pm", 1, 1, 3),
            ("removed", 1, 1, 2),
            ("verlof", 1, 1, 1),
            ("unknown", 1, 1, 2),
        ),
    ),
    (
        15,
        35,
        (
            ("present", 1, 1, 25),
            ("skip", 1, 1, 25),
            ("truant", 1, 3, 10),
            ("late_n", 1, 1, 15),
            ("removed", 1, 1, 5),
            ("unknown", 1, 2, 5),
            ("sick", 1, 2, 5),
            ("suspended", 1, 2, 1),
        ),
    ),
    (
        15,
        30,
        (("present", 1, 1, 20), ("sick", 3, 10, 20), ("medical", 1, 1, 10), ("late_j", 1, 1, 3)),
    ),
    (10, 25, (("luxe", 3, 5, 3), ("present", 1, 1, 25), ("sick", 1, 3, 10), ("skip", 1, 1, 5))),
)


@dataclass(slots=True)
class Pupil:
    """One pupil and their registrations: day index -> (pattern, episode number)."""

    number: str
    bsn: str
    onderwijsnummer: str
    born: dt.date
    days: dict[int, tuple[DayPattern, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VendorFiles:
    """What ``generate_vendor`` wrote (or found in its cache): the files per format."""

    directory: Path
    school: Path
    inputs: dict[str, list[Path]]  # format -> data files (canonical: lesregistraties.csv)
    students: dict[str, Path]  # format -> student export
    equivalent: dict[str, Path]  # vendor -> canonical lesregistraties of the same rows
    records: dict[str, int]  # input records per format (lines or JSON items)
    registrations: dict[str, int]  # registrations each format should give
    pupils: int
    generated: bool


def term_days() -> list[dt.date]:
    """The schooldagen of the benchmark term."""
    return [day for day in schooldagen() if TERM_START <= day <= TERM_END]


def draw_pupils(n_pupils: int, seed: int) -> tuple[list[dt.date], list[Pupil]]:
    """The term and every pupil's registrations; deterministic for ``seed``."""
    rng = random.Random(seed)
    days = term_days()
    kinds = _patterns()
    pupils: list[Pupil] = []
    seen: set[str] = set()
    episode = 0
    for i in range(n_pupils):
        number = str(200_001 + i)
        bsn = onderwijsnummer = ""
        if i % 100 == 50:
            onderwijsnummer = make_onderwijsnummer(rng)
        else:
            while (bsn := make_bsn(rng)) in seen:
                pass
            seen.add(bsn)
        age = rng.choices(range(12, 19), weights=(18, 18, 18, 17, 14, 10, 5))[0]
        born = dt.date(2024 - age, 9, 1) - dt.timedelta(days=rng.randrange(1, 366))
        pupil = Pupil(number, bsn, onderwijsnummer, born)
        weights = [weight for weight, _, _ in PROFILES]
        _, mean_days, events = PROFILES[rng.choices(range(len(PROFILES)), weights=weights)[0]]
        target = min(len(days), max(3, round(mean_days * rng.uniform(0.4, 1.6))))
        attempts = 0
        while len(pupil.days) < target and attempts < 10 * len(days):
            attempts += 1
            kind, low, high, _ = rng.choices(events, weights=[e[3] for e in events])[0]
            variants = kinds[kind]
            pattern = variants[rng.randrange(len(variants))]
            start = rng.randrange(len(days))
            episode += 1
            for day in range(start, min(start + rng.randint(low, high), len(days))):
                pupil.days.setdefault(day, (pattern, episode))
        pupils.append(pupil)
    return days, pupils


# -- small helpers ------------------------------------------------------------------------------


_HHMM = [f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in range(24 * 60)]


def _hhmm(minutes: int) -> str:
    return _HHMM[minutes]


@functools.cache
def _stamp(day: dt.date, minutes: int, utc: bool) -> str:
    """A local wall-clock time as Somtoday (offset) or Magister (UTC, 7 decimals) spell it."""
    local = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=AMSTERDAM)
    if utc:
        return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    return local.isoformat(timespec="milliseconds")


def _runs(indices: Sequence[int], days: Sequence[dt.date]) -> list[list[int]]:
    """Day indices cut where a weekday without school lies between two of them."""
    runs: list[list[int]] = []
    for index in indices:
        if runs:
            previous = days[runs[-1][-1]]
            gap = (days[index] - previous).days
            weekdays = sum(
                1 for k in range(1, gap) if (previous + dt.timedelta(days=k)).weekday() < 5
            )
            if index == runs[-1][-1] + 1 and weekdays == 0:
                runs[-1].append(index)
                continue
        runs.append([index])
    return runs


def _episodes(pupil: Pupil) -> Iterator[tuple[list[int], DayPattern]]:
    """Whole-day episodes (same pattern, same event) and their day indices, in date order."""
    groups: dict[int, tuple[list[int], DayPattern]] = {}
    for day, (pattern, episode) in sorted(pupil.days.items()):
        if all(lesson is not None and lesson[0] == "AFWEZIG" for lesson in pattern):
            groups.setdefault(episode, ([], pattern))[0].append(day)
    yield from groups.values()


class _Canonical:
    """Collects canonical lesregistraties rows."""

    def __init__(self) -> None:
        self.lines: list[str] = [LESREGISTRATIES_HEADER]

    def add(
        self,
        pupil: str,
        datum: str,
        lesuur: int | None,
        begin: int,
        end: int,
        status: str,
        code: str,
        geoorloofd: str,
        bron_id: str,
        bsn: str = "",
    ) -> None:
        self.lines.append(
            f"{BRIN};{VESTIGING};{pupil};{bsn};;{datum};{lesuur or ''};{_hhmm(begin)};"
            f"{_hhmm(end)};{status};{code};{REDEN.get(code, '')};{geoorloofd};{bron_id}\n"
        )

    @property
    def rows(self) -> int:
        return len(self.lines) - 1

    def write(self, path: Path) -> None:
        path.write_text("".join(self.lines), encoding="utf-8", newline="\n")


# -- the formats --------------------------------------------------------------------------------


def _students_csv(pupils: Sequence[Pupil], key: str = "leerlingnummer") -> str:
    header = LEERLINGEN_HEADER.replace("leerlingnummer", key, 1)
    rows = [f"{p.number};{p.bsn};{p.onderwijsnummer};{p.born.isoformat()};N\n" for p in pupils]
    return header + "".join(rows)


def _write_canonical(out: Path, days: Sequence[dt.date], pupils: Sequence[Pupil]) -> int:
    canonical = _Canonical()
    for pupil in pupils:
        for day, (pattern, _) in sorted(pupil.days.items()):
            datum = days[day].isoformat()
            for (les, begin, end), lesson in zip(LESSONS, pattern, strict=True):
                if lesson is not None:
                    status, code, geoorloofd, _ = lesson
                    canonical.add(
                        pupil.number,
                        datum,
                        les,
                        begin,
                        end,
                        status,
                        code,
                        geoorloofd,
                        f"{pupil.number}-{day:03d}-{les}",
                    )
    canonical.write(out / "lesregistraties.csv")
    return canonical.rows


MAGISTER_TYPE = {"AFWEZIG": 1, "TE_LAAT": 2, "VERWIJDERD": 4, "NVT": 6}


def _write_magister(
    out: Path, equivalent: Path, days: Sequence[dt.date], pupils: Sequence[Pupil], seed: int
) -> tuple[list[Path], int, int]:
    """Class files of envelopes; returns (files, items, registrations)."""
    rng = random.Random(seed + 1)
    canonical = _Canonical()
    files: list[Path] = []
    items_total = 0
    ident = 1_000_000
    for first in range(0, len(pupils), CLASS_SIZE):
        envelopes = []
        for pupil in pupils[first : first + CLASS_SIZE]:
            items: list[dict[str, object]] = []
            for day, (pattern, _) in sorted(pupil.days.items()):
                date = days[day]
                for (les, begin, end), lesson in zip(LESSONS, pattern, strict=True):
                    if lesson is None:
                        continue
                    status, code, geoorloofd, _ = lesson
                    ident += 1
                    if status == "AANWEZIG":
                        if rng.random() >= MAGISTER_IGNORED_SHARE:
                            continue
                        kind, code, geoorloofd = rng.choice((7, 8)), "HV", "N"
                    else:
                        kind = 3 if code in ("Z", "ZM") else MAGISTER_TYPE[status]
                        if status == "NVT":
                            geoorloofd = "J"
                    items.append(
                        {
                            "Id": ident,
                            "Start": _stamp(date, begin, True),
                            "Eind": _stamp(date, end, True),
                            "Lesuur": les,
                            "Geoorloofd": geoorloofd == "J",
                            "Afgehandeld": geoorloofd != "",
                            "Verantwoordingtype": kind,
                            "Code": code,
                            "Omschrijving": REDEN.get(
                                code, "Huiswerk vergeten" if kind > 6 else ""
                            ),
                            "Afspraak": {
                                "Id": 90_000_000 + ident,
                                "Omschrijving": f"vak{les} - 2B",
                            },
                        }
                    )
                    if kind < 7:
                        canonical.add(
                            pupil.number,
                            date.isoformat(),
                            les,
                            begin,
                            end,
                            status,
                            code,
                            geoorloofd,
                            f"magister:{ident}",
                        )
            items_total += len(items)
            envelopes.append(
                {
                    "leerlingnummer": str(int(pupil.number) - 150_000),
                    "stamnr": pupil.number,
                    "bsn": "",
                    "onderwijsnummer": "",
                    "geboortedatum": pupil.born.isoformat(),
                    "brin": BRIN,
                    "absenties": {"Items": items, "TotalCount": len(items)},
                }
            )
        path = out / f"klas_{first // CLASS_SIZE + 1:03d}.json"
        path.write_text(json.dumps(envelopes), encoding="utf-8")
        files.append(path)
    canonical.write(equivalent)
    return files, items_total, canonical.rows


SOMTODAY_SOORT = {"AANWEZIG": "Aanwezig", "NVT": "Nvt"}
SOMTODAY_REDEN = {"AFWEZIG": "Absent", "TE_LAAT": "Telaat", "VERWIJDERD": "Verwijderd"}


def _somtoday_report(
    ident: int, pupil: Pupil, begin: str, end: str, lesson: Lesson
) -> dict[str, object]:
    status, code, geoorloofd, _ = lesson
    return {
        "id": ident,
        "leerling": {"id": 9_000_000 + int(pupil.number), "leerlingnummer": int(pupil.number)},
        "beginDatumTijd": begin,
        "eindDatumTijd": end,
        "absentieReden": {
            "absentieSoort": SOMTODAY_REDEN[status],
            "afkorting": code,
            "omschrijving": REDEN[code],
            "geoorloofd": geoorloofd == "J",
        },
        "afgehandeld": True,
    }


def _write_somtoday(
    out: Path, equivalent: Path, days: Sequence[dt.date], pupils: Sequence[Pupil]
) -> tuple[list[Path], int, int]:
    canonical = _Canonical()
    waarnemingen: list[dict[str, object]] = []
    meldingen: list[dict[str, object]] = []
    ident = 0
    for pupil in pupils:
        leerling = {"id": 9_000_000 + int(pupil.number), "leerlingnummer": int(pupil.number)}
        for run_days, pattern in _episodes(pupil):
            lesson = pattern[0]
            if lesson is not None and lesson[3]:
                for run in _runs(run_days, days):
                    ident += 1
                    meldingen.append(
                        _somtoday_report(
                            ident,
                            pupil,
                            _stamp(days[run[0]], 480, False),
                            _stamp(days[run[-1]], 1020, False),
                            lesson,
                        )
                    )
        for day, (pattern, _) in sorted(pupil.days.items()):
            date = days[day]
            whole = all(x is not None and x[0] == "AFWEZIG" for x in pattern)
            for (les, begin, end), lesson in zip(LESSONS, pattern, strict=True):
                if lesson is None:
                    continue
                status, code, geoorloofd, reported = lesson
                ident += 1
                waarnemingen.append(
                    {
                        "id": ident,
                        "leerling": leerling,
                        "beginDatumTijd": _stamp(date, begin, False),
                        "eindDatumTijd": _stamp(date, end, False),
                        "beginLesuur": les,
                        "eindLesuur": les,
                        "waarnemingSoort": SOMTODAY_SOORT.get(status, "Afwezig"),
                    }
                )
                bron = f"somtoday:waarneming:{ident}"
                if status in SOMTODAY_SOORT:
                    canonical.add(
                        pupil.number, date.isoformat(), les, begin, end, status, "", "", bron
                    )
                    continue
                if reported and not whole:  # a report inside / over this lesson
                    start, stop = {
                        "TE_LAAT": (begin, begin + 10),
                        "VERWIJDERD": (begin + 20, end),
                    }.get(status, (begin, end))
                    ident += 1
                    meldingen.append(
                        _somtoday_report(
                            ident,
                            pupil,
                            _stamp(date, start, False),
                            _stamp(date, stop, False),
                            lesson,
                        )
                    )
                if not reported:
                    code, geoorloofd = "", "N"
                canonical.add(
                    pupil.number, date.isoformat(), les, begin, end, status, code, geoorloofd, bron
                )
    files = []
    for page, first in enumerate(range(0, max(len(waarnemingen), 1), SOMTODAY_PAGE), start=1):
        path = out / f"waarnemingen_{page:03d}.json"
        path.write_text(
            json.dumps({"items": waarnemingen[first : first + SOMTODAY_PAGE]}), encoding="utf-8"
        )
        files.append(path)
    path = out / "absentiemeldingen.json"
    path.write_text(json.dumps({"items": meldingen}), encoding="utf-8")
    files.append(path)
    canonical.write(equivalent)
    return files, len(waarnemingen) + len(meldingen), canonical.rows


EDUARTE_SOORT = {"AANWEZIG": "Aanwezig", "NVT": "Nvt", "TE_LAAT": "DeelsAfwezig"}


def _eduarte_time(minutes: int, style: int) -> str:
    hour, minute = divmod(minutes, 60)
    return (
        f"{hour:02d}:{minute:02d}",
        f"{hour:02d}{minute:02d}",
        f"{hour}.{minute:02d}",
        f"{hour}:{minute:02d}",
    )[style]


def _write_eduarte(
    out: Path, equivalent: Path, days: Sequence[dt.date], pupils: Sequence[Pupil]
) -> tuple[list[Path], int, int]:
    canonical = _Canonical()
    observations: list[str] = []
    reports: list[str] = []
    waarnemingen, meldingen = out / "waarnemingen.csv", out / "absentiemeldingen.csv"
    for n, pupil in enumerate(pupils):
        style = n % 4
        groep = f"ICT{n // CLASS_SIZE % 4 + 1}{'ABCD'[n % 4]}"
        for run_days, pattern in _episodes(pupil):
            lesson = pattern[0]
            if lesson is not None and lesson[3]:
                for run in _runs(run_days, days):
                    reports.append(
                        f"{pupil.number};{days[run[0]]:%Y%m%d};;{days[run[-1]]:%Y%m%d}"
                        f";;;;{lesson[1]};{REDEN[lesson[1]]}, ouder belde\n"
                    )
        for day, (pattern, _) in sorted(pupil.days.items()):
            date = days[day]
            compact = f"{date:%Y%m%d}"
            whole = all(x is not None and x[0] == "AFWEZIG" for x in pattern)
            for (les, begin, end), lesson in zip(LESSONS, pattern, strict=True):
                if lesson is None:
                    continue
                status, code, _, reported = lesson
                observations.append(
                    f"{pupil.number};{compact};{_eduarte_time(begin, style)};"
                    f"{_eduarte_time(end, style)};{les};vak {les};DOC{les};{groep};"
                    f"{EDUARTE_SOORT.get(status, 'Afwezig')};{'J' if les % 3 else 'N'}\n"
                )
                bron = f"eduarte:{waarnemingen.name}:{len(observations)}"
                if status in ("AANWEZIG", "NVT"):
                    canonical.add(
                        pupil.number, date.isoformat(), les, begin, end, status, "", "", bron
                    )
                    continue
                if reported and not whole:
                    reports.append(f"{pupil.number};{compact};;;;{les};{les};{code};\n")
                if not reported:
                    code = ""
                geoorloofd = "J" if code in EDUARTE_GEOORLOOFD else "N"
                status = "TE_LAAT" if status == "TE_LAAT" else "AFWEZIG"
                canonical.add(
                    pupil.number, date.isoformat(), les, begin, end, status, code, geoorloofd, bron
                )
    waarnemingen.write_text("".join(observations), encoding="utf-8", newline="\n")
    meldingen.write_text("".join(reports), encoding="utf-8", newline="\n")
    canonical.write(equivalent)
    return [waarnemingen, meldingen], len(observations) + len(reports), canonical.rows


DAGVERZUIM_HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;dagdeel;uren;redencode;reden;"
    "geoorloofd;opmerking;groep\n"
)
DAGDEEL_START = {"O": 510, "M": 780, "D": 510}
#: The half the dagverzuim adapter adds as AANWEZIG for a day with a row for one half only
#: (``adapters.dagverzuim.PRESENCE``), so that the equivalent canonical file holds the same
#: registrations as the adapter gives.
DAGVERZUIM_PRESENCE = {"O": (510, 720), "M": (780, 900)}


def _write_dagverzuim(
    out: Path, equivalent: Path, days: Sequence[dt.date], pupils: Sequence[Pupil]
) -> tuple[list[Path], int, int]:
    """Absent lessons per day part: D for a whole day, else O and/or M with their hours; the
    equivalent canonical file also holds the AANWEZIG half the adapter adds (see there)."""
    canonical = _Canonical()
    lines = [DAGVERZUIM_HEADER]
    for n, pupil in enumerate(pupils):
        groep = f"groep {n // CLASS_SIZE % 8 + 1}"
        for day, (pattern, _) in sorted(pupil.days.items()):
            date = days[day]
            absent = [
                (les, x)
                for (les, _, _), x in zip(LESSONS, pattern, strict=True)
                if x is not None and x[0] == "AFWEZIG"
            ]
            if not absent:
                continue
            if len(absent) == N_LESSONS and len({x for _, x in absent}) == 1:
                parts = [("D", absent)]
            else:
                parts = [
                    (part, [(les, x) for les, x in absent if (les in MORNING) == morning])
                    for part, morning in (("O", True), ("M", False))
                ]
            named = {part for part, lessons in parts if lessons}
            if len(named) == 1 and "D" not in named:  # the adapter adds presence (F6 for PO)
                (other,) = {"O", "M"} - named
                begin, end = DAGVERZUIM_PRESENCE[other]
                canonical.add(
                    pupil.number, date.isoformat(), None, begin, end, "AANWEZIG", "", "",
                    f"{pupil.number}-{day:03d}-{other}", pupil.bsn,
                )  # fmt: skip
            for part, lessons in parts:
                if not lessons:
                    continue
                _, (_, code, geoorloofd, _) = lessons[0]
                hundredths = round(len(lessons) * 50 * 100 / 60)
                uren = f"{hundredths // 100},{hundredths % 100:02d}".replace(",00", "")
                minutes = round(hundredths * 60 / 100)
                lines.append(
                    f"{BRIN};{VESTIGING};{pupil.number};{pupil.bsn};{pupil.onderwijsnummer};"
                    f"{date.isoformat()};{part};{uren};{code};{REDEN.get(code, '')};"
                    f"{geoorloofd};;{groep}\n"
                )
                start = DAGDEEL_START[part]
                canonical.add(
                    pupil.number,
                    date.isoformat(),
                    None,
                    start,
                    start + minutes,
                    "AFWEZIG",
                    code,
                    geoorloofd,
                    f"{pupil.number}-{day:03d}-{part}",
                    pupil.bsn,
                )
    path = out / "dagverzuim.csv"
    path.write_text("".join(lines), encoding="utf-8", newline="\n")
    canonical.write(equivalent)
    return [path], len(lines) - 1, canonical.rows


# -- the cache ----------------------------------------------------------------------------------


def _files(directory: Path, manifest: dict[str, Any], generated: bool) -> VendorFiles:
    inputs = {name: [directory / p for p in paths] for name, paths in manifest["inputs"].items()}
    students = {"canonical": directory / "canonical" / "leerlingen.csv"}
    students |= {
        v: directory / v / ("leerlingen_stamnr.csv" if v == "magister" else "leerlingen.csv")
        for v in VENDORS
    }
    return VendorFiles(
        directory=directory,
        school=directory / "school.toml",
        inputs=inputs,
        students=students,
        equivalent={v: directory / "equivalent" / f"{v}.csv" for v in VENDORS},
        records=dict(manifest["records"]),
        registrations=dict(manifest["registrations"]),
        pupils=int(manifest["params"]["n_pupils"]),
        generated=generated,
    )


def generate_vendor(
    directory: Path, n_pupils: int = 2_000, seed: int = 1, *, force: bool = False
) -> VendorFiles:
    """Write every format into ``directory``, or reuse it when the manifest matches."""
    manifest_path = directory / "manifest.json"
    params = {"generator_version": GENERATOR_VERSION, "n_pupils": n_pupils, "seed": seed}
    if not force and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("params") == params and all(
            (directory / name).is_file() and (directory / name).stat().st_size == size
            for name, size in manifest.get("sizes", {}).items()
        ):
            return _files(directory, manifest, generated=False)
    manifest_path.unlink(missing_ok=True)
    for sub in ("canonical", *VENDORS, "equivalent"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
        for old in (directory / sub).iterdir():
            old.unlink()
    days, pupils = draw_pupils(n_pupils, seed)
    (directory / "school.toml").write_text(render_school_toml(), encoding="utf-8", newline="\n")
    students = _students_csv(pupils)
    for sub in ("canonical", "somtoday", "eduarte", "dagverzuim"):
        (directory / sub / "leerlingen.csv").write_text(students, encoding="utf-8", newline="\n")
    (directory / "magister" / "leerlingen_stamnr.csv").write_text(
        _students_csv(pupils, "stamnr"), encoding="utf-8", newline="\n"
    )
    rows = _write_canonical(directory / "canonical", days, pupils)
    inputs = {"canonical": [directory / "canonical" / "lesregistraties.csv"]}
    records, registrations = {"canonical": rows}, {"canonical": rows}
    equivalent = directory / "equivalent"
    written = {
        "magister": _write_magister(
            directory / "magister", equivalent / "magister.csv", days, pupils, seed
        ),
        "somtoday": _write_somtoday(
            directory / "somtoday", equivalent / "somtoday.csv", days, pupils
        ),
        "eduarte": _write_eduarte(directory / "eduarte", equivalent / "eduarte.csv", days, pupils),
        "dagverzuim": _write_dagverzuim(
            directory / "dagverzuim", equivalent / "dagverzuim.csv", days, pupils
        ),
    }
    for name, (paths, n_records, n_registrations) in written.items():
        inputs[name] = paths
        records[name] = n_records
        registrations[name] = n_registrations
    every = [p for p in directory.rglob("*") if p.is_file() and p.name != "manifest.json"]
    manifest = {
        "params": params,
        "inputs": {k: [str(p.relative_to(directory)) for p in v] for k, v in inputs.items()},
        "records": records,
        "registrations": registrations,
        "sizes": {str(p.relative_to(directory)): p.stat().st_size for p in sorted(every)},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return _files(directory, manifest, generated=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python benchmarks/generate_vendor.py [--pupils N] [--seed N] [--out DIR] [--force]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--pupils", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--force", action="store_true", help="regenerate even when cached")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).parent / "data" / f"vendor-p{args.pupils}-s{args.seed}"
    started = time.perf_counter()
    files = generate_vendor(out, args.pupils, args.seed, force=args.force)
    seconds = time.perf_counter() - started
    print(f"{'generated' if files.generated else 'cached'}: {files.directory} ({seconds:.1f} s)")
    for name, count in files.registrations.items():
        print(f"  {name:<11} {files.records[name]:>9,} records  {count:>9,} registrations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
