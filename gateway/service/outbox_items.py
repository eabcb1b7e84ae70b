"""From proposed meldingen and changes to outbox items (DESIGN.md 4).

Each item carries the validated request document exactly as it will be sent, with a fresh
``IdentificatiecodeBedrijfsdocument``; the outbox is idempotent on the natural key, so queueing
the same pre-check twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from gateway.errors import InputError
from gateway.messages import (
    Intrekking,
    MeldingInhoud,
    MeldingMutatie,
    build_intrekking,
    build_melden,
    build_mutatie,
)
from gateway.model import Melding, SchoolConfig, Student, Wijziging
from gateway.store import IdentiteitSoort, NewOutboxItem, Operation, OutboxRow
from gateway.xml import to_bytes


def identity_of(student: Student) -> tuple[IdentiteitSoort, str]:
    """The number DUO knows the pupil by: the BSN, or the onderwijsnummer without one (V01)."""
    if student.bsn:
        return IdentiteitSoort.BSN, student.bsn
    return IdentiteitSoort.ONDERWIJSNUMMER, student.onderwijsnummer


def melding_item(
    melding: Melding,
    student: Student,
    school: SchoolConfig,
    inhoud: MeldingInhoud,
    now: dt.datetime,
) -> NewOutboxItem:
    """A ``melden`` item: ``MeldenRelatiefVerzuim`` for one proposed melding."""
    document_id = str(uuid.uuid4())
    element = build_melden(melding, student, school, inhoud, document_id=document_id, now=now)
    soort, identiteit = identity_of(student)
    return NewOutboxItem(
        operation=Operation.MELDEN,
        brin=school.brin,
        vestiging=school.vestiging,
        leerlingnummer=melding.leerlingnummer,
        identiteit_soort=soort,
        identiteit=identiteit,
        code=melding.code,
        begindatum=melding.begindatum,
        einddatum=melding.einddatum,
        document_id=document_id,
        xml=to_bytes(element),
        payload={
            "soort": melding.soort.value,
            "uren": melding.uren,
            "eenheid": melding.eenheid.value,
            "regels": list(melding.regels),
            "uiterste_meldingsdatum": (
                melding.uiterste_meldingsdatum.isoformat()
                if melding.uiterste_meldingsdatum
                else None
            ),
        },
        herhaal=melding.herhaal,
    )


def change_item(
    target: OutboxRow, school: SchoolConfig, change: MeldingMutatie, now: dt.datetime
) -> NewOutboxItem:
    """A ``mutatie`` item changing an accepted melding (einddatum, texts)."""
    return _target_item(target, school, Operation.MUTATIE, now, change=change)


def withdrawal_item(
    target: OutboxRow, school: SchoolConfig, withdrawal: Intrekking, now: dt.datetime
) -> NewOutboxItem:
    """An ``intrekken`` item withdrawing an accepted melding (status I with a reason, V12)."""
    return _target_item(target, school, Operation.INTREKKEN, now, withdrawal=withdrawal)


def r_einde_item(
    wijziging: Wijziging, student: Student, school: SchoolConfig, now: dt.datetime
) -> NewOutboxItem:
    """R-EINDE: set the einddatum of a known open LRV/RMC melding (needs DUO's number)."""
    if not wijziging.nummer:
        raise InputError(
            f"leerling {wijziging.leerlingnummer}: de open {wijziging.code.value}-melding heeft "
            "nog geen DUO-nummer; de wijziging (R-EINDE) volgt na registratie"
        )
    change = MeldingMutatie.from_wijziging(wijziging)
    document_id = str(uuid.uuid4())
    element = build_mutatie(change, school, document_id=document_id, now=now)
    soort, identiteit = identity_of(student)
    return NewOutboxItem(
        operation=Operation.MUTATIE,
        brin=school.brin,
        vestiging=school.vestiging,
        leerlingnummer=wijziging.leerlingnummer,
        identiteit_soort=soort,
        identiteit=identiteit,
        code=wijziging.code,
        begindatum=wijziging.begindatum,
        einddatum=wijziging.einddatum,
        document_id=document_id,
        xml=to_bytes(element),
        payload={"einddatum": wijziging.einddatum.isoformat(), "regels": list(wijziging.regels)},
        target_nummer=wijziging.nummer,
    )


def _target_item(
    target: OutboxRow,
    school: SchoolConfig,
    operation: Operation,
    now: dt.datetime,
    change: MeldingMutatie | None = None,
    withdrawal: Intrekking | None = None,
) -> NewOutboxItem:
    if target.operation is not Operation.MELDEN or not target.duo_nummer:
        raise InputError(
            f"outbox-rij {target.id} is geen door DUO geregistreerde melding (nog geen DUO-nummer)"
        )
    document_id = str(uuid.uuid4())
    if change is not None:
        element = build_mutatie(change, school, document_id=document_id, now=now)
        payload = {
            key: value
            for key, value in (
                ("einddatum", change.einddatum.isoformat() if change.einddatum else None),
                ("vermoedelijke_reden", change.vermoedelijke_reden or None),
                ("ondernomen_acties", change.ondernomen_acties or None),
                ("toelichting", change.toelichting or None),
            )
            if value is not None
        }
        einddatum = change.einddatum
    else:
        assert withdrawal is not None
        element = build_intrekking(withdrawal, school, document_id=document_id, now=now)
        payload = {"reden": withdrawal.reden.value, "toelichting": withdrawal.toelichting}
        einddatum = target.einddatum
    return NewOutboxItem(
        operation=operation,
        brin=target.brin,
        vestiging=target.vestiging,
        leerlingnummer=target.leerlingnummer,
        identiteit_soort=target.identiteit_soort,
        identiteit=target.identiteit,
        code=target.code,
        begindatum=target.begindatum,
        einddatum=einddatum,
        document_id=document_id,
        xml=to_bytes(element),
        payload=payload,
        target_nummer=target.duo_nummer,
        target_outbox_id=target.id,
    )
