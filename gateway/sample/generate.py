"""Deterministic generator of a realistic sample VO school ("Proefschool", BRIN 99XX).

``write_sample_school(out_dir)`` writes four files in the gateway's canonical shapes (DOMAIN.md 5):

- ``school.toml``: the school configuration (DOMAIN.md 4.1), sector VO (lesson hours, F3),
  ``te_laat_signaal = 5`` so that R-SIGNAAL occurs, and ``hele_dag_minuten = 300`` because most
  pupils are exported with absence rows only (F6);
- ``leerlingen.csv``: about 300 pupils aged 12-19 with fake BSNs that pass the 11-check, a few with
  an onderwijsnummer instead and two with an invalid BSN (V01);
- ``lesregistraties.csv``: lesson grain for the autumn term 2024 (Mon 2 Sep - Fri 20 Dec 2024, six
  lessons of 50 minutes a day). Most pupils are exported with their non-present registrations only;
  a handful with full lesson grain (``AANWEZIG`` rows), so that presence breaks a run (F6, F7);
- ``meldingen.json``: meldingen the school sent earlier (the ``--history`` input), among them an
  open LRV whose run has ended in the data (R-EINDE) and 16-uur meldingen the data derives again.

Everything comes from a fixed ``random.Random(seed)`` and fixed dates; no clock is read, so two runs
give byte-identical files. The registrations of the designed pupils below do not depend on the
seed; the seed shapes their BSNs and the background pupils. Background absence stays below every
threshold: at most five unexcused lessons and four unexcused late arrivals in the whole term, no
empty ``geoorloofd``, and excused sick days, which count for nothing (F2).

DESIGN - which pupil exercises which rule (the same as ``SCENARIOS``; ``EXPECTED`` lists the
meldingen as this module reads DOMAIN.md 4.4, with the default peildatum Fri 20 Dec 2024):

======  ===============================================  ==================================
lln     data                                             rules
======  ===============================================  ==================================
100001  DOMAIN.md 4.6: 14 years, absent all lessons 2    R-16U, R-HERHAAL, R-LRV
        Sep - 11 Oct, back 14 Oct; full grain
100002  13 years, 3 lessons on Tuesdays and 2 on         R-16U four times (reset); the
        Thursdays all term (isolated days: no run)       first is already known
100003  15 years, absent all lessons 18 Nov - 20 Dec,    R-16U, R-HERHAAL, R-LRV (open)
        the end of the data
100004  19 years, no startkwalificatie, absent all       R-16U (V4), R-HERHAAL, R-RMC
        lessons 7 Oct - 15 Nov (autumn holiday inside);
        full grain
100005  13 years, absent 4 - 20 Nov and 22 Nov - 10      R-16U, R-HERHAAL, F7 (two runs, no
        Dec, present Thu 21 Nov; full grain              LRV)
100006  15 years, absent all lessons 9 Sep - 8 Nov; the  R-EINDE (the rest is known)
        history holds its V3, follow-ups and an open
        LRV
100007  18 years, no startkwalificatie, 18 lessons 1 -   R-16U (V4)
        29 Oct
100008  18 years, startkwalificatie J, the same absence  F4 (obligation geen: nothing)
100009  12 years, VZV (LUXE) Mon 14 - Fri 18 Oct,        R-LUXE
        before the autumn holiday
100010  14 years, ten unexcused late arrivals and one    R-SIGNAAL (twice)
        excused
100011  14 years, 18 lessons with geoorloofd empty       R-16U, W-ONBEKEND
100012  turns 18 on 10 Oct; 18 lessons 24 Sep - 15 Oct   R-16U (V4: rmc on d1), F4
100013  13 years, 15 unexcused and 15 excused lessons    F2 (nothing)
100014  invalid BSN, no onderwijsnummer, 18 lessons      R-16U, refused by V01
100015  invalid BSN, no onderwijsnummer, VZV 19 - 20     R-LUXE, refused by V01
        Dec
100016  onderwijsnummer instead of a BSN, 18 lessons     R-16U
100017  16 unexcused lessons, but the 16th is            F1 (the later row wins: nothing)
        registered again later as excused sick (same
        date and times)
100018  16 years, absent lessons 1-4 every day 25 Nov -  R-16U twice, F6 (no run)
        5 Dec
100019  three bad rows: a bad date, end before begin,    F1 (rows rejected)
        an unknown status
======  ===============================================  ==================================
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from adapters.canonical import STUDENT_COLUMNS
from adapters.registrations import REGISTRATION_COLUMNS

SEED = 20240902
"""Default seed; it only shapes the background pupils."""

BRIN = "99XX"
VESTIGING = "00"
TERM_START = dt.date(2024, 9, 2)
TERM_END = dt.date(2024, 12, 20)
PEILDATUM = TERM_END  # the default peildatum: the last date in the registrations (F8 note)

VAKANTIES: tuple[tuple[str, dt.date, dt.date], ...] = (
    ("herfstvakantie", dt.date(2024, 10, 19), dt.date(2024, 10, 27)),
    ("kerstvakantie", dt.date(2024, 12, 21), dt.date(2025, 1, 5)),
)

LESSONS: tuple[tuple[str, str], ...] = (
    ("08:30", "09:20"),
    ("09:20", "10:10"),
    ("10:30", "11:20"),
    ("11:20", "12:10"),
    ("12:40", "13:30"),
    ("13:30", "14:20"),
)
"""Six lessons of 50 minutes (F3: each weighs one lesson hour); a whole day is 300 minutes."""

ALL_LESSONS: tuple[int, ...] = tuple(range(1, len(LESSONS) + 1))

REDENCODES: tuple[tuple[str, str, str], ...] = (
    ("Z", "ZIEK", "Ziek"),
    ("ZM", "ZIEK", "Ziekmelding door ouder/verzorger"),
    ("T", "OVERIG", "Te laat"),
    ("S", "OVERIG", "Ongeoorloofd afwezig, ouders geïnformeerd"),
    ("VZV", "LUXE", "Vakantie zonder verlof"),
    ("ART", "MEDISCH", "Arts/tandarts/orthodontist"),
    ("VL", "VERLOF", "Verlof (bijzondere omstandigheden)"),
    ("SCH", "SCHORSING", "Schorsing"),
    ("VW", "OVERIG", "Verwijderd uit de les"),
)
"""The school's reason codes: (code, categorie, omschrijving)."""

