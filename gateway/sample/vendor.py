"""The demo's two schools in two vendor formats (issue 8 ``make demo``; adapters of issue 5).

``write_demo_schools(out_dir)`` writes, deterministically for a seed:

``vo-proefschool/`` - the sample VO school of ``gateway.sample.generate`` (Proefschool, BRIN
99XX, every rule of the rule book occurring) as a **Magister** export (``--adapter magister``):

- ``absenties/klas-NN.json``: per class of 30 pupils a JSON list of envelopes
  ``{"stamnr", "brin", "absenties": {"Items": [...], "TotalCount": n}}``, one per pupil (also
  pupils without absences), each item as ``/api/personen/{id}/absenties`` returns it: ``Id``,
  ``Start``/``Eind`` in UTC with seven decimals and ``Z`` (so the change to winter time on
  27 Oct 2024 is in the data), ``Lesuur``, ``Geoorloofd``, ``Afgehandeld``,
  ``Verantwoordingtype``, ``Code``, ``Omschrijving``, ``Afspraak``;
- ``leerlingen-magister.csv``: the ``;`` student export keyed on ``stamnr`` (identity, birth
  date, startkwalificatie); the envelopes carry no identity;
- ``school.toml`` (the sample's, unchanged) and ``meldingen.json`` (the sample's history).

The conversion is the inverse of ``adapters/magister.py``: ``AFWEZIG`` -> type 1 (3 "ziek" for
the reason codes of categorie ZIEK), ``TE_LAAT`` -> 2, ``VERWIJDERD`` -> 4; ``geoorloofd`` J ->
``Geoorloofd`` true, N -> false and ``Afgehandeld`` true, empty -> false with ``Afgehandeld``
false (not yet known: W-ONBEKEND, F2); the reason code is ``Code``. Why Magister and not
Somtoday: Somtoday cannot say "geoorloofd not yet known" (an absent lesson without a report is
unexcused, a report's reason is always J or N), so the sample's W-ONBEKEND pupil would lose its
warning; Magister loses only what the pre-check of this school does not need:

- **presence** (``AANWEZIG``): Magister's absenties list absence only. The sample school sets
  ``hele_dag_minuten = 300`` (F6) and its designed runs are whole days, so a day without an item
  ends a run exactly as a day of ``AANWEZIG`` rows does: the meldingen are the same (tested);
- **lessons that do not apply** (``NVT``, the background's studiemiddag): no item. Type 6
  (vrijstelling) would mean something else, and NVT counts for nothing anyway.

Deliberately bad items, besides the sample's own (two pupils with an invalid BSN: V01 on their
student row; a date 2024-09-31, an end before its begin and an unknown status, which become
I-FORMAAT ``Start``, F1 ``Eind`` and I-FORMAAT ``Verantwoordingtype`` 5): an envelope of a pupil
missing from the student export (I-LEERLING), a student row repeating a stamnr (I-DUBBEL), a
student row with a birth date that does not exist (I-FORMAAT ``geboortedatum``; that pupil's
absences then give I-LEERLING) and an envelope of another school's BRIN (V13).

``po-proeftuin/`` - a primary school (Basisschool De Proeftuin, BRIN 98YY, sector ``po``: clock
hours, F3) in the day-grain **dagverzuim** format (``--adapter dagverzuim``): ``dagverzuim.csv``,
a canonical ``leerlingen.csv`` and ``school.toml`` with ``hele_dag_minuten = 300``. A morning
(``O``) is 3,5 uren, an afternoon (``M``) 2 uren, a whole day (``D``) 5,5 uren; a morning and an
afternoon on the same date make a whole day (330 >= 300 minutes), either alone never does (F6).
80 pupils of 4-12 years over the same term (Mon 2 Sep - Fri 20 Dec 2024, same holidays).

======  ===============================================  ==================================
lln     data                                             rules
======  ===============================================  ==================================
500001  9 years, whole days 1 - 3 Oct                    R-16U (V3 on day grain)
500002  7 years, whole days 4 Nov - 6 Dec (the first     R-16U, R-HERHAAL, R-LRV
        week as a morning and an afternoon row)
500003  6 years, VZV (LUXE) Thu 19 - Fri 20 Dec          R-LUXE
500004  10 years, every afternoon 30 Sep - 8 Nov         R-16U three times, F6 (no run, no
                                                         LRV: without hele_dag_minuten it
                                                         would be one)
500005  4 years, whole days 9 - 13 Sep                   F4 (no leerplicht yet: nothing)
500006  8 years, whole days 10 - 12 Dec, geoorloofd      R-16U, W-ONBEKEND
        empty
500007  invalid BSN, whole days 2 - 4 Sep                R-16U, refused by V01
500008  bad rows: a date 2024-11-31, dagdeel ``A``, a    I-FORMAAT, I-DUBBEL, F1, V13
        second morning row, uren 0, BRIN 12AB
509999  rows, but not in leerlingen.csv                  I-LEERLING
======  ===============================================  ==================================

Background pupils stay below every threshold: excused sick days, doctor's visits and verlof, and
at most two unexcused dagdelen each (at most 420 of the 960 minutes), never LUXE.

Everything comes from ``random.Random(seed)`` and fixed dates; no clock is read, so the same
seed gives byte-identical files. ``DemoSchools`` holds the paths, the adapter per school, the
expected meldingen (``ExpectedMelding``), the designed rejections and every BSN, onderwijsnummer
and birth date written (for the demo's "no identity in the output" check).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.canonical import STUDENT_COLUMNS
from adapters.dagverzuim import COLUMNS as DAGVERZUIM_COLUMNS
from adapters.magister import STUDENT_COLUMNS as MAGISTER_STUDENT_COLUMNS
from gateway.sample.generate import (
    BAD_ROWS,
    EXPECTED,
    INVALID_IDENTITY,
    REDENCODES,
    SEED,
    TERM_END,
    VAKANTIES,
    WIJZIGINGEN,
    ExpectedMelding,
    make_bsn,
    make_onderwijsnummer,
    sample_school_texts,
    schooldagen,
)

__all__ = [
    "PO_ADAPTER",
    "SEED",
    "VO_ADAPTER",
    "DemoSchool",
    "DemoSchools",
    "ExpectedRejection",
    "write_demo_schools",
]

VO_ADAPTER = "magister"
PO_ADAPTER = "dagverzuim"
VO_DIR = "vo-proefschool"
PO_DIR = "po-proeftuin"
PEILDATUM = TERM_END
"""Both schools' last registration date, hence the default peildatum of the pre-check."""

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CLASS_SIZE = 30
OTHER_BRIN = "12AB"
_VO_REDEN = {code: omschrijving for code, _, omschrijving in REDENCODES}
_ZIEK_CODES = frozenset(code for code, categorie, _ in REDENCODES if categorie == "ZIEK")
_MAGISTER_TYPE = {"AFWEZIG": 1, "TE_LAAT": 2, "VERWIJDERD": 4}
_UNKNOWN_TYPE = 5  # not a Verantwoordingtype the adapter knows: I-FORMAAT
_ID_BASE = 4_100_000
_VAKKEN = ("ne", "wi", "en", "gs", "bi", "lo")

