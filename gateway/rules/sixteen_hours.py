"""R-16U (16 uur in 4 weken) and R-HERHAAL (weekly follow-ups while the absence goes on)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from gateway.model import Melding, Obligation, SchoolConfig, Soort, WireCode
from gateway.rules.calendar import ONE_DAY
from gateway.rules.long_absence import long_runs
from gateway.rules.melding_factory import counted_melding
from gateway.rules.timeline import PupilTimeline, Run

THRESHOLD = 16 * 60  # unit-minutes (F3); reached at 16 hours or more (DOMAIN.md 6)
FOLLOW_UP_DAYS = 7


class SixteenHourStep(NamedTuple):
    """One search of ``sixteen_hour_meldingen`` (for explanations; the rules never read it).

    Counting started after ``reset`` (None: at the start of the data). ``found`` is the first
    window reaching 960 as ``(d0, d1)``, or None. ``long_run`` is set when an LRV/RMC run came
    first (R-LRV/R-RMC: counting restarts after it, no 16-uur melding for it). ``code`` is the
    wire code chosen for ``d1`` (None: no obligation that gives a melding), ``run`` the run
    containing ``d1``, ``meldingen`` the melding and follow-ups this search produced.
    """

    reset: dt.date | None
    found: tuple[dt.date, dt.date] | None
    long_run: Run | None = None
    code: WireCode | None = None
    run: Run | None = None
    meldingen: tuple[Melding, ...] = ()


def sixteen_hour_code(
    timeline: PupilTimeline, school: SchoolConfig, d1: dt.date
) -> WireCode | None:
    """R-16U: V3 under leerplicht or kwalificatieplicht on ``d1``, V4 for rmc when the school
    reports 18+ (``melden_18plus``), otherwise no melding."""
    obligation = timeline.obligation(d1)
    if obligation in (Obligation.LEERPLICHT, Obligation.KWALIFICATIEPLICHT):
        return WireCode.V3
    if obligation is Obligation.RMC and school.melden_18plus:
        return WireCode.V4
    return None


def sixteen_hour_meldingen(
    timeline: PupilTimeline, school: SchoolConfig, trace: list[SixteenHourStep] | None = None
) -> list[Melding]:
    """R-16U with R-HERHAAL, in date order.

    Counting starts after the reset date (initially before all data). The first window (F5) whose
    counted unit-minutes reach 960 gives a melding ``d0 .. d1``; counting then restarts the day
    after ``d1``. When ``d1`` lies in a run that goes on, the rest of the run is covered by
    follow-ups (R-HERHAAL) and counting restarts after the run. A run that gives an LRV/RMC
    melding (R-LRV, R-RMC) before 16 hours were reached in it gets no 16-uur melding: counting
    restarts after that run ("after the LRV no further 16-uur meldingen for that run").

    ``trace``, when given, receives one ``SixteenHourStep`` per search (``gateway.rules.explain``).
    """
    pending_long = long_runs(timeline)
    counter = timeline.counter
    meldingen: list[Melding] = []
    reset: dt.date | None = None
    while True:
        found = counter.first_reaching(counter.index_after(reset), THRESHOLD)
        long_run = next((run for run in pending_long if reset is None or run.last > reset), None)
        if long_run is not None and (found is None or found[1] >= long_run.day_t):
            if trace is not None:
                trace.append(SixteenHourStep(reset, found, long_run))
            reset = long_run.last
            continue
        if found is None:
            if trace is not None:
                trace.append(SixteenHourStep(reset, None))
            return meldingen
        d0, d1 = found
        code = sixteen_hour_code(timeline, school, d1)
        run = timeline.run_containing(d1)
        before = len(meldingen)
        if code is not None:
            meldingen.append(
                counted_melding(timeline, Soort.ZESTIEN_UUR, code, d0, d1, d1, ("R-16U",))
            )
            if run is not None and run.last > d1:
                meldingen.extend(_follow_ups(timeline, code, d1, run))
        if trace is not None:
            trace.append(SixteenHourStep(reset, found, None, code, run, tuple(meldingen[before:])))
        reset = run.last if run is not None and run.last > d1 else d1


def _follow_ups(timeline: PupilTimeline, code: WireCode, d1: dt.date, run: Run) -> list[Melding]:
    """R-HERHAAL: adjoining 7-day periods after ``d1`` that lie completely inside the run, hold a
    schooldag and end before day T of the run."""
    follow_ups: list[Melding] = []
    first = d1 + ONE_DAY
    while True:
        last = first + dt.timedelta(days=FOLLOW_UP_DAYS - 1)
        if last > run.last or last >= run.day_t:
            return follow_ups
        if timeline.calendar.has_schooldag(first, last):
            follow_ups.append(
                counted_melding(
                    timeline,
                    Soort.ZESTIEN_UUR,
                    code,
                    first,
                    last,
                    last,
                    ("R-16U", "R-HERHAAL"),
                    herhaal=True,
                )
            )
        first = last + ONE_DAY