_REDEN = {code: omschrijving for code, _, omschrijving in REDENCODES}

LEERLINGEN_HEADER = ";".join(STUDENT_COLUMNS)
LESREGISTRATIES_HEADER = ";".join(REGISTRATION_COLUMNS)  # the readers' own column lists

N_PUPILS = 300
N_FULL_GRAIN_BACKGROUND = 3

# Designed pupils (see the table in the module docstring).
WORKED_EXAMPLE = "100001"
SPREAD_16U = "100002"
OPEN_LRV = "100003"
RMC_RUN = "100004"
PRESENCE_BREAKS_RUN = "100005"
EINDE = "100006"
V4_16U = "100007"
STARTKWALIFICATIE = "100008"
LUXE = "100009"
TE_LAAT = "100010"
ONBEKEND = "100011"
BIRTHDAY_18 = "100012"
EXCUSED_ONLY = "100013"
INVALID_BSN = "100014"
INVALID_BSN_LUXE = "100015"
ONDERWIJSNUMMER = "100016"
DUPLICATE = "100017"
PARTIAL_DAYS = "100018"
BAD_ROWS = "100019"

SCENARIOS: dict[str, tuple[str, ...]] = {
    WORKED_EXAMPLE: ("R-16U", "R-HERHAAL", "R-LRV"),
    SPREAD_16U: ("R-16U",),
    OPEN_LRV: ("R-16U", "R-HERHAAL", "R-LRV"),
    RMC_RUN: ("R-16U", "R-HERHAAL", "R-RMC"),
    PRESENCE_BREAKS_RUN: ("R-16U", "R-HERHAAL", "F7"),
    EINDE: ("R-EINDE",),
    V4_16U: ("R-16U",),
    STARTKWALIFICATIE: ("F4",),
    LUXE: ("R-LUXE",),
    TE_LAAT: ("R-SIGNAAL",),
    ONBEKEND: ("R-16U", "W-ONBEKEND"),
    BIRTHDAY_18: ("R-16U", "F4"),
    EXCUSED_ONLY: ("F2",),
    INVALID_BSN: ("R-16U", "V01"),
    INVALID_BSN_LUXE: ("R-LUXE", "V01"),
    ONDERWIJSNUMMER: ("R-16U",),
    DUPLICATE: ("F1",),
    PARTIAL_DAYS: ("R-16U", "F6"),
    BAD_ROWS: ("F1",),
}
"""leerlingnummer -> the rule ids (DOMAIN.md 4.3-4.5) its data exercises."""

NO_MELDING: frozenset[str] = frozenset({STARTKWALIFICATIE, EXCUSED_ONLY, DUPLICATE, BAD_ROWS})
"""Designed pupils that must get no melding at all."""

INVALID_IDENTITY: frozenset[str] = frozenset({INVALID_BSN, INVALID_BSN_LUXE})
"""The pupils whose BSN fails the 11-check and who have no onderwijsnummer (V01)."""

Outcome = Literal["voorgesteld", "bekend", "V01"]


