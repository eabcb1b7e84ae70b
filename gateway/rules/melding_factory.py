"""Building proposed meldingen with their uren, days and deadline (F3, F8)."""

from __future__ import annotations

import datetime as dt

from gateway.model import Melding, Soort, VerzuimDag, WireCode
from gateway.rules.timeline import PupilTimeline, to_uren


def counted_melding(
    timeline: PupilTimeline,
    soort: Soort,
    code: WireCode,
    begindatum: dt.date,
    einddatum: dt.date | None,
    duty_day: dt.date,
    regels: tuple[str, ...],
    herhaal: bool = False,
) -> Melding:
    """A melding over counted absence: uren and days from the counted days of its period (F3).

    An open melding (no einddatum) covers the counted days up to the peildatum. The deadline is 5
    werkdagen after ``duty_day`` (F8).
    """
    last = einddatum if einddatum is not None else timeline.peildatum
    return Melding(
        leerlingnummer=timeline.student.leerlingnummer,
        soort=soort,
        code=code,
        begindatum=begindatum,
        einddatum=einddatum,
        eenheid=timeline.eenheid,
        uren=to_uren(timeline.units_between(begindatum, last)),
        uiterste_meldingsdatum=timeline.calendar.add_werkdagen(duty_day),
        regels=regels,
        herhaal=herhaal,
        dagen=timeline.verzuimdagen(begindatum, last),
    )


def period_melding(
    timeline: PupilTimeline,
    soort: Soort,
    code: WireCode,
    begindatum: dt.date,
    einddatum: dt.date,
    uren: float | None,
    dagen: tuple[VerzuimDag, ...],
    regels: tuple[str, ...],
) -> Melding:
    """A melding whose hours are not the counted absence (R-LUXE, R-SIGNAAL); due 5 werkdagen
    after its einddatum (F8)."""
    return Melding(
        leerlingnummer=timeline.student.leerlingnummer,
        soort=soort,
        code=code,
        begindatum=begindatum,
        einddatum=einddatum,
        eenheid=timeline.eenheid,
        uren=uren,
        uiterste_meldingsdatum=timeline.calendar.add_werkdagen(einddatum),
        regels=regels,
        dagen=dagen,
    )
