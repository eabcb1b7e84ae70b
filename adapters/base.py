"""What every SIS adapter produces (DOMAIN.md 5): canonical students and registrations, and every
problem as a rejection or warning naming the file, the line or JSON path, the field and the rule.

An adapter reads its vendor files into an ``AdapterOutput``; ``assemble`` turns that into the
same ``CanonicalExport`` the canonical CSV reader gives, so the pre-check cannot tell where the
data came from:

- V01 on every pupil; registrations of a pupil without identity, or not in the student data (no
  birth date, so no F4: I-LEERLING), are not assessed and count as *rows of rejected pupils*;
- I-TOEKOMST (a date after ``not_after``, today in the CLI) and F1 (1-720 minutes) refuse a
  registration; a row all of whose registrations are refused counts as *rejected*, with one
  rejection per row and rule;
- the same ``bron_id`` imported twice counts once (issue 5): of the registrations of one pupil
  with the same ``bron_id`` the later one in the input counts (as F1 lets the later identical row
  win). A row left without a registration of its own this way stays accepted, is counted as
  ``duplicates`` and reported, per file, with warning ``W-DUBBEL`` naming the first such row and
  the row that replaced it. An ignored row that carries a ``bron_id``
  (``AdapterOutput.ignored_bron_ids``: Magister's Verantwoordingtype 7/8 with its ``Id``) is a
  version of that ``bron_id`` too, and the later version wins whatever it is: an absence the
  school later re-classified as homework no longer counts (a duplicate, W-DUBBEL), the later
  homework row stays ``ignored``; an ignored row that a later absence replaces is a duplicate;
- a day register replaces whole days (dagverzuim, issue 5): the rows of an earlier file for a
  pupil and date that a later file gives again (``AdapterOutput.replaced_days``, decided by the
  adapter) stay accepted, are counted as ``duplicates`` and are reported in the same way, with a
  W-DUBBEL (field ``datum``) naming the first such row and the later file's row;
- rows an adapter accepted without a registration of their own (``AdapterOutput.other_rows``:
  Magister's Verantwoordingtype 7/8, which count as ``ignored``, and reason-only reports) follow
  their pupil: rows of a rejected pupil count as rows of rejected pupils.

So per file read = accepted + rejected + of rejected pupils holds exactly, with ``duplicates`` and
``ignored`` the parts of accepted that gave no registration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import polars as pl

from adapters.canonical import CanonicalExport, ReadStats
from adapters.rows import duplicate_reason
from gateway.model import Registration, Rejection, SchoolConfig, Student, Warning
from gateway.numbers import identity_problem
from gateway.rules.dayfacts import minutes_problem, registration_frame


@dataclass(frozen=True, slots=True)
class Where:
    """Where a record came from: the file and the line (CSV) or JSON path (``$.Items[3]``)."""

    bestand: str
    regelnummer: int | None = None
    pad: str = ""

    def shown(self) -> str:
        """The place for a message: ``bestand regel N`` or ``bestand $.Items[3]``."""
        if self.pad:
            return f"{self.bestand} {self.pad}"
        if self.regelnummer is not None:
            return f"{self.bestand} regel {self.regelnummer}"
        return self.bestand


@dataclass(slots=True)
class AdapterOutput:
    """What an adapter read: students and registrations with their origin, and the problems.

    ``stats`` must satisfy read = accepted + rejected per file (the rows an adapter reads,
    accepts and rejects); ``assemble`` moves rows to rejected or to rows of rejected pupils and
    counts duplicates and ignored rows. ``other_rows`` are accepted rows without a registration of
    their own (pupil, where, ignored: True for a row that is not attendance at all). ``texts``
    holds per ``bron_id`` the reason code and reason text of the source, for ``verzuim import``.
    ``replaced_days`` are accepted rows whose registration the adapter left out because a later
    file gives the same pupil and date again (pupil, the row, the later file's row): ``assemble``
    counts them as duplicates with W-DUBBEL, as a repeated ``bron_id``. ``ignored_bron_ids`` are
    ignored rows of ``other_rows`` that carry a ``bron_id`` (pupil, the row, the bron_id, and its
    place in input order: the number of ``registrations`` read before it): they take part in
    "the later ``bron_id`` wins" (F1, W-DUBBEL) like registrations do.
    """

    students: list[tuple[Student, Where]] = field(default_factory=list)
    registrations: list[tuple[Registration, Where]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    stats: list[ReadStats] = field(default_factory=list)
    other_rows: list[tuple[str, Where, bool]] = field(default_factory=list)
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)
    replaced_days: list[tuple[str, Where, Where]] = field(default_factory=list)
    ignored_bron_ids: list[tuple[str, Where, str, int]] = field(default_factory=list)


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
    """The adapter's records as a ``CanonicalExport``: V01 and I-LEERLING per pupil, I-TOEKOMST
    and F1 per registration, the later of two versions (registrations or ignored rows) with the
    same ``bron_id`` and the days a later file replaced (W-DUBBEL), and the row accounting (see
    the module docstring)."""
    rejections = list(output.rejections)
    students: dict[str, Student] = {}
    for student, where in output.students:
        problem = identity_problem(student.bsn, student.onderwijsnummer)
        if problem is not None:
            rejections.append(_reject("V01", problem, where, "bsn", student.leerlingnummer))
            continue
        students.setdefault(student.leerlingnummer, student)
    refused_pupils = {s.leerlingnummer for s, _ in output.students} - set(students)
    outcome = _Outcomes()
    unknown: dict[str, Where] = {}
    valid: list[int] = []

    def lost(pupil: str, where: Where) -> bool:
        """Whether the row follows a refused or unknown pupil (then noted as lost)."""
        if pupil in students:
            return False
        outcome.lost.add(where)
        if pupil not in refused_pupils:
            unknown.setdefault(pupil, where)
        return True

    for index, (registration, where) in enumerate(output.registrations):
        pupil = registration.leerlingnummer
        if lost(pupil, where):
            continue
        refusal = _refusal(registration, not_after)
        if refusal is not None:
            outcome.refuse(where, pupil, *refusal)
            continue
        valid.append(index)
    for pupil, where, ignored in output.other_rows:
        if lost(pupil, where):
            continue
        (outcome.ignored if ignored else outcome.kept).add(where)
    for pupil, where, later in output.replaced_days:
        if not lost(pupil, where):
            outcome.replaced.setdefault(where, (pupil, later, "datum"))
    versions = [row for row in output.ignored_bron_ids if row[1] in outcome.ignored]
    kept = _latest_per_bron_id(output.registrations, valid, outcome, versions)
    rejections.extend(outcome.rejections())
    for pupil, where in sorted(unknown.items(), key=lambda item: item[0]):
        rejections.append(
            _reject("I-LEERLING", "leerling onbekend: zonder geboortedatum is de plicht (F4) niet "
                    "te bepalen; registraties niet beoordeeld", where, "leerlingnummer", pupil)
        )  # fmt: skip
    registrations = [output.registrations[index][0] for index in kept]
    frame = registration_frame(registrations)
    texts = pl.DataFrame(
        {
            "volgorde": pl.Series(range(len(registrations)), dtype=pl.Int64),
            "bron_id": [r.bron_id for r in registrations],
            "redencode": [output.texts.get(r.bron_id, ("", ""))[0] for r in registrations],
            "reden": [output.texts.get(r.bron_id, ("", ""))[1] for r in registrations],
        },
        schema={"volgorde": pl.Int64(), "bron_id": pl.String(), "redencode": pl.String(),
                "reden": pl.String()},
    )  # fmt: skip
    warnings = [*output.warnings, *outcome.duplicate_warnings()]
    return CanonicalExport(
        students, frame, rejections, warnings, outcome.stats(output.stats), texts
    )


@dataclass(slots=True)
class _Outcomes:
    """What ``assemble`` decided per row (``Where``): the sets are disjoint after ``classes``."""

    kept: set[Where] = field(default_factory=set)
    lost: set[Where] = field(default_factory=set)
    ignored: set[Where] = field(default_factory=set)
    # -> pupil, the later row, and what they share: "bron_id", or "datum" (a replaced day)
    replaced: dict[Where, tuple[str, Where, str]] = field(default_factory=dict)
    refused: dict[Where, dict[str, tuple[str, str, str]]] = field(default_factory=dict)

    def refuse(self, where: Where, pupil: str, rule: str, reason: str, veld: str) -> None:
        """Note the first refusal by ``rule`` of a registration of this row."""
        self.refused.setdefault(where, {}).setdefault(rule, (reason, veld, pupil))

    def classes(self) -> dict[Where, str]:
        """Per row: ``lost`` (a rejected pupil), ``kept`` (at least one registration counts),
        ``duplicate`` (only replaced by later rows), ``ignored`` or ``refused``."""
        found: dict[Where, str] = {}
        for name, rows in (("refused", self.refused), ("ignored", self.ignored),
                           ("duplicate", self.replaced), ("kept", self.kept),
                           ("lost", self.lost)):  # fmt: skip
            for where in rows:
                found[where] = name  # later names take precedence
        return found

    def rejections(self) -> list[Rejection]:
        """One rejection per refused row and rule (rows that also gave a counted registration
        keep their rejection: part of the row was refused)."""
        return [
            _reject(rule, reason, where, veld, pupil)
            for where, rules in self.refused.items()
            if where not in self.lost
            for rule, (reason, veld, pupil) in rules.items()
        ]

    def stats(self, stats: Sequence[ReadStats]) -> list[ReadStats]:
        """The adapter's accounting with the rows ``assemble`` moved."""
        per_file: dict[str, dict[str, int]] = {}
        for where, name in self.classes().items():
            counts = per_file.setdefault(where.bestand, {})
            counts[name] = counts.get(name, 0) + 1
        result = []
        for item in stats:
            counts = per_file.get(item.bestand, {})
            lost, refused = counts.get("lost", 0), counts.get("refused", 0)
            result.append(
                replace(
                    item,
                    accepted=item.accepted - lost - refused,
                    rejected=item.rejected + refused,
                    of_rejected_pupils=item.of_rejected_pupils + lost,
                    duplicates=item.duplicates + counts.get("duplicate", 0),
                    ignored=item.ignored + counts.get("ignored", 0),
                )
            )
        return result

    def duplicate_warnings(self) -> list[Warning]:
        """W-DUBBEL: per file the rows whose bron_id (or day) came again later (the first one
        named)."""
        classes = self.classes()
        counts: dict[str, int] = {}
        first: dict[str, tuple[Where, str, Where, str]] = {}
        for where, (pupil, later, veld) in self.replaced.items():
            if classes.get(where) == "duplicate":
                counts[where.bestand] = counts.get(where.bestand, 0) + 1
                first.setdefault(where.bestand, (where, pupil, later, veld))
        return [
            Warning("W-DUBBEL", duplicate_reason(where.pad, later.shown(), counts[bestand], veld),
                    pupil, bestand=bestand, regelnummer=where.regelnummer, veld=veld)
            for bestand, (where, pupil, later, veld) in sorted(first.items())
        ]  # fmt: skip


def _refusal(registration: Registration, not_after: dt.date | None) -> tuple[str, str, str] | None:
    """(rule, reason, field) when ``assemble`` refuses a registration: I-TOEKOMST or F1."""
    if not_after is not None and registration.datum > not_after:
        return ("I-TOEKOMST", f"datum {registration.datum} ligt na vandaag ({not_after})", "datum")
    begin = registration.begintijd.hour * 60 + registration.begintijd.minute
    end = registration.eindtijd.hour * 60 + registration.eindtijd.minute
    problem = minutes_problem(begin, end)
    return None if problem is None else ("F1", problem, "eindtijd")


def _latest_per_bron_id(
    registrations: Sequence[tuple[Registration, Where]],
    valid: list[int],
    outcome: _Outcomes,
    ignored: Sequence[tuple[str, Where, str, int]] = (),
) -> list[int]:
    """The valid registrations that count: of the versions of one pupil with the same non-empty
    ``bron_id`` the later one in input order (issue 5: "the same bron_id imported twice counts
    once"; the later wins as in F1); the earlier ones are reported with W-DUBBEL. ``ignored``
    rows (pupil, row, bron_id, number of registrations before it; in input order) are versions
    too, whatever they are: a later ignored row replaces an earlier registration (Magister: an
    absence re-classified as homework), a later registration an earlier ignored row. The
    canonical reader does the same over its frame (``adapters.canonical._latest_per_bron_id``)."""
    last: dict[tuple[str, str], int] = {}
    for index in valid:
        registration = registrations[index][0]
        if registration.bron_id:
            last[(registration.leerlingnummer, registration.bron_id)] = index
    # an ignored row lies before registration ``before``: it is the latest version of its bron_id
    # when no registration of that bron_id comes at or after that place (of two, the later row);
    # then no registration of it counts (``last`` -1)
    latest_ignored: dict[tuple[str, str], Where] = {}
    for pupil, where, bron_id, before in ignored:
        if last.get((pupil, bron_id), -1) < before:
            latest_ignored[(pupil, bron_id)] = where
    last.update(dict.fromkeys(latest_ignored, -1))

    def latest(key: tuple[str, str]) -> Where:
        return latest_ignored[key] if last[key] < 0 else registrations[last[key]][1]

    kept: list[int] = []
    for index in valid:
        registration, where = registrations[index]
        key = (registration.leerlingnummer, registration.bron_id)
        if registration.bron_id and last[key] != index:
            outcome.replaced.setdefault(
                where, (registration.leerlingnummer, latest(key), "bron_id")
            )
        else:
            kept.append(index)
            outcome.kept.add(where)
    for pupil, where, bron_id, _ in ignored:
        later = latest((pupil, bron_id))
        if later != where:
            outcome.replaced.setdefault(where, (pupil, later, "bron_id"))
    return kept


def _reject(rule: str, reason: str, where: Where, veld: str, pupil: str) -> Rejection:
    reden = f"{where.pad}: {reason}" if where.pad else reason
    return Rejection(rule, reden, where.bestand, where.regelnummer, veld, pupil)
