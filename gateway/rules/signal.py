"""R-SIGNAAL: repeated unexcused late arrivals reported as an OVERIG melding."""

from __future__ import annotations

import datetime as dt

from gateway.model import Melding, Soort, WireCode
from gateway.rules.melding_factory import period_melding
from gateway.rules.timeline import PupilTimeline
from gateway.rules.windows import WindowCounter


def signal_meldingen(timeline: PupilTimeline, threshold: int) -> list[Melding]:
    """R-SIGNAAL: when ``te_laat_signaal = N > 0``, unexcused TE_LAAT registrations are counted
    like R-16U with a threshold of N occurrences; each time the Nth is reached, an OVERIG melding
    from the first to the Nth late arrival is proposed and counting restarts the next day."""
    if threshold <= 0 or not timeline.late:
        return []
    counter = WindowCounter(
        [day.datum for day in timeline.late],
        [day.amount for day in timeline.late],
        timeline.calendar,
    )
    meldingen = []
    reset: dt.date | None = None
    while (found := counter.first_reaching(counter.index_after(reset), threshold)) is not None:
        d0, d1 = found
        meldingen.append(
            period_melding(
                timeline,
                Soort.OVERIG,
                WireCode.O,
                d0,
                d1,
                uren=None,
                dagen=(),
                regels=("R-SIGNAAL",),
            )
        )
        reset = d1
    return meldingen
