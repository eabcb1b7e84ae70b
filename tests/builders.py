"""Small builders for rule-book tests: a school, pupils and lesson registrations as plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from gateway.model import (
    Categorie,
    DateRange,
    KnownMelding,
    Melder,
    PrecheckResult,
    Registration,
    SchoolConfig,
    Sector,
    Status,
    Student,
)
from gateway.rules.dayfacts import day_facts, last_date, registration_frame
from gateway.rules.precheck import precheck

D = dt.date
VALID_BSN = "111222333"
FIFTY_MINUTE_LESSONS = (
    (dt.time(8, 30), dt.time(9, 20)),
    (dt.time(9, 20), dt.time(10, 10)),
    (dt.time(10, 30), dt.time(11, 20)),
    (dt.time(11, 20), dt.time(12, 10)),
    (dt.time(12, 40), dt.time(13, 30)),
    (dt.time(13, 30), dt.time(14, 20)),
)


def school(
    sector: Sector = Sector.VO,
    vakanties: Sequence[tuple[dt.date, dt.date]] = ((D(2024, 10, 19), D(2024, 10, 27)),),
    **options: object,
) -> SchoolConfig:
    return SchoolConfig(
        brin="99XX",
        vestiging="00",
        naam="Proefschool",
        sector=sector,
        melder=Melder(naam="J. Jansen", email="verzuim@proefschool.example"),
        redencodes=(("VZV", Categorie.LUXE), ("Z", Categorie.ZIEK)),
        vakanties=tuple(DateRange(van, tot) for van, tot in vakanties),
        **options,  # type: ignore[arg-type]
    )


def student(
    leerlingnummer: str = "231045",
    geboortedatum: dt.date = D(2010, 3, 15),
    startkwalificatie: bool = False,
    bsn: str = VALID_BSN,
) -> Student:
    return Student(leerlingnummer, geboortedatum, bsn=bsn, startkwalificatie=startkwalificatie)


def schooldays(first: dt.date, last: dt.date, skip: Iterable[dt.date] = ()) -> list[dt.date]:
    """Mondays to Fridays in [first, last], minus the dates in ``skip``."""
    skipped = set(skip)
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in skipped:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def lessons(
    days: Iterable[dt.date],
    leerlingnummer: str = "231045",
    status: Status = Status.AFWEZIG,
    geoorloofd: bool | None = False,
    categorie: Categorie | None = None,
    slots: Sequence[tuple[dt.time, dt.time]] = FIFTY_MINUTE_LESSONS,
) -> list[Registration]:
    """One registration per lesson slot on each day."""
    return [
        Registration(
            leerlingnummer=leerlingnummer,
            datum=day,
            begintijd=begin,
            eindtijd=end,
            status=status,
            geoorloofd=geoorloofd,
            categorie=categorie,
            lesuur=number,
        )
        for day in days
        for number, (begin, end) in enumerate(slots, start=1)
    ]


def run(
    config: SchoolConfig,
    students: Sequence[Student],
    registrations: Sequence[Registration],
    peildatum: dt.date | None = None,
    known: Sequence[KnownMelding] = (),
) -> PrecheckResult:
    frame = registration_frame(registrations)
    as_of = peildatum or last_date(frame)
    assert as_of is not None
    facts = day_facts(frame, config.eenheid, as_of)
    return precheck(config, {s.leerlingnummer: s for s in students}, facts.per_pupil, known, as_of)


def summary(result: PrecheckResult) -> list[tuple[str, str, dt.date, dt.date | None, float | None]]:
    """(code, herhaal marker, begindatum, einddatum, uren) per proposed melding."""
    return [
        (m.code.value, "H" if m.herhaal else "", m.begindatum, m.einddatum, m.uren)
        for m in result.meldingen
    ]


def partial_days(
    days: Iterable[dt.date],
    absent_lessons: int,
    leerlingnummer: str = "231045",
    slots: Sequence[tuple[dt.time, dt.time]] = FIFTY_MINUTE_LESSONS,
    geoorloofd: bool | None = False,
    categorie: Categorie | None = None,
) -> list[Registration]:
    """On each day the first ``absent_lessons`` lessons absent and the others present, so that
    the day is not an afwezige dag (F6) and no run forms."""
    registrations = []
    for day in days:
        for number, (begin, end) in enumerate(slots, start=1):
            absent = number <= absent_lessons
            registrations.append(
                Registration(
                    leerlingnummer=leerlingnummer,
                    datum=day,
                    begintijd=begin,
                    eindtijd=end,
                    status=Status.AFWEZIG if absent else Status.AANWEZIG,
                    geoorloofd=geoorloofd if absent else None,
                    categorie=categorie if absent else None,
                    lesuur=number,
                )
            )
    return registrations


def blocks(minutes: int, count: int) -> list[tuple[dt.time, dt.time]]:
    """``count`` consecutive slots of ``minutes`` from 08:00."""
    slots = []
    start = 8 * 60
    for _ in range(count):
        end = start + minutes
        slots.append((dt.time(start // 60, start % 60), dt.time(end // 60, end % 60)))
        start = end
    return slots
