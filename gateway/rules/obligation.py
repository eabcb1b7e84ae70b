"""F4: what the law requires of a pupil on a date (leerplicht, kwalificatieplicht, rmc or geen)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from gateway.model import Obligation, Student


def add_years(day: dt.date, years: int) -> dt.date:
    """The anniversary ``years`` after ``day``; 29 February falls on 1 March in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True, slots=True)
class ObligationPeriods:
    """The dates on which a pupil's obligation changes (F4).

    ``leerplicht_from``: the first day of the month after the 5th birthday.
    ``leerplicht_until``: 31 July of the school year (1 Aug - 31 Jul) of the 16th birthday.
    ``eighteen`` and ``twentythree``: the 18th and 23rd birthdays (kwalificatieplicht before the
    first, rmc from the first until the day before the second; both only without
    startkwalificatie).
    """

    leerplicht_from: dt.date
    leerplicht_until: dt.date
    eighteen: dt.date
    twentythree: dt.date
    startkwalificatie: bool

    @classmethod
    def of(cls, student: Student) -> ObligationPeriods:
        """The periods of ``student`` (shared by pupils born on the same day)."""
        return _periods(student.geboortedatum, student.startkwalificatie)

    @classmethod
    def _compute(cls, born: dt.date, startkwalificatie: bool) -> ObligationPeriods:
        fifth = add_years(born, 5)
        if fifth.month == 12:
            leerplicht_from = dt.date(fifth.year + 1, 1, 1)
        else:
            leerplicht_from = dt.date(fifth.year, fifth.month + 1, 1)
        sixteenth = add_years(born, 16)
        school_year_end = sixteenth.year + 1 if sixteenth.month >= 8 else sixteenth.year
        return cls(
            leerplicht_from=leerplicht_from,
            leerplicht_until=dt.date(school_year_end, 7, 31),
            eighteen=add_years(born, 18),
            twentythree=add_years(born, 23),
            startkwalificatie=startkwalificatie,
        )

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        """F4: the first and last day on which ``on`` is not GEEN: leerplicht from
        ``leerplicht_from``, then (without startkwalificatie) kwalificatieplicht and rmc up to the
        day before the 23rd birthday, with no gap between."""
        if self.startkwalificatie:
            return self.leerplicht_from, self.leerplicht_until
        return self.leerplicht_from, max(self.leerplicht_until, self.twentythree - _ONE_DAY)

    def on(self, day: dt.date) -> Obligation:
        """F4: the obligation on ``day``."""
        if day < self.leerplicht_from:
            return Obligation.GEEN
        if day <= self.leerplicht_until:
            return Obligation.LEERPLICHT
        if self.startkwalificatie:
            return Obligation.GEEN
        if day < self.eighteen:
            return Obligation.KWALIFICATIEPLICHT
        if day < self.twentythree:
            return Obligation.RMC
        return Obligation.GEEN


_ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=8192)
def _periods(born: dt.date, startkwalificatie: bool) -> ObligationPeriods:
    return ObligationPeriods._compute(born, startkwalificatie)