class ExpectedMelding(NamedTuple):
    """A melding the pre-check should derive from the sample, as this module reads DOMAIN.md 4.4.

    ``outcome`` is ``voorgesteld`` (proposed), ``bekend`` (derived, but already in
    ``meldingen.json``, so not proposed again) or ``V01`` (refused: no valid BSN/onderwijsnummer).
    ``code`` is the wire code; ``L`` is LUXE and ``O`` OVERIG (R-SIGNAAL).
    """

    leerlingnummer: str
    code: str
    begindatum: dt.date
    einddatum: dt.date | None
    herhaal: bool
    outcome: Outcome


def _d(month: int, day: int) -> dt.date:
    return dt.date(2024, month, day)


def _e(
    lln: str,
    code: str,
    begin: dt.date,
    end: dt.date | None,
    herhaal: bool = False,
    outcome: Outcome = "voorgesteld",
) -> ExpectedMelding:
    return ExpectedMelding(lln, code, begin, end, herhaal, outcome)


EXPECTED: tuple[ExpectedMelding, ...] = (
    # DOMAIN.md 4.6, verbatim: V3 2-4 Sep, follow-ups until T = 29 Sep, LRV 2 Sep - 11 Oct.
    _e(WORKED_EXAMPLE, "V3", _d(9, 2), _d(9, 4)),
    _e(WORKED_EXAMPLE, "V3", _d(9, 5), _d(9, 11), True),
    _e(WORKED_EXAMPLE, "V3", _d(9, 12), _d(9, 18), True),
    _e(WORKED_EXAMPLE, "V3", _d(9, 19), _d(9, 25), True),
    _e(WORKED_EXAMPLE, "LRV", _d(9, 2), _d(10, 11)),
    # R-16U four times; the reset starts each count the day after d1; the second window is
    # stretched by the autumn holiday (F5). The first one is in meldingen.json.
    _e(SPREAD_16U, "V3", _d(9, 3), _d(9, 24), outcome="bekend"),
    _e(SPREAD_16U, "V3", _d(9, 26), _d(10, 17)),
    _e(SPREAD_16U, "V3", _d(10, 29), _d(11, 19)),
    _e(SPREAD_16U, "V3", _d(11, 21), _d(12, 12)),
    # Still absent on the peildatum: T = 15 Dec, the LRV stays open.
    _e(OPEN_LRV, "V3", _d(11, 18), _d(11, 20)),
    _e(OPEN_LRV, "V3", _d(11, 21), _d(11, 27), True),
    _e(OPEN_LRV, "V3", _d(11, 28), _d(12, 4), True),
    _e(OPEN_LRV, "V3", _d(12, 5), _d(12, 11), True),
    _e(OPEN_LRV, "LRV", _d(11, 18), None),
    # 19 years: V4 follow-ups and RMC; the holiday stretches T to 12 Nov.
    _e(RMC_RUN, "V4", _d(10, 7), _d(10, 9)),
    _e(RMC_RUN, "V4", _d(10, 10), _d(10, 16), True),
    _e(RMC_RUN, "V4", _d(10, 17), _d(10, 23), True),
    _e(RMC_RUN, "V4", _d(10, 24), _d(10, 30), True),
    _e(RMC_RUN, "V4", _d(10, 31), _d(11, 6), True),
    _e(RMC_RUN, "RMC", _d(10, 7), _d(11, 15)),
    # Presence on 21 Nov splits 4 Nov - 10 Dec into two runs shorter than 28 days: no LRV.
    _e(PRESENCE_BREAKS_RUN, "V3", _d(11, 4), _d(11, 6)),
    _e(PRESENCE_BREAKS_RUN, "V3", _d(11, 7), _d(11, 13), True),
    _e(PRESENCE_BREAKS_RUN, "V3", _d(11, 14), _d(11, 20), True),
    _e(PRESENCE_BREAKS_RUN, "V3", _d(11, 22), _d(11, 26)),
    _e(PRESENCE_BREAKS_RUN, "V3", _d(11, 27), _d(12, 3), True),
    _e(PRESENCE_BREAKS_RUN, "V3", _d(12, 4), _d(12, 10), True),
    # Everything already known; the open LRV gets its einddatum 8 Nov (R-EINDE, see WIJZIGINGEN).
    _e(EINDE, "V3", _d(9, 9), _d(9, 11), outcome="bekend"),
    _e(EINDE, "V3", _d(9, 12), _d(9, 18), True, "bekend"),
    _e(EINDE, "V3", _d(9, 19), _d(9, 25), True, "bekend"),
    _e(EINDE, "V3", _d(9, 26), _d(10, 2), True, "bekend"),
    _e(EINDE, "LRV", _d(9, 9), _d(11, 8), outcome="bekend"),
    _e(V4_16U, "V4", _d(10, 1), _d(10, 29)),
    _e(LUXE, "L", _d(10, 14), _d(10, 18)),
    _e(TE_LAAT, "O", _d(9, 9), _d(9, 26)),
    _e(TE_LAAT, "O", _d(11, 7), _d(12, 3)),
    _e(ONBEKEND, "V3", _d(11, 5), _d(11, 26)),
    _e(BIRTHDAY_18, "V4", _d(9, 24), _d(10, 15)),
    _e(INVALID_BSN, "V3", _d(9, 3), _d(9, 24), outcome="V01"),
    _e(INVALID_BSN_LUXE, "L", _d(12, 19), _d(12, 20), outcome="V01"),
    _e(ONDERWIJSNUMMER, "V3", _d(10, 1), _d(10, 29)),
    _e(PARTIAL_DAYS, "V3", _d(11, 25), _d(11, 28)),
    _e(PARTIAL_DAYS, "V3", _d(11, 29), _d(12, 4)),
)
"""Every melding the designed pupils should give; background pupils give none."""