# -- designed Magister additions -----------------------------------------------------------------
VO_UNKNOWN_PUPIL = "109999"
VO_BAD_BIRTH_DATE = "109998"
VO_OTHER_SCHOOL = "109997"

# -- the primary school --------------------------------------------------------------------------
PO_BRIN = "98YY"
PO_VESTIGING = "00"
PO_N_PUPILS = 80
PO_UREN = {"O": "3,5", "M": "2", "D": "5,5"}
PO_HELE_DAG_MINUTEN = 300
PO_REDENCODES: tuple[tuple[str, str, str], ...] = (
    ("Z", "ZIEK", "Ziek"),
    ("ART", "MEDISCH", "Huisarts, tandarts of specialist"),
    ("VL", "VERLOF", "Verlof gewichtige omstandigheden"),
    ("VZV", "LUXE", "Vakantie zonder verlof"),
    ("O", "OVERIG", "Ongeoorloofd afwezig"),
)
_PO_REDEN = {code: omschrijving for code, _, omschrijving in PO_REDENCODES}

PO_16U = "500001"
PO_LRV = "500002"
PO_LUXE = "500003"
PO_HALVES = "500004"
PO_JONG = "500005"
PO_ONBEKEND = "500006"
PO_INVALID_BSN = "500007"
PO_BAD_ROWS = "500008"
PO_UNKNOWN_PUPIL = "509999"


def _d(month: int, day: int) -> dt.date:
    return dt.date(2024, month, day)


def _e(
    lln: str, code: str, begin: dt.date, end: dt.date | None, herhaal: bool = False
) -> ExpectedMelding:
    return ExpectedMelding(lln, code, begin, end, herhaal, "voorgesteld")


