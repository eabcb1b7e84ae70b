"""The pre-check: the rule book as one pure function (DOMAIN.md 4).

School configuration + students + their day facts + the meldingen already known + peildatum in;
proposed meldingen, changes, rejections and warnings out. Same input, same output, in the same
order. No I/O and no clock: the peildatum is an argument.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from gateway.model import (
    DayFact,
    KnownMelding,
    Melding,
    PrecheckResult,
    Rejection,
    SchoolConfig,
    Soort,
    Student,
    Warning,
    Wijziging,
)
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.long_absence import long_absence_meldingen
from gateway.rules.luxe import luxe_meldingen
from gateway.rules.signal import signal_meldingen
from gateway.rules.sixteen_hours import SixteenHourStep, sixteen_hour_meldingen
from gateway.rules.timeline import PupilTimeline
from gateway.rules.validation import (
    Violation,
    check_dates,
    check_identity,
    check_long_absence_preceded,
    check_obligation,
    check_overlap,
)

_SOORT_ORDER = {soort: index for index, soort in enumerate(Soort)}


def precheck(
    school: SchoolConfig,
    students: Mapping[str, Student],
    facts: Mapping[str, Sequence[DayFact]],
    known: Sequence[KnownMelding],
    peildatum: dt.date,
) -> PrecheckResult:
    """Apply the rule book to every pupil with facts or known meldingen, in leerlingnummer order."""
    calendar = SchoolCalendar(school.vakanties)
    known_by_pupil: dict[str, list[KnownMelding]] = defaultdict(list)
    for item in known:
        known_by_pupil[item.leerlingnummer].append(item)
    result = _Collector()
    for leerlingnummer in sorted(set(facts) | set(known_by_pupil)):
        student = students.get(leerlingnummer)
        if student is None:
            if facts.get(leerlingnummer):
                result.rejections.append(
                    Rejection(
                        regel="I-LEERLING",
                        veld="leerlingnummer",
                        leerlingnummer=leerlingnummer,
                        reden="leerling staat niet in het leerlingenbestand: zonder geboortedatum "
                        "is de plicht (F4) niet te bepalen; registraties niet beoordeeld",
                    )
                )
            continue
        identity = check_identity(student.bsn, student.onderwijsnummer)
        if identity:
            result.refuse(leerlingnummer, identity)
            continue
        timeline = PupilTimeline(
            student, facts.get(leerlingnummer, ()), school, calendar, peildatum
        )
        _assess_pupil(timeline, school, known_by_pupil[leerlingnummer], result)
    return PrecheckResult(
        peildatum=peildatum,
        meldingen=tuple(sorted(result.meldingen, key=_melding_order)),
        wijzigingen=tuple(result.wijzigingen),
        afwijzingen=tuple(result.rejections),
        waarschuwingen=tuple(result.warnings),
    )


def derive_meldingen(
    timeline: PupilTimeline, school: SchoolConfig, trace: list[SixteenHourStep] | None = None
) -> list[Melding]:
    """All meldingen the rules propose for one pupil: R-16U/R-HERHAAL, R-LRV/R-RMC, R-LUXE and
    R-SIGNAAL. ``trace`` receives the searches of R-16U (``gateway.rules.explain``)."""
    return [
        *sixteen_hour_meldingen(timeline, school, trace),
        *long_absence_meldingen(timeline),
        *luxe_meldingen(timeline),
        *signal_meldingen(timeline, school.te_laat_signaal),
    ]


class _Collector:
    def __init__(self) -> None:
        self.meldingen: list[Melding] = []
        self.wijzigingen: list[Wijziging] = []
        self.rejections: list[Rejection] = []
        self.warnings: list[Warning] = []

    def refuse(self, leerlingnummer: str, violations: Sequence[Violation]) -> None:
        for violation in violations:
            self.rejections.append(
                Rejection(
                    regel=violation.regel,
                    veld=violation.veld,
                    reden=violation.reden,
                    leerlingnummer=leerlingnummer,
                )
            )


def _assess_pupil(
    timeline: PupilTimeline,
    school: SchoolConfig,
    known: Sequence[KnownMelding],
    result: _Collector,
) -> None:
    """Propose the pupil's meldingen that are not known yet, validated (V02, V03, V08-V10), with
    their warnings (W-TE-LAAT, W-ONBEKEND), and the R-EINDE changes of open known meldingen."""
    peildatum = timeline.peildatum
    leerlingnummer = timeline.student.leerlingnummer
    known_keys = {item.natural_key for item in known}
    for melding in derive_meldingen(timeline, school):
        if melding.natural_key in known_keys:
            continue
        violations = melding_violations(melding, timeline, known)
        if violations:
            result.refuse(leerlingnummer, violations)
            continue
        result.meldingen.append(melding)
        deadline = melding.uiterste_meldingsdatum
        if deadline is not None and deadline < peildatum:
            result.warnings.append(
                Warning(
                    regel="W-TE-LAAT",
                    leerlingnummer=leerlingnummer,
                    datum=deadline,
                    reden=f"{melding.code.value}-melding vanaf {melding.begindatum} had uiterlijk "
                    f"{deadline} gemeld moeten zijn (5 werkdagen, F8)",
                )
            )
    result.wijzigingen.extend(close_open_meldingen(timeline, known))
    for day in timeline.unknown_dates:
        result.warnings.append(
            Warning(
                regel="W-ONBEKEND",
                leerlingnummer=leerlingnummer,
                datum=day,
                reden="afwezigheid zonder vastgelegde geoorloofd/ongeoorloofd telt mee als "
                "ongeoorloofd (F2); leg de reden vast in het leerlingvolgsysteem",
            )
        )


def melding_violations(
    melding: Melding, timeline: PupilTimeline, known: Sequence[KnownMelding]
) -> list[Violation]:
    """The validation of a derived melding: V03 (dates), V08 (LRV preceded by 28 days), V09 (no
    overlap with a known melding) and V10 (soort fits the obligation)."""
    return [
        *check_dates(melding, timeline.peildatum),
        *check_long_absence_preceded(melding, timeline.runs, known, timeline.calendar),
        *check_overlap(melding, known),
        *check_obligation(melding, timeline.periods, timeline.calendar),
    ]


def close_open_meldingen(timeline: PupilTimeline, known: Sequence[KnownMelding]) -> list[Wijziging]:
    """R-EINDE: an open (no einddatum) active LRV or RMC melding whose run has ended gets the
    run's last day as einddatum."""
    changes = []
    for item in known:
        if item.einddatum is not None or not item.active:
            continue
        if item.code.value not in (Soort.LRV.value, Soort.RMC.value):
            continue
        run = timeline.run_containing(item.begindatum)
        if run is not None and run.ended:
            changes.append(
                Wijziging(
                    leerlingnummer=item.leerlingnummer,
                    code=item.code,
                    begindatum=item.begindatum,
                    einddatum=run.last,
                    regels=("R-EINDE",),
                    nummer=item.nummer,
                )
            )
    return changes


def _melding_order(melding: Melding) -> tuple[str, dt.date, int, bool]:
    return (
        melding.leerlingnummer,
        melding.begindatum,
        _SOORT_ORDER[melding.soort],
        melding.herhaal,
    )
