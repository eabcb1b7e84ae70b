"""A melding composed by the SIS: checked with V01-V13, then written to the outbox.

The API never sends to DUO itself (issue 6): a valid melding becomes an outbox row with its
validated ``MeldenRelatiefVerzuim`` document, and the worker sends it. Checks, all collected:

- V13 the BRIN (``tenancy``), V01 identity, V02/V03 dates (peildatum = today), V04-V06 and V11
  the texts, V07 the melder (the school's when none is given), V10 the soort against the pupil's
  obligation (F4, from ``geboortedatum``), V09 overlap with the meldingen the outbox knows;
- V08 (LRV/RMC): the SIS has no registrations to show here, so the melding's own period
  (begindatum to einddatum, or to today while open) is taken as the run of absence it reports:
  it must reach day T (28 days, the school's holidays not counted, F5), or adjoining earlier
  meldingen of the pupil must cover the 28 days, as in the pre-check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from gateway.errors import InputError, MessageError
from gateway.messages.content import Leerling, MeldingInhoud
from gateway.messages.melding_json import melding_from_json
from gateway.model import KnownMelding, Melding, SchoolConfig, Student
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.obligation import ObligationPeriods
from gateway.rules.timeline import Run
from gateway.rules.validation import (
    SOORT_OF_CODE,
    Violation,
    check_dates,
    check_identity,
    check_long_absence_preceded,
    check_melder,
    check_obligation,
    check_overlap,
    check_texts,
)
from gateway.service.api.schemas import MeldingIn
from gateway.service.outbox_items import melding_item
from gateway.store import NewOutboxItem

#: Keys of ``MeldingIn`` that are not part of ``verzuim build``'s melding JSON.
_API_ONLY = {"brin", "vestiging", "geboortedatum", "startkwalificatie"}


@dataclass(frozen=True, slots=True)
class Checked:
    """A melding that passed V01-V13, ready for the outbox."""

    item: NewOutboxItem
    melding: Melding


class RefusedError(Exception):
    """The melding broke rules: every violation, to answer 422."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(f"{v.regel} {v.veld}" for v in violations))
        self.violations = violations


def check_melding(
    body: MeldingIn,
    school: SchoolConfig,
    known: list[KnownMelding],
    today: dt.date,
    now: dt.datetime,
) -> Checked:
    """Check ``body`` for ``school`` against the ``known`` meldingen; raise ``Refused``."""
    melding, leerling, inhoud = _parse(body, school)
    student = Student(
        leerlingnummer=body.leerlingnummer,
        geboortedatum=body.geboortedatum,
        bsn=leerling.bsn,
        onderwijsnummer=leerling.onderwijsnummer,
        startkwalificatie=body.startkwalificatie,
    )
    melder = inhoud.melder or school.melder
    violations = [
        *check_identity(leerling.bsn, leerling.onderwijsnummer),
        *_check_soort(body, melding),
        *check_dates(melding, today),
        *check_texts(
            inhoud.vermoedelijke_reden,
            inhoud.ondernomen_acties,
            inhoud.toelichting,
            inhoud.actie_gewenst,
            inhoud.toelichting_actie_gewenst,
        ),
        *check_melder(melder.naam, melder.email),
        *known_violations(melding, school, known, today),
        *check_obligation(melding, ObligationPeriods.of(student), SchoolCalendar(school.vakanties)),
    ]
    if violations:
        raise RefusedError(violations)
    try:
        item = melding_item(melding, student, school, inhoud, now)
    except MessageError as exc:  # an XSD facet (phone, postcode, lengths) the rules do not name
        raise RefusedError(
            [Violation("XSD", issue.path, issue.message) for issue in exc.issues]
            or [Violation("XSD", "melding", exc.summary)]
        ) from None
    return Checked(item, melding)


def known_violations(
    melding: Melding, school: SchoolConfig, known: list[KnownMelding], today: dt.date
) -> list[Violation]:
    """The checks that depend on the meldingen already known for the pupil: V08 (an LRV needs 28
    days of continuous absence, its own period or joined to earlier meldingen) and V09 (no
    overlap). Run once before and once more inside the writing transaction (``Store.enqueue``
    ``guard``), so a concurrent request for the same pupil cannot slip past them."""
    calendar = SchoolCalendar(school.vakanties)
    pupil_known = [item for item in known if item.leerlingnummer == melding.leerlingnummer]
    return [
        *check_long_absence_preceded(
            melding, [_own_run(melding, calendar, today)], pupil_known, calendar
        ),
        *check_overlap(melding, pupil_known),
    ]


def _parse(body: MeldingIn, school: SchoolConfig) -> tuple[Melding, Leerling, MeldingInhoud]:
    data: dict[str, Any] = body.model_dump(mode="json", exclude=_API_ONLY, exclude_none=True)
    data["soort"] = (body.soort or SOORT_OF_CODE[body.code]).value
    data["eenheid"] = (body.eenheid or school.eenheid).value
    # Empty required values are reported by the rules (V01, V04, V05, V07) with the others, so
    # the JSON reader gets a stand-in and the body's own values are put back after.
    if not body.bsn and not body.onderwijsnummer:
        data["bsn"] = "-"
    for text in ("vermoedelijke_reden", "ondernomen_acties"):
        data[text] = data[text] or "-"
    if body.melder is not None:
        data["melder"] = {**data["melder"], "naam": "-", "email": "-"}
    try:
        melding, _, inhoud = melding_from_json(data, source="melding")
    except InputError as exc:
        raise RefusedError([Violation("I-VORM", "melding", str(exc))]) from None
    inhoud = replace(
        inhoud,
        vermoedelijke_reden=body.vermoedelijke_reden,
        ondernomen_acties=body.ondernomen_acties,
        melder=None
        if body.melder is None
        else replace(
            inhoud.melder or school.melder, naam=body.melder.naam, email=body.melder.email
        ),
    )
    return melding, Leerling(bsn=body.bsn, onderwijsnummer=body.onderwijsnummer), inhoud


def _check_soort(body: MeldingIn, melding: Melding) -> list[Violation]:
    if body.soort is not None and SOORT_OF_CODE[melding.code] is not body.soort:
        return [
            Violation(
                "V10", "soort", f"soort {body.soort.value} past niet bij code {melding.code.value}"
            )
        ]
    return []


def _own_run(melding: Melding, calendar: SchoolCalendar, today: dt.date) -> Run:
    """The absence the melding itself reports, as a run (V08, see the module doc)."""
    last = min(melding.einddatum or today, today)
    return Run(
        first=melding.begindatum,
        last=max(last, melding.begindatum),
        ended=melding.einddatum is not None,
        day_t=calendar.window_end(melding.begindatum),
    )