PO_EXPECTED: tuple[ExpectedMelding, ...] = (
    # 3 x 330 minutes = 990 >= 960 on the third day; back on Fri 4 Oct, so no follow-up.
    _e(PO_16U, "V3", _d(10, 1), _d(10, 3)),
    # Run 4 Nov - 6 Dec: T = 1 Dec; follow-ups while they end before T; back on Mon 9 Dec.
    _e(PO_LRV, "V3", _d(11, 4), _d(11, 6)),
    _e(PO_LRV, "V3", _d(11, 7), _d(11, 13), True),
    _e(PO_LRV, "V3", _d(11, 14), _d(11, 20), True),
    _e(PO_LRV, "V3", _d(11, 21), _d(11, 27), True),
    _e(PO_LRV, "LRV", _d(11, 4), _d(12, 6)),
    _e(PO_LUXE, "L", _d(12, 19), _d(12, 20)),
    # Eight afternoons of 120 minutes reach 960; the holiday stretches the second window (F5).
    # Afternoons alone are never afwezige dagen (F6): no run, no follow-ups, no LRV.
    _e(PO_HALVES, "V3", _d(9, 30), _d(10, 9)),
    _e(PO_HALVES, "V3", _d(10, 10), _d(10, 28)),
    _e(PO_HALVES, "V3", _d(10, 29), _d(11, 7)),
    _e(PO_ONBEKEND, "V3", _d(12, 10), _d(12, 12)),
    ExpectedMelding(PO_INVALID_BSN, "V3", _d(9, 2), _d(9, 4), False, "V01"),
)
"""Every melding the primary school's designed pupils should give; background pupils none."""


@dataclass(frozen=True, slots=True)
class ExpectedRejection:
    """A designed bad item: the rule id, the file and field it names, and the pupil (if any)."""

    regel: str
    bestand: str
    veld: str
    leerlingnummer: str | None


@dataclass(frozen=True, slots=True)
class DemoSchool:
    """One written school: where its files are, which adapter reads them, what it should give.

    ``registrations`` and ``students`` are what ``verzuim precheck --adapter`` takes as
    ``--registrations`` (repeated) and ``--students``; ``history`` is the ``--history`` file of
    meldingen sent earlier (None: nothing sent yet).
    """

    naam: str
    sector: str
    brin: str
    adapter: str
    directory: Path
    school: Path
    registrations: tuple[Path, ...]
    students: Path
    history: Path | None
    peildatum: dt.date
    expected: tuple[ExpectedMelding, ...]
    wijzigingen: tuple[tuple[str, str, dt.date, dt.date], ...]
    rejections: tuple[ExpectedRejection, ...]

    @property
    def inputs(self) -> tuple[Path, ...]:
        """Every export file of the school: the registrations, then the student export."""
        return (*self.registrations, self.students)

    @property
    def leerlingnummers(self) -> frozenset[str]:
        """The designed pupils (those with an expected melding or rejection)."""
        return frozenset(
            {e.leerlingnummer for e in self.expected}
            | {r.leerlingnummer for r in self.rejections if r.leerlingnummer}
        )


@dataclass(frozen=True, slots=True)
class DemoSchools:
    """Both demo schools and every identity value written into their files."""

    vo: DemoSchool
    po: DemoSchool
    bsns: frozenset[str]
    onderwijsnummers: frozenset[str]
    geboortedata: frozenset[dt.date]

    @property
    def schools(self) -> tuple[DemoSchool, DemoSchool]:
        """The VO school, then the primary school."""
        return (self.vo, self.po)


@dataclass(slots=True)
class _Identities:
    bsns: set[str] = field(default_factory=set)
    onderwijsnummers: set[str] = field(default_factory=set)
    geboortedata: set[dt.date] = field(default_factory=set)

    def add(self, bsn: str, onderwijsnummer: str, geboortedatum: str) -> None:
        if bsn:
            self.bsns.add(bsn)
        if onderwijsnummer:
            self.onderwijsnummers.add(onderwijsnummer)
        with contextlib.suppress(ValueError):  # the designed malformed birth date is no date
            self.geboortedata.add(dt.date.fromisoformat(geboortedatum))