WIJZIGINGEN: tuple[tuple[str, str, dt.date, dt.date], ...] = ((EINDE, "LRV", _d(9, 9), _d(11, 8)),)
"""R-EINDE: (leerlingnummer, code, begindatum, new einddatum) of the open melding to close."""

_BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True, slots=True)
class SampleFiles:
    """Paths of the files ``write_sample_school`` wrote."""

    school: Path
    leerlingen: Path
    lesregistraties: Path
    meldingen: Path


def _weighted(digits: Sequence[int]) -> int:
    return sum(w * d for w, d in zip(_BSN_WEIGHTS, digits, strict=True))


def make_bsn(rng: random.Random) -> str:
    """A fake BSN that passes the 11-check: sum(d1*9 .. d8*2) - d9 is divisible by 11 (V01).

    The first digit is 2-6 so that it never looks like an onderwijsnummer (prefix ``10``).
    """
    while True:
        digits = [rng.randint(2, 6)] + [rng.randint(0, 9) for _ in range(7)]
        check = _weighted(digits) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def make_onderwijsnummer(rng: random.Random) -> str:
    """A fake onderwijsnummer: ``10`` + 7 digits, sum(d1*9 .. d8*2) - d9 leaves remainder 5 (V01).

    This is the check of ``stdnum.nl.onderwijsnummer``.
    """
    while True:
        digits = [1, 0] + [rng.randint(0, 9) for _ in range(6)]
        check = (_weighted(digits) - 5) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def _invalid_bsn(rng: random.Random) -> str:
    """Nine digits that fail the 11-check (a typing error in the SIS)."""
    while True:
        digits = [rng.randint(2, 6)] + [rng.randint(0, 9) for _ in range(8)]
        if (_weighted(digits[:8]) - digits[8]) % 11 != 0:
            return "".join(map(str, digits))


def _in_holiday(day: dt.date) -> bool:
    return any(van <= day <= tot for _, van, tot in VAKANTIES)


def schooldagen(start: dt.date = TERM_START, end: dt.date = TERM_END) -> list[dt.date]:
    """Mon-Fri from ``start`` to ``end`` inclusive, outside the configured holidays."""
    days: list[dt.date] = []
    day = start
    while day <= end:
        if day.weekday() < 5 and not _in_holiday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@dataclass(slots=True)
class _Row:
    datum: dt.date
    leerlingnummer: str
    lesuur: int
    status: str
    redencode: str
    geoorloofd: str
    seq: int
    reden: str = ""
    datum_text: str | None = None
    begintijd: str | None = None
    eindtijd: str | None = None

    def render(self, bron_id: str) -> str:
        begin, end = LESSONS[self.lesuur - 1]
        reden = self.reden or _REDEN.get(self.redencode, "")
        return ";".join(
            (
                BRIN,
                VESTIGING,
                self.leerlingnummer,
                "",
                "",
                self.datum_text or self.datum.isoformat(),
                str(self.lesuur),
                self.begintijd or begin,
                self.eindtijd or end,
                self.status,
                self.redencode,
                reden,
                self.geoorloofd,
                bron_id,
            )
        )


