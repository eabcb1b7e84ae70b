"""The canonical model: the only currency between the layers of the gateway.

Adapters produce these objects, the rule book (``gateway.rules``) consumes and proposes them, the
message layer turns them into DUO documents. Everything is immutable. DUO's own terms stay Dutch
(``melding``, ``verzuimsoort``, ``brin``, ``leerlingnummer``, ``begindatum``); the rule ids of
``DOMAIN.md`` (``R-16U``, ``V08``, ...) travel with every proposed melding, rejection and warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class _Picklable:
    """Base of the frozen slotted dataclasses that travel between processes (``precheck_parallel``):
    pickles an instance as its class and field values, about twice as fast as the default."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        names: tuple[str, ...] = type(self).__slots__
        return (type(self), tuple(getattr(self, name) for name in names))


class Sector(StrEnum):
    """School sector (DOMAIN.md 4.1); decides the counting unit of F3."""

    PO = "po"
    SO = "so"
    VO = "vo"
    VSO = "vso"
    MBO = "mbo"


class Eenheid(StrEnum):
    """Counting unit of F3: lesson hours or clock hours."""

    LESUREN = "lesuren"
    KLOKUREN = "klokuren"


class Status(StrEnum):
    """Status of one registration (DOMAIN.md 4.1)."""

    AFWEZIG = "AFWEZIG"
    TE_LAAT = "TE_LAAT"
    VERWIJDERD = "VERWIJDERD"
    AANWEZIG = "AANWEZIG"
    NVT = "NVT"


class Categorie(StrEnum):
    """Category of a registration after the school's reason-code mapping (``[redencodes]``)."""

    ZIEK = "ZIEK"
    LUXE = "LUXE"
    SCHORSING = "SCHORSING"
    VERLOF = "VERLOF"
    MEDISCH = "MEDISCH"
    OVERIG = "OVERIG"


class Soort(StrEnum):
    """Verzuimsoort: the kind of melding (DOMAIN.md 4.2)."""

    ZESTIEN_UUR = "16U"
    LRV = "LRV"
    RMC = "RMC"
    LUXE = "LUXE"
    OVERIG = "OVERIG"


class WireCode(StrEnum):
    """The code DUO receives for a verzuimsoort (DOMAIN.md 4.2)."""

    V3 = "V3"  # 16 uur, pupil under leerplicht or kwalificatieplicht
    V4 = "V4"  # 16 uur, RMC-age pupil (melden_18plus)
    LRV = "LRV"
    RMC = "RMC"
    L = "L"
    O = "O"  # noqa: E741 - DUO's own code letter


class Obligation(StrEnum):
    """What the law requires of a pupil on a date (F4)."""

    LEERPLICHT = "leerplicht"
    KWALIFICATIEPLICHT = "kwalificatieplicht"
    RMC = "rmc"
    GEEN = "geen"