def write_demo_schools(
    out_dir: Path, seed: int = SEED, today: dt.date | None = None
) -> DemoSchools:
    """Write both demo schools into ``out_dir`` (``vo-proefschool/``, ``po-proeftuin/``).

    ``today`` is the date the demo will run the pre-check with (I-TOEKOMST refuses
    registrations after it): a ValueError when the term does not lie before it. The files do not
    depend on it. The same ``seed`` gives byte-identical files.
    """
    if today is not None and today <= PEILDATUM:
        raise ValueError(
            f"de demoscholen hebben registraties tot en met {PEILDATUM}; vandaag ({today}) moet "
            "daarna liggen (I-TOEKOMST)"
        )
    identities = _Identities()
    vo = _write_vo(out_dir / VO_DIR, seed, identities)
    po = _write_po(out_dir / PO_DIR, seed, identities)
    return DemoSchools(
        vo=vo,
        po=po,
        bsns=frozenset(identities.bsns),
        onderwijsnummers=frozenset(identities.onderwijsnummers),
        geboortedata=frozenset(identities.geboortedata),
    )


# -- VO: Magister ----------------------------------------------------------------------------------


def _write_vo(directory: Path, seed: int, identities: _Identities) -> DemoSchool:
    texts = sample_school_texts(seed)
    students = _csv_rows(texts.leerlingen)
    lessons = _csv_rows(texts.lesregistraties)
    for row in students:
        identities.add(row["bsn"], row["onderwijsnummer"], row["geboortedatum"])

    items: dict[str, list[dict[str, object]]] = {row["leerlingnummer"]: [] for row in students}
    for row in lessons:
        item = _magister_item(row)
        if item is not None:
            items[row["leerlingnummer"]].append(item)

    # Designed additions (module docstring): a pupil missing from the student export, a pupil
    # whose birth date does not exist, an envelope of another school.
    extra_id = _ID_BASE + 900_000
    for lln, day in ((VO_UNKNOWN_PUPIL, _d(10, 8)), (VO_BAD_BIRTH_DATE, _d(11, 12))):
        items[lln] = []
        for lesuur in (1, 2):
            extra_id += 1
            items[lln].append(_item(extra_id, day, lesuur, 1, "S", "N", ""))
    other_school = [_item(extra_id + 1, _d(9, 10), 3, 1, "S", "N", "")]

    bad_birth = _bad_birth_row(students, seed)
    duplicate = _duplicate_row(students, seed)
    identities.add(bad_birth["bsn"], "", "")
    identities.add(duplicate["bsn"], "", duplicate["geboortedatum"])
    student_rows = [*students, bad_birth, duplicate]
    student_lines = [";".join(MAGISTER_STUDENT_COLUMNS)]
    for row in student_rows:
        student_lines.append(
            ";".join(
                (
                    row["leerlingnummer"],
                    row["bsn"],
                    row["onderwijsnummer"],
                    row["geboortedatum"],
                    row["startkwalificatie"],
                )
            )
        )

    envelopes = [_envelope(lln, items[lln]) for lln in sorted(items)]
    envelopes.append(_envelope(VO_OTHER_SCHOOL, other_school, brin=OTHER_BRIN))
    absenties = directory / "absenties"
    absenties.mkdir(parents=True, exist_ok=True)
    json_files: list[Path] = []
    file_of: dict[str, str] = {}
    for number, first in enumerate(range(0, len(envelopes), CLASS_SIZE), start=1):
        path = absenties / f"klas-{number:02d}.json"
        klas = envelopes[first : first + CLASS_SIZE]
        _write(path, _render_envelopes(klas))
        json_files.append(path)
        file_of.update((str(envelope["stamnr"]), path.name) for envelope in klas)

    school = directory / "school.toml"
    students_path = directory / "leerlingen-magister.csv"
    history = directory / "meldingen.json"
    _write(school, texts.school)
    _write(students_path, "\n".join(student_lines) + "\n")
    _write(history, texts.meldingen)
    return DemoSchool(
        naam="Proefschool",
        sector="vo",
        brin="99XX",
        adapter=VO_ADAPTER,
        directory=directory,
        school=school,
        registrations=tuple(json_files),
        students=students_path,
        history=history,
        peildatum=PEILDATUM,
        expected=EXPECTED,
        wijzigingen=WIJZIGINGEN,
        rejections=_vo_rejections(students_path.name, file_of, duplicate["leerlingnummer"]),
    )


