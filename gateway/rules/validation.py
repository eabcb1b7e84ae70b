"""Validation of a melding, derived or submitted by an SIS (DOMAIN.md 4.5, V01-V13).

Each check returns a list of ``Violation``s: the rule id, the field and a sentence a school
administrator understands. The texts never repeat a BSN, onderwijsnummer, name or birth date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.model import DuoStatus, KnownMelding, Melding, Obligation, Soort, WireCode
from gateway.numbers import identity_problem, is_brin, is_vestiging
from gateway.rules.calendar import ONE_DAY, SchoolCalendar
from gateway.rules.obligation import ObligationPeriods
from gateway.rules.timeline import Run

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SOORT_OF_CODE = {
    WireCode.V3: Soort.ZESTIEN_UUR,
    WireCode.V4: Soort.ZESTIEN_UUR,
    WireCode.LRV: Soort.LRV,
    WireCode.RMC: Soort.RMC,
    WireCode.L: Soort.LUXE,
    WireCode.O: Soort.OVERIG,
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: id, field and an explanation."""

    regel: str
    veld: str
    reden: str


def check_identity(bsn: str, onderwijsnummer: str) -> list[Violation]:
    """V01: the pupil is identified by a BSN or onderwijsnummer that passes its check."""
    problem = identity_problem(bsn, onderwijsnummer)
    return [] if problem is None else [Violation("V01", "bsn", problem)]


def check_dates(melding: Melding, peildatum: dt.date) -> list[Violation]:
    """V02: a 16-uur melding has an einddatum. V03: begindatum <= einddatum, neither after the
    peildatum."""
    violations = []
    if melding.soort is Soort.ZESTIEN_UUR and melding.einddatum is None:
        violations.append(Violation("V02", "einddatum", "een 16-uursmelding heeft een einddatum"))
    if melding.einddatum is not None and melding.einddatum < melding.begindatum:
        violations.append(Violation("V03", "einddatum", "einddatum ligt voor de begindatum"))
    for field, day in (("begindatum", melding.begindatum), ("einddatum", melding.einddatum)):
        if day is not None and day > peildatum:
            violations.append(
                Violation("V03", field, f"{field} {day} ligt na de peildatum {peildatum}")
            )
    return violations


def check_texts(
    vermoedelijke_reden: str,
    ondernomen_acties: str,
    toelichting: str = "",
    actie_gewenst: bool = True,
    toelichting_actie: str = "",
) -> list[Violation]:
    """V04 ondernomen acties (required, <= 3000), V05 vermoedelijke reden (required, <= 200),
    V06 toelichting (<= 3000) and no control characters in any text, V11 actie gewenst = nee needs
    an explanation."""
    violations = []
    if not ondernomen_acties.strip() or len(ondernomen_acties) > 3000:
        violations.append(Violation("V04", "ondernomen_acties", "verplicht, hoogstens 3000 tekens"))
    if not vermoedelijke_reden.strip() or len(vermoedelijke_reden) > 200:
        violations.append(
            Violation("V05", "vermoedelijke_reden", "verplicht, hoogstens 200 tekens")
        )
    if len(toelichting) > 3000:
        violations.append(Violation("V06", "toelichting", "hoogstens 3000 tekens"))
    texts = {
        "vermoedelijke_reden": vermoedelijke_reden,
        "ondernomen_acties": ondernomen_acties,
        "toelichting": toelichting,
        "toelichting_actie": toelichting_actie,
    }
    for field, text in texts.items():
        if has_control_characters(text):
            violations.append(Violation("V06", field, "bevat stuurtekens die DUO niet aanneemt"))
    if not actie_gewenst and not toelichting_actie.strip():
        violations.append(
            Violation("V11", "toelichting_actie", "actie gewenst = nee vraagt om een toelichting")
        )
    return violations


def has_control_characters(text: str) -> bool:
    """V06: control characters other than tab, line feed and carriage return are refused."""
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text)


def check_melder(naam: str, email: str) -> list[Violation]:
    """V07: the melder's name and a valid e-mail address are present."""
    violations = []
    if not naam.strip() or len(naam) > 100:
        violations.append(Violation("V07", "melder.naam", "verplicht, hoogstens 100 tekens"))
    if not _EMAIL.fullmatch(email) or len(email) > 100:
        violations.append(Violation("V07", "melder.email", "verplicht, een geldig e-mailadres"))
    return violations