@dataclass(slots=True)
class _Registrations:
    """Collects rows; refuses a second row for the same pupil and lesson unless asked to."""

    rows: list[_Row] = field(default_factory=list)
    taken: set[tuple[str, dt.date, int]] = field(default_factory=set)

    def add(
        self,
        lln: str,
        day: dt.date,
        lesuur: int,
        status: str,
        redencode: str = "",
        geoorloofd: str = "",
        *,
        duplicate: bool = False,
        **override: str,
    ) -> bool:
        key = (lln, day, lesuur)
        if key in self.taken and not duplicate:
            return False
        self.taken.add(key)
        row = _Row(day, lln, lesuur, status, redencode, geoorloofd, len(self.rows))
        for name, value in override.items():
            setattr(row, name, value)
        self.rows.append(row)
        return True

    def lessons(
        self,
        lln: str,
        days: Iterable[dt.date],
        lessons: Sequence[int],
        status: str,
        redencode: str,
        geoorloofd: str,
    ) -> None:
        for day in days:
            for lesuur in lessons:
                self.add(lln, day, lesuur, status, redencode, geoorloofd)

    def fill_present(self, lln: str, days: Sequence[dt.date]) -> None:
        """Full lesson grain: every lesson without a registration yet is AANWEZIG (F6)."""
        self.lessons(lln, days, ALL_LESSONS, "AANWEZIG", "", "")

    def render(self) -> str:
        ordered = sorted(self.rows, key=lambda r: (r.datum, r.leerlingnummer, r.lesuur, r.seq))
        lines = [LESREGISTRATIES_HEADER]
        lines.extend(row.render(f"PS{n:06d}") for n, row in enumerate(ordered, start=1))
        return "\n".join(lines) + "\n"


def _between(days: Sequence[dt.date], van: dt.date, tot: dt.date) -> list[dt.date]:
    return [day for day in days if van <= day <= tot]


def _tue_thu(days: Sequence[dt.date], van: dt.date, count: int) -> Iterator[tuple[dt.date, int]]:
    """``count`` Tuesdays and Thursdays from ``van``: 3 lessons on Tuesday, 2 on Thursday.

    Such days are never adjacent schooldagen, so they never form a run longer than a day (F7),
    with or without ``hele_dag_minuten``.
    """
    found = 0
    for day in days:
        if found == count:
            return
        if day >= van and day.weekday() in (1, 3):
            found += 1
            yield day, 3 if day.weekday() == 1 else 2


def _spread(reg: _Registrations, lln: str, days: Sequence[dt.date], van: dt.date, n: int) -> None:
    """Unexcused lessons (code S) on ``n`` Tuesdays/Thursdays from ``van``: lessons 2-4 or 5-6."""
    for day, count in _tue_thu(days, van, n):
        reg.lessons(lln, [day], (2, 3, 4) if count == 3 else (5, 6), "AFWEZIG", "S", "N")


@dataclass(frozen=True, slots=True)
class _Pupil:
    leerlingnummer: str
    geboortedatum: dt.date
    bsn: str = ""
    onderwijsnummer: str = ""
    startkwalificatie: bool = False

    def render(self) -> str:
        return ";".join(
            (
                self.leerlingnummer,
                self.bsn,
                self.onderwijsnummer,
                self.geboortedatum.isoformat(),
                "J" if self.startkwalificatie else "N",
            )
        )


def _designed_pupils(rng: random.Random) -> list[_Pupil]:
    births = {
        WORKED_EXAMPLE: dt.date(2010, 3, 15),
        SPREAD_16U: dt.date(2011, 6, 2),
        OPEN_LRV: dt.date(2009, 5, 21),
        RMC_RUN: dt.date(2005, 6, 10),
        PRESENCE_BREAKS_RUN: dt.date(2011, 1, 27),
        EINDE: dt.date(2009, 3, 4),
        V4_16U: dt.date(2006, 2, 20),
        STARTKWALIFICATIE: dt.date(2006, 1, 10),
        LUXE: dt.date(2012, 4, 30),
        TE_LAAT: dt.date(2010, 8, 19),
        ONBEKEND: dt.date(2010, 11, 5),
        BIRTHDAY_18: dt.date(2006, 10, 10),
        EXCUSED_ONLY: dt.date(2011, 9, 14),
        INVALID_BSN: dt.date(2011, 2, 8),
        INVALID_BSN_LUXE: dt.date(2012, 5, 17),
        ONDERWIJSNUMMER: dt.date(2009, 7, 1),
        DUPLICATE: dt.date(2010, 4, 12),
        PARTIAL_DAYS: dt.date(2008, 8, 15),
        BAD_ROWS: dt.date(2010, 12, 24),
    }
    pupils = []
    for lln, born in births.items():
        if lln in INVALID_IDENTITY:
            pupils.append(_Pupil(lln, born, bsn=_invalid_bsn(rng)))
        elif lln == ONDERWIJSNUMMER:
            pupils.append(_Pupil(lln, born, onderwijsnummer=make_onderwijsnummer(rng)))
        else:
            pupils.append(
                _Pupil(lln, born, bsn=make_bsn(rng), startkwalificatie=lln == STARTKWALIFICATIE)
            )
    return pupils