def _vo_rejections(
    students_file: str, file_of: dict[str, str], duplicate: str
) -> tuple[ExpectedRejection, ...]:
    """The designed bad items of the VO school (the sample's and the additions)."""
    return (
        *(ExpectedRejection("V01", students_file, "bsn", lln) for lln in sorted(INVALID_IDENTITY)),
        ExpectedRejection("I-FORMAAT", file_of[BAD_ROWS], "Start", BAD_ROWS),
        ExpectedRejection("F1", file_of[BAD_ROWS], "Eind", BAD_ROWS),
        ExpectedRejection("I-FORMAAT", file_of[BAD_ROWS], "Verantwoordingtype", BAD_ROWS),
        ExpectedRejection("I-FORMAAT", students_file, "geboortedatum", None),
        ExpectedRejection("I-DUBBEL", students_file, "stamnr", duplicate),
        ExpectedRejection(
            "I-LEERLING", file_of[VO_BAD_BIRTH_DATE], "leerlingnummer", VO_BAD_BIRTH_DATE
        ),
        ExpectedRejection(
            "I-LEERLING", file_of[VO_UNKNOWN_PUPIL], "leerlingnummer", VO_UNKNOWN_PUPIL
        ),
        ExpectedRejection("V13", file_of[VO_OTHER_SCHOOL], "brin", None),
    )


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _magister_item(row: dict[str, str]) -> dict[str, object] | None:
    """One canonical lesson row as a Magister absentie (None: Magister has no item for it)."""
    status = row["status"]
    if status in ("AANWEZIG", "NVT"):
        return None  # Magister exports absence only (module docstring)
    kind = _MAGISTER_TYPE.get(status, _UNKNOWN_TYPE)
    code = row["redencode"]
    if kind == 1 and code in _ZIEK_CODES:
        kind = 3
    number = _ID_BASE + int(row["bron_id"].removeprefix("PS"))
    return _item(
        number,
        row["datum"],
        int(row["lesuur"]),
        kind,
        code,
        row["geoorloofd"],
        row["reden"],
        begin=row["begintijd"],
        end=row["eindtijd"],
    )


_LESSON_TIMES = {
    1: ("08:30", "09:20"),
    2: ("09:20", "10:10"),
    3: ("10:30", "11:20"),
    4: ("11:20", "12:10"),
    5: ("12:40", "13:30"),
    6: ("13:30", "14:20"),
}


def _item(
    number: int,
    day: dt.date | str,
    lesuur: int,
    kind: int,
    code: str,
    geoorloofd: str,
    reden: str,
    begin: str | None = None,
    end: str | None = None,
) -> dict[str, object]:
    begin = begin or _LESSON_TIMES[lesuur][0]
    end = end or _LESSON_TIMES[lesuur][1]
    datum = day.isoformat() if isinstance(day, dt.date) else day
    return {
        "Id": number,
        "Start": _utc(datum, begin),
        "Eind": _utc(datum, end),
        "Lesuur": lesuur,
        "Geoorloofd": geoorloofd == "J",
        "Afgehandeld": geoorloofd != "",
        "Verantwoordingtype": kind,
        "Code": code,
        "Omschrijving": reden or _VO_REDEN.get(code, ""),
        "Afspraak": {"Id": number + 20_000_000, "Omschrijving": f"{_VAKKEN[lesuur - 1]} {lesuur}"},
    }


def _utc(datum: str, hhmm: str) -> str:
    """Local wall time as Magister spells it: UTC, seven decimals, ``Z``. A date that does not
    exist (the sample's 2024-09-31) is kept as written, with the UTC offset of its month's
    first day, as a broken SIS would write it."""
    hour, minute = int(hhmm[:2]), int(hhmm[3:5])
    try:
        day = dt.date.fromisoformat(datum)
    except ValueError:
        first = dt.date.fromisoformat(datum[:8] + "01")
        local = dt.datetime.combine(first, dt.time(hour, minute), tzinfo=AMSTERDAM)
        return datum + local.astimezone(dt.UTC).strftime("T%H:%M:%S.0000000Z")
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMSTERDAM)
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _envelope(lln: str, items: list[dict[str, object]], brin: str = "99XX") -> dict[str, object]:
    return {
        "stamnr": lln,
        "brin": brin,
        "absenties": {"Items": items, "TotalCount": len(items)},
    }


