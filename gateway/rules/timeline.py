"""One pupil's absence seen through the rule book's derived facts (DOMAIN.md 4.3).

``PupilTimeline`` applies the schooldag and obligation parts of F2 and F4 to a pupil's day facts,
decides which days are afwezige dagen (F6) and finds the runs of continuous absence (F7). The
rules R-16U, R-HERHAAL, R-LRV, R-RMC, R-LUXE and R-SIGNAAL read from it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from gateway.model import DayFact, Obligation, SchoolConfig, Student, VerzuimDag, lessons_of
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.obligation import ObligationPeriods
from gateway.rules.windows import WindowCounter

_DATUM = attrgetter("datum")


class CountedDay(NamedTuple):
    """A date with unit-minutes that count (F2, F3), and whether it is an afwezige dag (F6)."""

    datum: dt.date
    units: int
    minutes: int
    afwezig: bool
    lesson_mask: int


@dataclass(frozen=True, slots=True)
class Run:
    """F7: a maximal run of afwezige dagen ``[first, last]``; weekends and holidays don't break it.

    ``day_t`` is day T of R-LRV: the last day of the window from ``first`` (F5). ``ended`` is true
    when a schooldag after ``last``, on or before the peildatum, is not an afwezige dag.
    """

    first: dt.date
    last: dt.date
    ended: bool
    day_t: dt.date

    @property
    def reaches_t(self) -> bool:
        """R-LRV/R-RMC: the run lasted at least to day T (28 days, holidays not counted)."""
        return self.last >= self.day_t

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last


class SignalDay(NamedTuple):
    """A date with counted luxe absence (R-LUXE) or unexcused late arrivals (R-SIGNAAL)."""

    datum: dt.date
    amount: int
    lesson_mask: int = 0
    whole_day: bool = False


class PupilTimeline:
    """The derived facts of one pupil up to the peildatum (F2-F7)."""

    def __init__(
        self,
        student: Student,
        facts: Iterable[DayFact],
        school: SchoolConfig,
        calendar: SchoolCalendar,
        peildatum: dt.date,
    ) -> None:
        self.student = student
        self.calendar = calendar
        self.peildatum = peildatum
        self.periods = ObligationPeriods.of(student)
        self._obliged_from, self._obliged_until = self.periods.span
        self.eenheid = school.eenheid
        counted: list[CountedDay] = []
        luxe: list[SignalDay] = []
        late: list[SignalDay] = []
        unknown: list[dt.date] = []
        for fact in sorted(facts, key=_DATUM):
            if fact.datum > peildatum or not self._counts_on(fact.datum):
                continue
            if fact.absent_units > 0:
                afwezig = not fact.present and (
                    school.hele_dag_minuten is None
                    or fact.absent_minutes >= school.hele_dag_minuten
                )
                counted.append(
                    CountedDay(
                        fact.datum,
                        fact.absent_units,
                        fact.absent_minutes,
                        afwezig,
                        fact.lesson_mask,
                    )
                )
                if fact.unknown:
                    unknown.append(fact.datum)
            if fact.luxe_units > 0:
                luxe.append(
                    SignalDay(fact.datum, fact.luxe_units, fact.luxe_lesson_mask, not fact.present)
                )
            if fact.late > 0:
                late.append(SignalDay(fact.datum, fact.late))
        self.counted: Sequence[CountedDay] = tuple(counted)
        self.luxe: Sequence[SignalDay] = tuple(luxe)
        self.late: Sequence[SignalDay] = tuple(late)
        self.unknown_dates: Sequence[dt.date] = tuple(unknown)
        self._dates = [day.datum for day in counted]
        self.counter = WindowCounter(self._dates, [day.units for day in counted], calendar)
        self.runs: Sequence[Run] = tuple(self._find_runs())

    def obligation(self, day: dt.date) -> Obligation:
        """F4 on ``day``."""
        return self.periods.on(day)

    def _counts_on(self, day: dt.date) -> bool:
        """F2/F4: only schooldagen on which the pupil has an obligation count."""
        return self._obliged_from <= day <= self._obliged_until and self.calendar.is_schooldag(day)

    def _find_runs(self) -> list[Run]:
        """F7: group consecutive afwezige dagen (no non-afwezige schooldag in between)."""
        runs: list[Run] = []
        first: dt.date | None = None
        last: dt.date | None = None
        for day in self.counted:
            if not day.afwezig:
                continue
            if last is not None and self.calendar.next_schooldag(last) == day.datum:
                last = day.datum
                continue
            if first is not None and last is not None:
                runs.append(self._run(first, last))
            first = last = day.datum
        if first is not None and last is not None:
            runs.append(self._run(first, last))
        return runs

    def _run(self, first: dt.date, last: dt.date) -> Run:
        ended = self.calendar.next_schooldag(last) <= self.peildatum
        return Run(first, last, ended, self.calendar.window_end(first))

    def run_containing(self, day: dt.date) -> Run | None:
        for run in self.runs:
            if day in run:
                return run
        return None

    def units_between(self, first: dt.date, last: dt.date) -> int:
        """Counted unit-minutes (F3) on the days of ``[first, last]``."""
        return self.counter.total(first, last)

    def verzuimdagen(self, first: dt.date, last: dt.date) -> tuple[VerzuimDag, ...]:
        """The verzuimspecificatie (DOMAIN.md 3.3) of the counted days in ``[first, last]``."""
        start = bisect.bisect_left(self._dates, first)
        stop = bisect.bisect_right(self._dates, last)
        return tuple(
            VerzuimDag(
                day.datum,
                day.afwezig,
                () if day.afwezig else lessons_of(day.lesson_mask),
                to_uren(day.units),
            )
            for day in self.counted[start:stop]
        )


def to_uren(unit_minutes: int) -> float:
    """F3: ``uren`` on a melding are unit-minutes divided by 60, two decimals."""
    return round(unit_minutes / 60, 2)
