"""R-LUXE: holiday taken outside school holidays without leave (luxeverzuim)."""

from __future__ import annotations

from gateway.model import Melding, Soort, VerzuimDag, WireCode, lessons_of
from gateway.rules.melding_factory import period_melding
from gateway.rules.timeline import PupilTimeline, SignalDay, to_uren


def luxe_meldingen(timeline: PupilTimeline) -> list[Melding]:
    """R-LUXE: unexcused LUXE registrations on consecutive schooldagen form one period, reported
    whatever the number of hours, for a pupil with an obligation (the timeline holds only days
    with one). These hours are not counted by R-16U (F2): every hour is reported under one soort.
    """
    periods: list[list[SignalDay]] = []
    for day in timeline.luxe:
        if periods and timeline.calendar.next_schooldag(periods[-1][-1].datum) == day.datum:
            periods[-1].append(day)
        else:
            periods.append([day])
    return [
        period_melding(
            timeline,
            Soort.LUXE,
            WireCode.L,
            period[0].datum,
            period[-1].datum,
            uren=to_uren(sum(day.amount for day in period)),
            dagen=tuple(
                VerzuimDag(
                    day.datum,
                    day.whole_day,
                    () if day.whole_day else lessons_of(day.lesson_mask),
                    to_uren(day.amount),
                )
                for day in period
            ),
            regels=("R-LUXE",),
        )
        for period in periods
    ]