def _render_envelopes(envelopes: Sequence[dict[str, object]]) -> str:
    """A JSON list of envelopes, one absentie per line (readable, and a third of the size of
    indented JSON)."""
    parts: list[str] = []
    for envelope in envelopes:
        response = envelope["absenties"]
        assert isinstance(response, dict)
        items = ",\n".join(
            f"   {json.dumps(item, ensure_ascii=False)}" for item in response["Items"]
        )
        head = {key: value for key, value in envelope.items() if key != "absenties"}
        opening = json.dumps(head, ensure_ascii=False)[:-1]
        parts.append(
            f' {opening}, "absenties": {{"Items": [\n{items}\n  ], '
            f'"TotalCount": {response["TotalCount"]}}}}}'
            if items
            else f' {opening}, "absenties": {{"Items": [], "TotalCount": 0}}}}'
        )
    return "[\n" + ",\n".join(parts) + "\n]\n"


def _bad_birth_row(students: Sequence[dict[str, str]], seed: int) -> dict[str, str]:
    rng = random.Random(seed + 2)
    taken = {row["bsn"] for row in students}
    bsn = make_bsn(rng)
    while bsn in taken:
        bsn = make_bsn(rng)
    return {
        "leerlingnummer": VO_BAD_BIRTH_DATE,
        "bsn": bsn,
        "onderwijsnummer": "",
        "geboortedatum": "2011-02-30",
        "startkwalificatie": "N",
    }


def _duplicate_row(students: Sequence[dict[str, str]], seed: int) -> dict[str, str]:
    """A second row for a background pupil, with another BSN: I-DUBBEL, the first row wins."""
    rng = random.Random(seed + 3)
    original = next(row for row in students if row["leerlingnummer"] >= "100101")
    taken = {row["bsn"] for row in students}
    bsn = make_bsn(rng)
    while bsn in taken:
        bsn = make_bsn(rng)
    return {**original, "bsn": bsn}


# -- PO: dagverzuim --------------------------------------------------------------------------------


@dataclass(slots=True)
class _DayRows:
    """Collects dagverzuim rows; refuses a second row for a taken half day unless asked to."""

    lines: list[tuple[str, ...]] = field(default_factory=list)
    taken: set[tuple[str, dt.date, str]] = field(default_factory=set)

    def add(
        self,
        lln: str,
        day: dt.date,
        dagdeel: str,
        code: str,
        geoorloofd: str,
        *,
        force: bool = False,
        groep: str = "",
        **override: str,
    ) -> bool:
        halves = ("O", "M") if dagdeel == "D" else (dagdeel,)
        keys = [(lln, day, half) for half in halves]
        if not force and any(key in self.taken for key in keys):
            return False
        self.taken.update(keys)
        values = {
            "brin": PO_BRIN,
            "vestiging": PO_VESTIGING,
            "leerlingnummer": lln,
            "bsn": "",
            "onderwijsnummer": "",
            "datum": day.isoformat(),
            "dagdeel": dagdeel,
            "uren": PO_UREN.get(dagdeel, "3,5"),
            "redencode": code,
            "reden": _PO_REDEN.get(code, ""),
            "geoorloofd": geoorloofd,
            "opmerking": "",
            "groep": groep,
        }
        values.update(override)
        self.lines.append(tuple(values[name] for name in DAGVERZUIM_COLUMNS))
        return True

    def days(
        self,
        lln: str,
        days: Iterable[dt.date],
        dagdeel: str,
        code: str,
        geoorloofd: str,
        groep: str,
    ) -> None:
        for day in days:
            self.add(lln, day, dagdeel, code, geoorloofd, groep=groep)

    def render(self) -> str:
        ordered = sorted(self.lines, key=lambda line: (line[5], line[2]))  # datum, leerlingnummer
        return "\n".join([";".join(DAGVERZUIM_COLUMNS), *(";".join(x) for x in ordered)]) + "\n"


@dataclass(frozen=True, slots=True)
class _PoPupil:
    leerlingnummer: str
    geboortedatum: dt.date
    groep: str
    bsn: str = ""
    onderwijsnummer: str = ""

    def render(self) -> str:
        return ";".join(
            (
                self.leerlingnummer,
                self.bsn,
                self.onderwijsnummer,
                self.geboortedatum.isoformat(),
                "N",
            )
        )


def _groep(born: dt.date) -> str:
    """The groep (1-8) of a pupil on 1 Oct 2024: groep 1 the year they turn 4-5."""
    age = (_d(10, 1) - born).days // 365
    return f"groep {min(8, max(1, age - 3))}"


def _between(days: Sequence[dt.date], van: dt.date, tot: dt.date) -> list[dt.date]:
    return [day for day in days if van <= day <= tot]


