"""What every SIS adapter produces (DOMAIN.md 5): canonical students and registrations, and every
problem as a rejection or warning naming the file, the line or JSON path, the field and the rule.

An adapter reads its vendor files into an ``AdapterOutput``; ``assemble`` turns that into the
same ``CanonicalExport`` the canonical CSV reader gives (identity check V01, pupils without a
birth date I-LEERLING, the same ``bron_id`` imported twice counted once), so the pre-check cannot
tell where the data came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from adapters.canonical import CanonicalExport, ReadStats
from gateway.model import Registration, Rejection, SchoolConfig, Student, Warning
from gateway.numbers import identity_problem
from gateway.rules.dayfacts import minutes_problem, registration_frame


@dataclass(frozen=True, slots=True)
class Where:
    """Where a record came from: the file and the line (CSV) or JSON path (``$.Items[3]``)."""

    bestand: str
    regelnummer: int | None = None
    pad: str = ""


@dataclass(slots=True)
class AdapterOutput:
    """What an adapter read: students and registrations with their origin, and the problems.

    ``stats`` must satisfy read = accepted + rejected per file (the rows an adapter reads,
    accepts and rejects); ``assemble`` adds the rows lost with rejected pupils.
    """

    students: list[tuple[Student, Where]] = field(default_factory=list)
    registrations: list[tuple[Registration, Where]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    stats: list[ReadStats] = field(default_factory=list)


class Adapter(Protocol):
    """One SIS format."""

    name: str

    def detect(self, paths: Sequence[Path]) -> bool:
        """Whether these files look like this adapter's format (for ``--adapter auto``)."""
        ...

    def read(self, school: SchoolConfig, paths: Sequence[Path]) -> AdapterOutput:
        """Read the files; never raise for a bad row, only for an unusable file (InputError)."""
        ...


def assemble(output: AdapterOutput, not_after: dt.date | None = None) -> CanonicalExport:
    """The adapter's records as a ``CanonicalExport``: V01 on every pupil, I-LEERLING for
    registrations of unknown pupils, F1 on every registration, duplicate ``bron_id`` dropped."""
    rejections = list(output.rejections)
    students: dict[str, Student] = {}
    for student, where in output.students:
        problem = identity_problem(student.bsn, student.onderwijsnummer)
        if problem is not None:
            rejections.append(_reject("V01", problem, where, "bsn", student.leerlingnummer))
            continue
        students.setdefault(student.leerlingnummer, student)
    kept: list[Registration] = []
    seen_ids: set[str] = set()
    unknown: dict[str, Where] = {}
    lost: dict[str, set[Where]] = {}  # per file: the accepted rows of rejected pupils
    refused_pupils = {s.leerlingnummer for s, _ in output.students} - set(students)
    for registration, where in output.registrations:
        pupil = registration.leerlingnummer
        if pupil in refused_pupils or pupil not in students:
            lost.setdefault(where.bestand, set()).add(where)
            if pupil not in refused_pupils:
                unknown.setdefault(pupil, where)
            continue
        if registration.bron_id and registration.bron_id in seen_ids:
            continue
        if not_after is not None and registration.datum > not_after:
            rejections.append(
                _reject("I-TOEKOMST", f"datum {registration.datum} ligt na vandaag ({not_after})",
                        where, "datum", pupil)
            )  # fmt: skip
            lost.setdefault(where.bestand, set()).add(where)
            continue
        begin = registration.begintijd.hour * 60 + registration.begintijd.minute
        end = registration.eindtijd.hour * 60 + registration.eindtijd.minute
        problem = minutes_problem(begin, end)
        if problem is not None:
            rejections.append(_reject("F1", problem, where, "eindtijd", pupil))
            continue
        if registration.bron_id:
            seen_ids.add(registration.bron_id)
        kept.append(registration)
    for pupil, where in sorted(unknown.items()):
        rejections.append(
            _reject("I-LEERLING", "leerling onbekend: zonder geboortedatum is de plicht (F4) niet "
                    "te bepalen; registraties niet beoordeeld", where, "leerlingnummer", pupil)
        )  # fmt: skip
    frame = registration_frame(kept) if kept else registration_frame([])
    stats = [
        replace(item, accepted=item.accepted - len(lost.get(item.bestand, ())),
                of_rejected_pupils=item.of_rejected_pupils + len(lost.get(item.bestand, ())))
        for item in output.stats
    ]  # fmt: skip
    return CanonicalExport(students, frame, rejections, list(output.warnings), stats)


def _reject(rule: str, reason: str, where: Where, veld: str, pupil: str) -> Rejection:
    reden = f"{where.pad}: {reason}" if where.pad else reason
    return Rejection(rule, reden, where.bestand, where.regelnummer, veld, pupil)