class DuoStatus(StrEnum):
    """Status of a melding at DUO (DOMAIN.md 3.2)."""

    GEREGISTREERD = "R"
    IN_BEHANDELING = "B"
    AFGESLOTEN = "G"
    TER_KENNISGEVING = "K"
    INGETROKKEN = "I"
    OVERGEDRAGEN = "D"  # accepted on old meldingen, never sent


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of dates, e.g. a school holiday."""

    van: dt.date
    tot: dt.date
    naam: str = ""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.van <= day <= self.tot


@dataclass(frozen=True, slots=True)
class Melder:
    """The person who reports (DOMAIN.md 3.3; checked by V07)."""

    naam: str
    email: str
    functie: str = ""
    telefoon: str = ""


@dataclass(frozen=True, slots=True)
class Teksten:
    """The school's default texts for meldingen the pre-check proposes (DOMAIN.md 3.3, V04-V06).

    DUO requires a suspected reason and the actions already taken; the school writes its own
    standard texts once (``[teksten]`` in the school file) and may change them per melding later.
    """

    vermoedelijke_reden: str
    ondernomen_acties: str
    toelichting: str = ""


LessonSlot = tuple[int, dt.time, dt.time]  # lesuur, begin, end (local time)

DEFAULT_LESSONS: tuple[LessonSlot, ...] = (
    (1, dt.time(8, 30), dt.time(9, 20)),
    (2, dt.time(9, 20), dt.time(10, 10)),
    (3, dt.time(10, 30), dt.time(11, 20)),
    (4, dt.time(11, 20), dt.time(12, 10)),
    (5, dt.time(12, 40), dt.time(13, 30)),
    (6, dt.time(13, 30), dt.time(14, 20)),
)


@dataclass(frozen=True, slots=True)
class Lesrooster:
    """The school's timetable (``[lesrooster]``): the lesson slots of each weekday, Monday (0) to
    Friday (4), sorted and without overlap. Adapters that get interval reports cut them into these
    slots (DOMAIN.md 5); without a ``[lesrooster]`` every day is ``DEFAULT_LESSONS``, six lessons
    of 50 minutes from 08:30.
    """

    dagen: tuple[tuple[LessonSlot, ...], ...] = (DEFAULT_LESSONS,) * 5

    def lessons_on(self, day: dt.date) -> tuple[LessonSlot, ...]:
        """The lesson slots of ``day``; none on Saturday and Sunday (no schooldagen)."""
        weekday = day.weekday()
        return self.dagen[weekday] if weekday < len(self.dagen) else ()


@dataclass(frozen=True, slots=True)
class SchoolConfig:
    """One school's configuration (DOMAIN.md 4.1), read from TOML by ``gateway.school``."""

    brin: str
    vestiging: str
    naam: str
    sector: Sector
    melder: Melder
    mbo_telt_lesuren: bool = False
    melden_18plus: bool = True
    te_laat_signaal: int = 0
    hele_dag_minuten: int | None = None
    redencodes: tuple[tuple[str, Categorie], ...] = ()
    vakanties: tuple[DateRange, ...] = ()
    teksten: Teksten | None = None
    lesrooster: Lesrooster = Lesrooster()

    def lessons_on(self, day: dt.date) -> tuple[LessonSlot, ...]:
        """The lesson slots of ``day`` in the school's timetable (DOMAIN.md 5)."""
        return self.lesrooster.lessons_on(day)

    @property
    def eenheid(self) -> Eenheid:
        """F3: lesuren for VO/VSO and MBO with ``mbo_telt_lesuren``; klokuren otherwise."""
        if self.sector in (Sector.VO, Sector.VSO):
            return Eenheid.LESUREN
        if self.sector is Sector.MBO and self.mbo_telt_lesuren:
            return Eenheid.LESUREN
        return Eenheid.KLOKUREN

    def categorie(self, redencode: str) -> Categorie | None:
        """The categorie the school maps a reason code to, or None when the code is unknown."""
        for code, categorie in self.redencodes:
            if code == redencode:
                return categorie
        return None


@dataclass(frozen=True, slots=True)
class Student:
    """A pupil (DOMAIN.md 4.1). Identity is a BSN or, without one, an onderwijsnummer (V01)."""

    leerlingnummer: str
    geboortedatum: dt.date
    bsn: str = ""
    onderwijsnummer: str = ""
    startkwalificatie: bool = False


@dataclass(frozen=True, slots=True)
class Registration:
    """One scheduled lesson or time block of one pupil (DOMAIN.md 4.1), in local time."""

    leerlingnummer: str
    datum: dt.date
    begintijd: dt.time
    eindtijd: dt.time
    status: Status
    geoorloofd: bool | None = None  # J / N / not yet known
    categorie: Categorie | None = None
    lesuur: int | None = None
    bron_id: str = ""


class DayFact(NamedTuple):
    """What the registrations of one pupil say about one date (F1-F3 applied, per pupil-day).

    ``absent_units`` and ``absent_minutes`` hold the unit-minutes (F3) and clock minutes of the
    registrations that count under F2 apart from the schooldag and obligation tests, which the
    rule book applies itself. ``luxe_units`` are unexcused LUXE absence (R-LUXE), ``late`` the
    unexcused late arrivals (R-SIGNAAL), ``unknown`` the absent registrations whose ``geoorloofd``
    is still empty (W-ONBEKEND), ``present`` whether an AANWEZIG or TE_LAAT registration exists
    (F6). ``lesson_mask`` and ``luxe_lesson_mask`` have bit ``n`` set for lesson number ``n``
    missed (see ``lessons_of``).

    A NamedTuple rather than a dataclass: an export of millions of rows becomes hundreds of
    thousands of these, and tuples are several times cheaper to create.
    """

    datum: dt.date
    absent_units: int = 0
    absent_minutes: int = 0
    unknown: int = 0
    luxe_units: int = 0
    late: int = 0
    present: bool = False
    lesson_mask: int = 0
    luxe_lesson_mask: int = 0