def _write_po(directory: Path, seed: int, identities: _Identities) -> DemoSchool:
    rng = random.Random(seed + 1)
    days = schooldagen()
    rows = _DayRows()
    births = {
        PO_16U: dt.date(2015, 5, 12),
        PO_LRV: dt.date(2017, 2, 3),
        PO_LUXE: dt.date(2018, 7, 21),
        PO_HALVES: dt.date(2014, 1, 30),
        PO_JONG: dt.date(2020, 3, 1),  # 5 on 1 Mar 2025: leerplicht from 1 Apr 2025 (F4)
        PO_ONBEKEND: dt.date(2016, 9, 9),
        PO_INVALID_BSN: dt.date(2016, 4, 4),
        PO_BAD_ROWS: dt.date(2015, 11, 18),
    }
    taken: set[str] = set()
    pupils: list[_PoPupil] = []
    for lln, born in births.items():
        number = _invalid_bsn(rng) if lln == PO_INVALID_BSN else _unique_bsn(rng, taken)
        pupils.append(_PoPupil(lln, born, _groep(born), bsn=number))
    groep = {p.leerlingnummer: p.groep for p in pupils}

    def whole(lln: str, van: dt.date, tot: dt.date, code: str = "O", geoorloofd: str = "N") -> None:
        rows.days(lln, _between(days, van, tot), "D", code, geoorloofd, groep[lln])

    whole(PO_16U, _d(10, 1), _d(10, 3))
    first_week = _between(days, _d(11, 4), _d(11, 8))
    rows.days(PO_LRV, first_week, "O", "O", "N", groep[PO_LRV])
    rows.days(PO_LRV, first_week, "M", "O", "N", groep[PO_LRV])
    whole(PO_LRV, _d(11, 11), _d(12, 6))
    whole(PO_LUXE, _d(12, 19), _d(12, 20), "VZV")
    rows.days(PO_HALVES, _between(days, _d(9, 30), _d(11, 8)), "M", "O", "N", groep[PO_HALVES])
    whole(PO_JONG, _d(9, 9), _d(9, 13))
    whole(PO_ONBEKEND, _d(12, 10), _d(12, 12), "", "")
    whole(PO_INVALID_BSN, _d(9, 2), _d(9, 4))
    # The bad rows (module docstring), among two good excused rows of the same pupil.
    g = groep[PO_BAD_ROWS]
    rows.add(PO_BAD_ROWS, _d(11, 25), "O", "Z", "J", groep=g)
    rows.add(PO_BAD_ROWS, _d(11, 26), "D", "Z", "J", groep=g, datum="2024-11-31")
    rows.add(PO_BAD_ROWS, _d(11, 27), "A", "Z", "J", groep=g)
    rows.add(PO_BAD_ROWS, _d(11, 25), "O", "O", "N", groep=g, force=True)  # I-DUBBEL
    rows.add(PO_BAD_ROWS, _d(11, 28), "M", "O", "N", groep=g, uren="0")
    rows.add(PO_BAD_ROWS, _d(11, 29), "D", "Z", "J", groep=g, brin=OTHER_BRIN)
    rows.add(PO_UNKNOWN_PUPIL, _d(10, 15), "D", "O", "N", groep="groep 4")
    rows.add(PO_UNKNOWN_PUPIL, _d(10, 16), "O", "O", "N", groep="groep 4")

    for i in range(PO_N_PUPILS - len(births)):
        lln = str(500101 + i * 2 + rng.randrange(2))
        born = dt.date(2012, 10, 1) + dt.timedelta(days=rng.randrange(8 * 365))  # 4-12
        if i % 35 == 20:
            pupil = _PoPupil(lln, born, _groep(born), onderwijsnummer=_unique_on(rng, taken))
        else:
            pupil = _PoPupil(lln, born, _groep(born), bsn=_unique_bsn(rng, taken))
        pupils.append(pupil)
        _po_background(rows, rng, pupil, days)

    for pupil in pupils:
        identities.add(pupil.bsn, pupil.onderwijsnummer, pupil.geboortedatum.isoformat())
    pupils.sort(key=lambda p: p.leerlingnummer)

    school = directory / "school.toml"
    students = directory / "leerlingen.csv"
    dagverzuim = directory / "dagverzuim.csv"
    directory.mkdir(parents=True, exist_ok=True)
    _write(school, render_po_school_toml())
    _write(students, "\n".join([";".join(STUDENT_COLUMNS), *(p.render() for p in pupils)]) + "\n")
    _write(dagverzuim, rows.render())
    name = dagverzuim.name
    rejections = (
        ExpectedRejection("V01", students.name, "bsn", PO_INVALID_BSN),
        ExpectedRejection("I-FORMAAT", name, "datum", PO_BAD_ROWS),
        ExpectedRejection("I-FORMAAT", name, "dagdeel", PO_BAD_ROWS),
        ExpectedRejection("I-DUBBEL", name, "dagdeel", PO_BAD_ROWS),
        ExpectedRejection("F1", name, "uren", PO_BAD_ROWS),
        ExpectedRejection("V13", name, "brin", PO_BAD_ROWS),
        ExpectedRejection("I-LEERLING", name, "leerlingnummer", PO_UNKNOWN_PUPIL),
    )
    return DemoSchool(
        naam="Basisschool De Proeftuin",
        sector="po",
        brin=PO_BRIN,
        adapter=PO_ADAPTER,
        directory=directory,
        school=school,
        registrations=(dagverzuim,),
        students=students,
        history=None,
        peildatum=PEILDATUM,
        expected=PO_EXPECTED,
        wijzigingen=(),
        rejections=rejections,
    )