def _designed_registrations(reg: _Registrations, days: Sequence[dt.date]) -> None:
    """The registrations of the designed pupils (module docstring; EXPECTED)."""
    # DOMAIN.md 4.6: all lessons 2 Sep - 11 Oct, back on 14 Oct; full grain.
    reg.lessons(
        WORKED_EXAMPLE, _between(days, _d(9, 2), _d(10, 11)), ALL_LESSONS, "AFWEZIG", "S", "N"
    )
    reg.fill_present(WORKED_EXAMPLE, days)

    _spread(reg, SPREAD_16U, days, _d(9, 3), 100)

    reg.lessons(OPEN_LRV, _between(days, _d(11, 18), _d(12, 20)), ALL_LESSONS, "AFWEZIG", "S", "N")

    reg.lessons(RMC_RUN, _between(days, _d(10, 7), _d(11, 15)), ALL_LESSONS, "AFWEZIG", "S", "N")
    reg.fill_present(RMC_RUN, days)

    for van, tot in ((_d(11, 4), _d(11, 20)), (_d(11, 22), _d(12, 10))):
        reg.lessons(PRESENCE_BREAKS_RUN, _between(days, van, tot), ALL_LESSONS, "AFWEZIG", "S", "N")
    reg.fill_present(PRESENCE_BREAKS_RUN, days)

    reg.lessons(EINDE, _between(days, _d(9, 9), _d(11, 8)), ALL_LESSONS, "AFWEZIG", "S", "N")

    _spread(reg, V4_16U, days, _d(10, 1), 7)
    _spread(reg, STARTKWALIFICATIE, days, _d(10, 1), 7)

    reg.lessons(LUXE, _between(days, _d(10, 14), _d(10, 18)), ALL_LESSONS, "AFWEZIG", "VZV", "N")

    late_n = [_d(9, 9), _d(9, 12), _d(9, 17), _d(9, 23), _d(9, 26)]
    late_n += [_d(11, 7), _d(11, 14), _d(11, 19), _d(11, 28), _d(12, 3)]
    reg.lessons(TE_LAAT, late_n, (1,), "TE_LAAT", "T", "N")
    reg.lessons(TE_LAAT, [_d(10, 1)], (1,), "TE_LAAT", "T", "J")

    for day, count in _tue_thu(days, _d(11, 5), 7):
        reg.lessons(ONBEKEND, [day], (1, 2, 3) if count == 3 else (4, 5), "AFWEZIG", "", "")

    _spread(reg, BIRTHDAY_18, days, _d(9, 24), 7)

    tuesdays = [_d(10, 1), _d(10, 8), _d(10, 15), _d(10, 29), _d(11, 5)]
    thursdays = [_d(10, 3), _d(10, 10), _d(10, 17), _d(10, 31), _d(11, 7)]
    reg.lessons(EXCUSED_ONLY, tuesdays, (1, 2, 3), "AFWEZIG", "S", "N")
    reg.lessons(EXCUSED_ONLY, thursdays, (4, 5, 6), "AFWEZIG", "ZM", "J")

    _spread(reg, INVALID_BSN, days, _d(9, 3), 7)
    reg.lessons(INVALID_BSN_LUXE, [_d(12, 19), _d(12, 20)], ALL_LESSONS, "AFWEZIG", "VZV", "N")
    _spread(reg, ONDERWIJSNUMMER, days, _d(10, 1), 7)

    # 15 unexcused lessons 3-19 Sep, the 16th on 24 Sep; a later row for the same lesson says
    # excused sick, and the later row wins (F1), so 15 count and no melding follows.
    _spread(reg, DUPLICATE, days, _d(9, 3), 6)
    reg.add(DUPLICATE, _d(9, 24), 2, "AFWEZIG", "S", "N")
    reg.add(DUPLICATE, _d(9, 24), 2, "AFWEZIG", "Z", "J", duplicate=True)

    reg.lessons(
        PARTIAL_DAYS, _between(days, _d(11, 25), _d(12, 5)), (1, 2, 3, 4), "AFWEZIG", "S", "N"
    )

    reg.add(BAD_ROWS, _d(9, 30), 2, "AFWEZIG", "S", "N", datum_text="2024-09-31")
    reg.add(BAD_ROWS, _d(10, 8), 3, "AFWEZIG", "Z", "J", begintijd="11:20", eindtijd="10:30")
    reg.add(BAD_ROWS, _d(11, 12), 5, "ABSENT", "S", "N")
    reg.lessons(BAD_ROWS, [_d(11, 13), _d(11, 14)], ALL_LESSONS, "AFWEZIG", "Z", "J")