def lessons_of(mask: int) -> tuple[int, ...]:
    """The lesson numbers (1-12) whose bit is set in ``mask``."""
    return tuple(number for number in range(1, 13) if mask >> number & 1)


@dataclass(frozen=True, slots=True)
class VerzuimDag(_Picklable):
    """One day of a melding's verzuimspecificatie (DOMAIN.md 3.3).

    ``hele_dag`` is true for an afwezige dag (F6); otherwise ``lesuren`` lists the lesson numbers
    (1-12) missed, where the source gave them. ``uren`` are the counted unit-hours of the day (F3).
    """

    datum: dt.date
    hele_dag: bool
    lesuren: tuple[int, ...]
    uren: float


@dataclass(frozen=True, slots=True)
class Melding(_Picklable):
    """A proposed or known verzuimmelding (DOMAIN.md 3.3) with the rules that produced it.

    ``einddatum`` is None for an open LRV or RMC melding. ``uren`` is None where the soort counts
    occurrences instead of hours (R-SIGNAAL).
    """

    leerlingnummer: str
    soort: Soort
    code: WireCode
    begindatum: dt.date
    einddatum: dt.date | None
    eenheid: Eenheid
    uren: float | None
    uiterste_meldingsdatum: dt.date | None
    regels: tuple[str, ...]
    herhaal: bool = False
    dagen: tuple[VerzuimDag, ...] = ()

    @property
    def natural_key(self) -> tuple[str, WireCode, dt.date]:
        """(pupil, soort, begindatum): how a melding is recognised at DUO and in the outbox."""
        return (self.leerlingnummer, self.code, self.begindatum)


@dataclass(frozen=True, slots=True)
class KnownMelding:
    """A melding the school sent earlier (the ``--history`` input), with its DUO status."""

    leerlingnummer: str
    code: WireCode
    begindatum: dt.date
    einddatum: dt.date | None
    status: DuoStatus = DuoStatus.GEREGISTREERD
    herhaal: bool = False
    nummer: str = ""  # DUO's NummerMeldingRelatiefVerzuim, when known

    @property
    def active(self) -> bool:
        """A withdrawn melding (status I) no longer blocks others (V09)."""
        return self.status is not DuoStatus.INGETROKKEN

    @property
    def natural_key(self) -> tuple[str, WireCode, dt.date]:
        return (self.leerlingnummer, self.code, self.begindatum)


@dataclass(frozen=True, slots=True)
class Wijziging(_Picklable):
    """A proposed change of a known melding; for now only R-EINDE (set the einddatum)."""

    leerlingnummer: str
    code: WireCode
    begindatum: dt.date
    einddatum: dt.date
    regels: tuple[str, ...]
    nummer: str = ""


@dataclass(frozen=True, slots=True)
class Rejection(_Picklable):
    """Something refused, with the rule that refused it and where it came from.

    Rows of input files carry ``bestand``, ``regelnummer`` and ``veld``; refused meldingen carry the
    ``leerlingnummer``. ``reden`` never contains a BSN, onderwijsnummer, name or birth date.
    """

    regel: str
    reden: str
    bestand: str | None = None
    regelnummer: int | None = None
    veld: str | None = None
    leerlingnummer: str | None = None


@dataclass(frozen=True, slots=True)
class Warning(_Picklable):
    """A warning: the item goes ahead, but someone should look (DOMAIN.md 4.5)."""

    regel: str
    reden: str
    leerlingnummer: str | None = None
    datum: dt.date | None = None
    bestand: str | None = None
    regelnummer: int | None = None
    veld: str | None = None


@dataclass(frozen=True, slots=True)
class PrecheckResult:
    """Output of the pre-check: same input, same output, in the same order."""

    peildatum: dt.date | None
    meldingen: tuple[Melding, ...]
    wijzigingen: tuple[Wijziging, ...] = ()
    afwijzingen: tuple[Rejection, ...] = ()
    waarschuwingen: tuple[Warning, ...] = field(default=())
