"""R-LRV and R-RMC: continuous absence that reaches day T of its run (28 days, holidays not
counted)."""

from __future__ import annotations

from gateway.model import Melding, Obligation, Soort, WireCode
from gateway.rules.melding_factory import counted_melding
from gateway.rules.timeline import PupilTimeline, Run

_LONG_CODES = {
    Obligation.LEERPLICHT: (Soort.LRV, WireCode.LRV, "R-LRV"),
    Obligation.KWALIFICATIEPLICHT: (Soort.LRV, WireCode.LRV, "R-LRV"),
    Obligation.RMC: (Soort.RMC, WireCode.RMC, "R-RMC"),
}


def long_runs(timeline: PupilTimeline) -> list[Run]:
    """The runs that give an LRV or RMC melding: they reach day T and the pupil has an obligation
    on T (leerplicht or kwalificatieplicht: R-LRV; rmc: R-RMC)."""
    return [
        run
        for run in timeline.runs
        if run.reaches_t and timeline.obligation(run.day_t) in _LONG_CODES
    ]


def long_absence_meldingen(timeline: PupilTimeline) -> list[Melding]:
    """R-LRV / R-RMC: one melding per run reaching T, from the run's first day.

    The einddatum is the run's last day when the run has ended by the peildatum and empty (open)
    otherwise; an open melding is closed later by R-EINDE. Due 5 werkdagen after T (F8).
    """
    meldingen = []
    for run in long_runs(timeline):
        soort, code, rule = _LONG_CODES[timeline.obligation(run.day_t)]
        meldingen.append(
            counted_melding(
                timeline,
                soort,
                code,
                run.first,
                run.last if run.ended else None,
                duty_day=run.day_t,
                regels=(rule,),
            )
        )
    return meldingen