def check_long_absence_preceded(
    melding: Melding,
    runs: Sequence[Run],
    known: Iterable[KnownMelding],
    calendar: SchoolCalendar,
) -> list[Violation]:
    """V08: an LRV (or RMC) melding needs a preceding continuous absence of at least 28 days: a run
    that reaches day T in the registrations, or adjoining earlier meldingen of this pupil covering
    at least 28 days (holidays not counted, F5)."""
    if melding.soort not in (Soort.LRV, Soort.RMC):
        return []
    for run in runs:
        if run.first <= melding.begindatum <= run.last and run.reaches_t:
            return []
    earlier = sorted(
        (k for k in known if k.active and k.leerlingnummer == melding.leerlingnummer),
        key=lambda k: k.begindatum,
    )
    start = melding.begindatum
    for candidate in reversed(earlier):
        end = candidate.einddatum
        if end is None or candidate.begindatum >= start:
            continue
        if end >= start - ONE_DAY or not calendar.has_schooldag(end + ONE_DAY, start - ONE_DAY):
            start = min(start, candidate.begindatum)
    if start < melding.begindatum and calendar.window_end(start) < melding.begindatum:
        return []
    return [
        Violation(
            "V08",
            "begindatum",
            "langdurig relatief verzuim vraagt om minstens 28 dagen aaneengesloten verzuim "
            "(vakanties niet meegeteld) in de registraties of in aansluitende eerdere meldingen",
        )
    ]


def check_overlap(melding: Melding, known: Iterable[KnownMelding]) -> list[Violation]:
    """V09: no overlap with an active (not withdrawn) melding of the same soort for the pupil."""
    soort = melding.soort
    end = melding.einddatum or dt.date.max
    for other in known:
        if (
            other.leerlingnummer != melding.leerlingnummer
            or not other.active
            or SOORT_OF_CODE[other.code] is not soort
            or other.natural_key == melding.natural_key
        ):
            continue
        other_end = other.einddatum or dt.date.max
        if other.begindatum <= end and melding.begindatum <= other_end:
            shown = "open" if other.einddatum is None else str(other.einddatum)
            return [
                Violation(
                    "V09",
                    "begindatum",
                    f"overlapt met de actieve {soort.value}-melding van {other.begindatum} "
                    f"tot {shown}",
                )
            ]
    return []


def relevant_date(melding: Melding, calendar: SchoolCalendar) -> dt.date:
    """V10's date: d1 (the einddatum) of a 16-uur melding, day T of an LRV/RMC melding, the
    begindatum otherwise."""
    if melding.soort is Soort.ZESTIEN_UUR and melding.einddatum is not None:
        return melding.einddatum
    if melding.soort in (Soort.LRV, Soort.RMC):
        return calendar.window_end(melding.begindatum)
    return melding.begindatum


def check_obligation(
    melding: Melding, periods: ObligationPeriods, calendar: SchoolCalendar
) -> list[Violation]:
    """V10: the soort fits the pupil's obligation on the relevant date (F4)."""
    day = relevant_date(melding, calendar)
    obligation = periods.on(day)
    fits = {
        WireCode.V3: obligation in (Obligation.LEERPLICHT, Obligation.KWALIFICATIEPLICHT),
        WireCode.LRV: obligation in (Obligation.LEERPLICHT, Obligation.KWALIFICATIEPLICHT),
        WireCode.V4: obligation is Obligation.RMC,
        WireCode.RMC: obligation is Obligation.RMC,
        WireCode.L: obligation is not Obligation.GEEN,
        WireCode.O: obligation is not Obligation.GEEN,
    }[melding.code]
    if fits:
        return []
    return [
        Violation(
            "V10",
            "code",
            f"code {melding.code.value} past niet bij de plicht van de leerling op {day} "
            f"({obligation.value})",
        )
    ]


def check_withdrawal(status: DuoStatus | None, reden: str) -> list[Violation]:
    """V12: a withdrawal names a reason and a melding that is not afgesloten or withdrawn."""
    violations = []
    if not reden.strip():
        violations.append(Violation("V12", "reden", "een intrekking vraagt om een reden"))
    if status is None:
        violations.append(Violation("V12", "melding", "onbekende melding"))
    elif status in (DuoStatus.AFGESLOTEN, DuoStatus.INGETROKKEN):
        violations.append(
            Violation(
                "V12",
                "melding",
                "een afgesloten of ingetrokken melding kan niet worden ingetrokken",
            )
        )
    return violations


def check_brin(brin: str, vestiging: str, allowed: Iterable[str]) -> list[Violation]:
    """V13: the BRIN is well-formed and belongs to a school the caller may report for."""
    if not is_brin(brin) or not is_vestiging(vestiging):
        return [
            Violation(
                "V13", "brin", "BRIN (2 cijfers + 2 tekens) of vestiging (2 cijfers) is ongeldig"
            )
        ]
    if brin not in set(allowed):
        return [Violation("V13", "brin", "deze BRIN hoort niet bij de school waarvoor u meldt")]
    return []