def _background_birth(rng: random.Random) -> dt.date:
    """A VO pupil aged 12-19 on 2 Sep 2024: leerjaar 1-6, about one in six a year older."""
    leerjaar = rng.choices((1, 2, 3, 4, 5, 6), weights=(20, 20, 20, 18, 14, 8))[0]
    year = 2012 - (leerjaar - 1) - (1 if rng.random() < 0.17 else 0)
    # born between 1 Sep of year-1 and 31 Aug of year: 12 or 13 on 2 Sep 2024 in leerjaar 1
    start = dt.date(year - 1, 9, 1)
    return start + dt.timedelta(days=rng.randrange(365))


def _background_noise(
    reg: _Registrations, rng: random.Random, lln: str, days: Sequence[dt.date]
) -> None:
    """Below every threshold: <= 5 unexcused lessons, <= 4 unexcused lates (module docstring)."""
    for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3))):  # excused sick days
        first = rng.randrange(len(days))
        code = rng.choice(("Z", "Z", "ZM"))
        reg.lessons(lln, days[first : first + rng.randint(1, 3)], ALL_LESSONS, "AFWEZIG", code, "J")
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 2)):
            first = rng.randint(1, 5)
            lessons = range(first, first + rng.randint(1, 2))
            reg.lessons(lln, [rng.choice(days)], lessons, "AFWEZIG", "ART", "J")
    if rng.random() < 0.05:
        reg.lessons(lln, [rng.choice(days)], ALL_LESSONS, "AFWEZIG", "VL", "J")
    if rng.random() < 0.35:
        for _ in range(rng.randint(1, 4)):
            reg.add(lln, rng.choice(days), rng.choice(ALL_LESSONS), "AFWEZIG", "S", "N")
    if rng.random() < 0.1:
        reg.add(lln, rng.choice(days), rng.choice(ALL_LESSONS), "VERWIJDERD", "VW", "N")
    if rng.random() < 0.4:
        for _ in range(rng.randint(1, 4)):
            geoorloofd = "N" if rng.random() < 0.6 else "J"
            reg.add(lln, rng.choice(days), rng.choice((1, 1, 1, 5)), "TE_LAAT", "T", geoorloofd)


def _background(
    reg: _Registrations, rng: random.Random, days: Sequence[dt.date], taken_ids: set[str]
) -> list[_Pupil]:
    pupils: list[_Pupil] = []
    n_designed = len(SCENARIOS)
    full_grain = set(range(0, (N_PUPILS - n_designed), 97)[:N_FULL_GRAIN_BACKGROUND])
    suspended = 41
    for i in range(N_PUPILS - n_designed):
        lln = str(100101 + i * 3 + rng.randrange(3))
        born = _background_birth(rng)
        if i % 90 == 45:  # a few pupils without a BSN
            pupil = _Pupil(lln, born, onderwijsnummer=_unique(rng, make_onderwijsnummer, taken_ids))
        else:
            pupil = _Pupil(lln, born, bsn=_unique(rng, make_bsn, taken_ids))
        pupils.append(pupil)
        _background_noise(reg, rng, lln, days)
        if i == suspended:
            first = rng.randrange(len(days) - 2)
            reg.lessons(lln, days[first : first + 2], ALL_LESSONS, "AFWEZIG", "SCH", "J")
        if i in full_grain:
            studiemiddag = _d(11, 8)
            for lesuur in (5, 6):
                reg.add(lln, studiemiddag, lesuur, "NVT", reden="Studiemiddag")
            reg.fill_present(lln, days)
    return pupils


def _unique(rng: random.Random, make: Callable[[random.Random], str], taken: set[str]) -> str:
    while True:
        number = make(rng)
        if number not in taken:
            taken.add(number)
            return number


def _history() -> list[dict[str, object]]:
    """meldingen.json: what the school already sent (``KnownMelding``).

    The EINDE pupil's V3, its follow-ups and its LRV (still open: R-EINDE closes it), and the
    first 16-uur melding of the SPREAD_16U pupil, which the data derives again (not re-proposed).
    """

    def melding(
        lln: str, code: str, van: dt.date, tot: dt.date | None, status: str, herhaal: bool, n: int
    ) -> dict[str, object]:
        return {
            "leerlingnummer": lln,
            "code": code,
            "begindatum": van.isoformat(),
            "einddatum": tot.isoformat() if tot else None,
            "status": status,
            "herhaal": herhaal,
            "nummer": f"VM{n:06d}",
        }

    return [
        melding(EINDE, "V3", _d(9, 9), _d(9, 11), "B", False, 104117),
        melding(EINDE, "V3", _d(9, 12), _d(9, 18), "B", True, 104388),
        melding(EINDE, "V3", _d(9, 19), _d(9, 25), "B", True, 104702),
        melding(EINDE, "V3", _d(9, 26), _d(10, 2), "B", True, 105013),
        melding(EINDE, "LRV", _d(9, 9), None, "B", False, 105014),
        melding(SPREAD_16U, "V3", _d(9, 3), _d(9, 24), "G", False, 104841),
    ]