def _po_background(
    rows: _DayRows, rng: random.Random, pupil: _PoPupil, days: Sequence[dt.date]
) -> None:
    """Below every threshold: excused absence, at most two unexcused dagdelen, never LUXE."""
    lln, groep = pupil.leerlingnummer, pupil.groep
    for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):  # excused sick spells
        first = rng.randrange(len(days))
        rows.days(lln, days[first : first + rng.randint(1, 3)], "D", "Z", "J", groep)
    if rng.random() < 0.3:
        rows.add(lln, rng.choice(days), rng.choice("OM"), "ART", "J", groep=groep)
    if rng.random() < 0.05:
        rows.add(lln, rng.choice(days), "D", "VL", "J", groep=groep)
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 2)):
            rows.add(lln, rng.choice(days), rng.choice("OM"), "O", "N", groep=groep)


def _unique_bsn(rng: random.Random, taken: set[str]) -> str:
    while (number := make_bsn(rng)) in taken:
        pass
    taken.add(number)
    return number


def _unique_on(rng: random.Random, taken: set[str]) -> str:
    while (number := make_onderwijsnummer(rng)) in taken:
        pass
    taken.add(number)
    return number


def _invalid_bsn(rng: random.Random) -> str:
    """Nine digits that fail the 11-check (V01)."""
    while True:
        number = make_bsn(rng)
        wrong = number[:8] + str((int(number[8]) + 1) % 10)
        if wrong != number:
            return wrong


def render_po_school_toml() -> str:
    """``school.toml`` of the primary school (DOMAIN.md 4.1; F6 needs ``hele_dag_minuten``)."""
    lines = [
        "# Demo primary school of verzuim-gateway (generated by gateway.sample.vendor; fake data).",
        "",
        "[school]",
        f'brin = "{PO_BRIN}"',
        f'vestiging = "{PO_VESTIGING}"',
        'naam = "Basisschool De Proeftuin"',
        'sector = "po"              # klokuren (F3)',
        f"hele_dag_minuten = {PO_HELE_DAG_MINUTEN}     # F6: a morning (3,5 uur) or an afternoon "
        "(2 uur) alone is no whole day",
        "",
        "[melder]",
        'naam = "A. de Boer"',
        'functie = "intern begeleider"',
        'email = "administratie@deproeftuin.example"',
        'telefoon = "0307654321"',
        "",
        "[redencodes]               # reason code -> ZIEK LUXE SCHORSING VERLOF MEDISCH OVERIG",
    ]
    for code, categorie, omschrijving in PO_REDENCODES:
        lines.append(f'{code} = "{categorie}"'.ljust(27) + f"# {omschrijving}")
    for naam, van, tot in VAKANTIES:
        lines += ["", "[[vakanties]]", f'naam = "{naam}"', f"van = {van}", f"tot = {tot}"]
    lines += [
        "",
        "[teksten]",
        'vermoedelijke_reden = "Ongeoorloofd verzuim volgens de dagregistratie; reden onbekend"',
        'ondernomen_acties = "Leerkracht en intern begeleider hebben de ouders gebeld en '
        'uitgenodigd voor een gesprek."',
    ]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