def render_school_toml(te_laat_signaal: int = 5, hele_dag_minuten: int | None = 300) -> str:
    """``school.toml`` of the sample school (DOMAIN.md 4.1)."""
    lines = [
        "# Sample school of verzuim-gateway (generated by gateway.sample.generate; fake data).",
        "",
        "[school]",
        f'brin = "{BRIN}"              # 2 digits + 2 letters/digits',
        f'vestiging = "{VESTIGING}"',
        'naam = "Proefschool"',
        'sector = "vo"              # po | so | vo | vso | mbo',
        "mbo_telt_lesuren = false",
        "melden_18plus = true",
        f"te_laat_signaal = {te_laat_signaal}        # 0 = off",
    ]
    if hele_dag_minuten is None:
        lines.append("# hele_dag_minuten = 300   # optional, DOMAIN.md F6")
    else:
        lines.append(
            f"hele_dag_minuten = {hele_dag_minuten}     # DOMAIN.md F6: most pupils are exported "
            "with absence rows only"
        )
    lines += [
        "",
        "[melder]",
        'naam = "J. Jansen"',
        'functie = "verzuimcoordinator"',
        'email = "verzuim@proefschool.example"',
        'telefoon = "0301234567"',
        "",
        "[redencodes]               # reason code -> ZIEK LUXE SCHORSING VERLOF MEDISCH OVERIG",
    ]
    for code, categorie, omschrijving in REDENCODES:
        lines.append(f'{code} = "{categorie}"'.ljust(27) + f"# {omschrijving}")
    for naam, van, tot in VAKANTIES:
        lines += ["", "[[vakanties]]", f'naam = "{naam}"', f"van = {van}", f"tot = {tot}"]
    lines += [
        "",
        "[teksten]                  # standard texts of proposed meldingen (V04, V05)",
        'vermoedelijke_reden = "Ongeoorloofd verzuim volgens de lesregistraties; reden onbekend"',
        'ondernomen_acties = "Mentor heeft leerling en ouders gebeld en uitgenodigd voor een '
        'gesprek met de verzuimcoordinator."',
    ]
    return "\n".join(lines) + "\n"


class SampleTexts(NamedTuple):
    """The text of the sample school's four files (what ``write_sample_school`` writes)."""

    school: str
    leerlingen: str
    lesregistraties: str
    meldingen: str


def sample_school_texts(seed: int = SEED) -> SampleTexts:
    """The sample school's four files as text, without writing them (``gateway.sample.vendor``
    converts them to a vendor format). Deterministic for ``seed``."""
    rng = random.Random(seed)
    days = schooldagen()
    reg = _Registrations()
    taken_ids: set[str] = set()

    pupils = _designed_pupils(rng)
    taken_ids.update(p.bsn or p.onderwijsnummer for p in pupils)
    _designed_registrations(reg, days)
    pupils += _background(reg, rng, days, taken_ids)
    pupils.sort(key=lambda p: p.leerlingnummer)
    return SampleTexts(
        school=render_school_toml(),
        leerlingen="\n".join([LEERLINGEN_HEADER, *(p.render() for p in pupils)]) + "\n",
        lesregistraties=reg.render(),
        meldingen=json.dumps(_history(), indent=2, ensure_ascii=False) + "\n",
    )


def write_sample_school(out_dir: Path, seed: int = SEED) -> SampleFiles:
    """Write the sample school's four files into ``out_dir`` (created if missing).

    Deterministic: the same ``seed`` gives byte-identical files. The designed pupils of
    ``SCENARIOS`` do not depend on the seed.
    """
    texts = sample_school_texts(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = SampleFiles(
        school=out_dir / "school.toml",
        leerlingen=out_dir / "leerlingen.csv",
        lesregistraties=out_dir / "lesregistraties.csv",
        meldingen=out_dir / "meldingen.json",
    )
    _write(files.school, texts.school)
    _write(files.leerlingen, texts.leerlingen)
    _write(files.lesregistraties, texts.lesregistraties)
    _write(files.meldingen, texts.meldingen)
    return files


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gateway.sample OUT_DIR``: write the sample school into OUT_DIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m gateway.sample OUT_DIR", file=sys.stderr)
        return 2
    files = write_sample_school(Path(args[0]))
    print(f"wrote {files.school.parent}")
    return 0
