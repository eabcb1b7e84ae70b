"""Explaining one pupil's pre-check outcome: the path through the rule book, in order (issue 8).

``explain`` is pure (no I/O, no clock): the school, one pupil, the registrations, the known
meldingen and the peildatum in; an ``Explanation`` out, with structured steps:

1. the obligation on every relevant date (F4);
2. every registration with what F1-F3 make of it (counted, its unit and weight; or why not), and
   per counted day whether it is an afwezige dag (F6);
3. every four-week window R-16U tried, with its sum and whether 960 unit-minutes (16 hours) were
   reached (F5, R-16U, R-HERHAAL), and the same for R-SIGNAAL;
4. the runs of continuous absence (F7) and whether they reached day T (R-LRV, R-RMC);
5. for every melding the rules derive: proposed, already known, or refused, with the rule ids and
   the facts that decided it (V01, V03, V08-V10, W-TE-LAAT, F8), and the R-EINDE changes.

The explanation calls the rule book's own functions (``PupilTimeline``, ``derive_meldingen`` with
its R-16U trace, ``melding_violations``, ``close_open_meldingen``, ``WindowCounter.windows_tried``,
``classify_registrations``), so it cannot disagree with the pre-check: the tests compare its
proposed meldingen with the pre-check's for every pupil of the sample school.

``render_lines`` turns it into plain Dutch sentences that a school administrator can check
against the SIS; ``render_text`` into the text ``verzuim uitleg`` prints. Pupils appear by
leerlingnummer only: no BSN, onderwijsnummer or birth date is ever part of an explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import polars as pl

from gateway.model import (
    DateRange,
    DayFact,
    Eenheid,
    KnownMelding,
    Melding,
    Obligation,
    Rejection,
    SchoolConfig,
    Soort,
    Student,
    Wijziging,
    WireCode,
)
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.dayfacts import classify_registrations, day_facts
from gateway.rules.precheck import close_open_meldingen, derive_meldingen, melding_violations
from gateway.rules.sixteen_hours import THRESHOLD, SixteenHourStep
from gateway.rules.timeline import PupilTimeline, Run, SignalDay
from gateway.rules.validation import Violation, check_identity
from gateway.rules.windows import WindowCounter, WindowTry

MAANDEN = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


class Uitkomst(StrEnum):
    """What became of a registration (F1, F2, F4, R-LUXE, R-SIGNAAL, F6)."""

    TELT = "telt"  # F2: counts towards 16 hours, with its weight (F3)
    LUXE = "luxe"  # R-LUXE
    TE_LAAT = "te_laat"  # R-SIGNAAL (never towards 16 hours)
    GEOORLOOFD = "geoorloofd"  # F2: excused
    AANWEZIG = "aanwezig"  # F6: presence
    NVT = "nvt"  # no lesson for this pupil
    DUBBEL = "dubbel"  # F1: an identical later row wins
    GEEN_SCHOOLDAG = "geen_schooldag"  # F2: weekend or holiday
    GEEN_PLICHT = "geen_plicht"  # F4: obligation geen
    NA_PEILDATUM = "na_peildatum"  # W-PEILDATUM


class ObligationSpan(NamedTuple):
    """F4: the obligation on the relevant dates ``van`` .. ``tot`` (inclusive; only the dates that
    matter to the rules are looked at, so the exact day of a change is not shown)."""

    van: dt.date
    tot: dt.date
    plicht: Obligation


class RegistrationStep(NamedTuple):
    """One registration and what F1-F3 (and F4, the calendar, the peildatum) make of it."""

    datum: dt.date
    lesuur: int | None
    begin: str
    eind: str
    minuten: int
    status: str
    geoorloofd: str  # J, N or "" (not yet known: W-ONBEKEND)
    categorie: str
    gewicht: int  # unit-minutes (F3); 0 unless it counts
    uitkomst: Uitkomst


class DayStep(NamedTuple):
    """A day with counted absence and whether it is an afwezige dag (F6)."""

    datum: dt.date
    eenheidminuten: int
    minuten: int
    afwezig: bool
    aanwezig: bool  # an AANWEZIG or TE_LAAT registration on the day


class Search(NamedTuple):
    """One search of R-16U or R-SIGNAAL: counting after ``reset``, the windows tried (F5) and
    how it ended (a melding, no obligation, an LRV/RMC run first, or nothing reached)."""

    regel: str  # R-16U or R-SIGNAAL
    reset: dt.date | None
    drempel: int
    vensters: tuple[WindowTry, ...]
    found: tuple[dt.date, dt.date] | None
    long_run: Run | None = None
    code: WireCode | None = None
    run: Run | None = None
    meldingen: tuple[Melding, ...] = ()


class RunStep(NamedTuple):
    """F7: a run of afwezige dagen and what R-LRV/R-RMC made of it."""

    run: Run
    plicht_op_t: Obligation
    melding: Melding | None  # the LRV/RMC melding it gave
    volgende: dt.date | None = None  # the schooldag that ended it (not an afwezige dag)


class Besluit(StrEnum):
    VOORGESTELD = "voorgesteld"
    BEKEND = "bekend"
    AFGEWEZEN = "afgewezen"


@dataclass(frozen=True, slots=True)
class Decision:
    """A melding the rules derived and what the pre-check does with it."""

    melding: Melding
    besluit: Besluit
    feiten: tuple[str, ...]  # the deciding facts, in Dutch
    schendingen: tuple[Violation, ...] = ()
    te_laat: bool = False  # W-TE-LAAT: the deadline (F8) lies before the peildatum

    @property
    def regels(self) -> tuple[str, ...]:
        """Every rule id that decided this melding."""
        ids = [*self.melding.regels, *(v.regel for v in self.schendingen)]
        if self.melding.uiterste_meldingsdatum is not None:
            ids.append("F8")
        if self.te_laat:
            ids.append("W-TE-LAAT")
        return tuple(dict.fromkeys(ids))


@dataclass(frozen=True, slots=True)
class Explanation:
    """The path of one pupil through the rule book (see the module docstring)."""

    leerlingnummer: str
    peildatum: dt.date
    eenheid: Eenheid
    in_leerlingenbestand: bool
    invoer_afwijzingen: tuple[Rejection, ...]
    identiteit: tuple[Violation, ...]
    plicht: tuple[ObligationSpan, ...]
    registraties: tuple[RegistrationStep, ...]
    dagen: tuple[DayStep, ...]
    luxe: tuple[SignalDay, ...]
    te_laat: tuple[SignalDay, ...]
    zoektochten: tuple[Search, ...]
    signaal: tuple[Search, ...]
    reeksen: tuple[RunStep, ...]
    besluiten: tuple[Decision, ...]
    wijzigingen: tuple[Wijziging, ...]
    onbekend: tuple[dt.date, ...]
    vakanties: tuple[DateRange, ...]
    te_laat_signaal: int = 0
    hele_dag_minuten: int | None = None

    @property
    def voorgesteld(self) -> tuple[Melding, ...]:
        """The meldingen the pre-check proposes for this pupil."""
        return tuple(d.melding for d in self.besluiten if d.besluit is Besluit.VOORGESTELD)

    @property
    def regels(self) -> tuple[str, ...]:
        """Every rule id the explanation cites, in order of first use."""
        ids: list[str] = [r.regel for r in self.invoer_afwijzingen]
        ids += [v.regel for v in self.identiteit]
        for line in render_lines(self):
            ids += line.regels
        return tuple(dict.fromkeys(ids))


def explain(
    school: SchoolConfig,
    leerlingnummer: str,
    student: Student | None,
    registrations: pl.DataFrame,
    known: Sequence[KnownMelding],
    peildatum: dt.date,
    rejections: Sequence[Rejection] = (),
) -> Explanation:
    """Explain the pre-check's outcome for one pupil.

    ``registrations`` is a frame of ``REGISTRATION_SCHEMA`` (the pupil's rows are taken from
    it), ``known`` the meldingen known before (all pupils or this one), ``rejections`` the input
    rejections (those of this pupil are kept). Without ``student`` (not in the student file, or
    refused on input) nothing is assessed: the explanation lists the input rejections.
    """
    calendar = SchoolCalendar(school.vakanties)
    frame = registrations.filter(pl.col("leerlingnummer").cast(pl.String) == leerlingnummer)
    mine_known = [k for k in known if k.leerlingnummer == leerlingnummer]
    own_rejections = tuple(r for r in rejections if r.leerlingnummer == leerlingnummer)
    empty = Explanation(
        leerlingnummer,
        peildatum,
        school.eenheid,
        student is not None,
        own_rejections,
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        school.vakanties,
        school.te_laat_signaal,
        school.hele_dag_minuten,
    )
    if student is None:
        return empty
    facts: list[DayFact] = day_facts(frame, school.eenheid, peildatum).per_pupil.get(
        leerlingnummer, []
    )
    timeline = PupilTimeline(student, facts, school, calendar, peildatum)
    trace: list[SixteenHourStep] = []
    derived = derive_meldingen(timeline, school, trace)
    identity = tuple(check_identity(student.bsn, student.onderwijsnummer))
    searches = tuple(_sixteen_hour_searches(timeline, trace))
    signal_searches = tuple(_signal_searches(timeline, school, derived))
    runs = tuple(_run_steps(timeline, derived))
    decisions = tuple(
        _decide(melding, timeline, mine_known, identity, searches, signal_searches, runs)
        for melding in derived
    )
    registration_steps = tuple(_registration_steps(frame, school, timeline, calendar))
    return Explanation(
        leerlingnummer=leerlingnummer,
        peildatum=peildatum,
        eenheid=school.eenheid,
        in_leerlingenbestand=True,
        invoer_afwijzingen=own_rejections,
        identiteit=identity,
        plicht=tuple(_obligation_spans(timeline, registration_steps, derived, runs)),
        registraties=registration_steps,
        dagen=tuple(_day_steps(timeline, facts)),
        luxe=tuple(timeline.luxe),
        te_laat=tuple(timeline.late),
        zoektochten=searches,
        signaal=signal_searches,
        reeksen=runs,
        besluiten=decisions,
        wijzigingen=() if identity else tuple(close_open_meldingen(timeline, mine_known)),
        onbekend=() if identity else tuple(timeline.unknown_dates),
        vakanties=school.vakanties,
        te_laat_signaal=school.te_laat_signaal,
        hele_dag_minuten=school.hele_dag_minuten,
    )


# ----- building the steps -----


def _sixteen_hour_searches(
    timeline: PupilTimeline, trace: Sequence[SixteenHourStep]
) -> Iterable[Search]:
    counter = timeline.counter
    for step in trace:
        tried = counter.windows_tried(counter.index_after(step.reset), THRESHOLD)
        yield Search(
            "R-16U",
            step.reset,
            THRESHOLD,
            tuple(tried),
            step.found,
            step.long_run,
            step.code,
            step.run,
            step.meldingen,
        )


def _signal_searches(
    timeline: PupilTimeline, school: SchoolConfig, derived: Sequence[Melding]
) -> Iterable[Search]:
    """R-SIGNAAL restarts the day after each melding's last late arrival (its einddatum)."""
    threshold = school.te_laat_signaal
    if threshold <= 0 or not timeline.late:
        return
    counter = WindowCounter(
        [day.datum for day in timeline.late],
        [day.amount for day in timeline.late],
        timeline.calendar,
    )
    signals = [m for m in derived if "R-SIGNAAL" in m.regels]
    resets: list[dt.date | None] = [None, *(m.einddatum for m in signals)]
    for index, reset in enumerate(resets):
        tried = counter.windows_tried(counter.index_after(reset), threshold)
        melding = signals[index] if index < len(signals) else None
        found = (melding.begindatum, reset_end(melding)) if melding is not None else None
        yield Search(
            "R-SIGNAAL",
            reset,
            threshold,
            tuple(tried),
            found,
            meldingen=(melding,) if melding is not None else (),
        )


def reset_end(melding: Melding) -> dt.date:
    """The einddatum of a closed melding (R-SIGNAAL and R-16U meldingen always have one)."""
    assert melding.einddatum is not None
    return melding.einddatum


def _run_steps(timeline: PupilTimeline, derived: Sequence[Melding]) -> Iterable[RunStep]:
    long = {m.begindatum: m for m in derived if m.code in (WireCode.LRV, WireCode.RMC)}
    for run in timeline.runs:
        ending = timeline.calendar.next_schooldag(run.last) if run.ended else None
        yield RunStep(run, timeline.obligation(run.day_t), long.get(run.first), ending)


def _decide(
    melding: Melding,
    timeline: PupilTimeline,
    known: Sequence[KnownMelding],
    identity: Sequence[Violation],
    searches: Sequence[Search],
    signal: Sequence[Search],
    runs: Sequence[RunStep],
) -> Decision:
    """As ``precheck._assess_pupil``: V01 refuses the pupil, a known natural key is not proposed
    again, otherwise the validation (V03, V08-V10) decides; W-TE-LAAT past the deadline (F8)."""
    facts = _deciding_facts(melding, timeline, searches, signal, runs)
    if identity:
        return Decision(melding, Besluit.AFGEWEZEN, facts, tuple(identity))
    if any(k.natural_key == melding.natural_key for k in known):
        return Decision(melding, Besluit.BEKEND, facts)
    violations = melding_violations(melding, timeline, known)
    if violations:
        return Decision(melding, Besluit.AFGEWEZEN, facts, tuple(violations))
    deadline = melding.uiterste_meldingsdatum
    late = deadline is not None and deadline < timeline.peildatum
    return Decision(melding, Besluit.VOORGESTELD, facts, (), late)


def _deciding_facts(
    melding: Melding,
    timeline: PupilTimeline,
    searches: Sequence[Search],
    signal: Sequence[Search],
    runs: Sequence[RunStep],
) -> tuple[str, ...]:
    unit = _unit(timeline.eenheid)
    for search in (*searches, *signal):
        if melding not in search.meldingen or search.found is None:
            continue
        d0, d1 = search.found
        if melding.herhaal and search.run is not None:
            run = search.run
            return (
                f"16 uur bereikt op {datum(d1)}, binnen de reeks {span(run.first, run.last)} "
                f"(dag T {datum(run.day_t)}); de reeks loopt daarna door",
                f"de periode {span(melding.begindatum, reset_end(melding))} (7 dagen) ligt "
                "helemaal in de reeks, bevat een schooldag en eindigt voor dag T",
            )
        window = search.vensters[-1]
        if search.regel == "R-SIGNAAL":
            return (
                f"het venster {span(window.d0, window.end)} bereikte {search.drempel} keer "
                f"ongeoorloofd te laat op {datum(d1)} ({window.total} keer in het hele venster)",
            )
        return (
            f"het venster {span(window.d0, window.end)} bereikte 16 uur op {datum(d1)}: "
            f"{uren(window.reached_total)} {unit} van {span(d0, d1)} "
            f"({window.reached_total} eenheidsminuten, drempel 960)",
            f"de plicht op {datum(d1)} is {timeline.obligation(d1).value}",
        )
    for step in runs:
        if step.melding is melding:
            run = step.run
            end = (
                f"geëindigd op {datum(run.last)}"
                if run.ended
                else f"loopt nog op de peildatum {datum(timeline.peildatum)}: open, zonder "
                "einddatum"
            )
            return (
                f"de reeks {span(run.first, run.last)} bereikte dag T {datum(run.day_t)} "
                f"(28 dagen, vakanties niet meegeteld) en is {end}",
                f"de plicht op dag T is {step.plicht_op_t.value}",
            )
    if melding.soort is Soort.LUXE:
        return (
            "ongeoorloofde afwezigheid met categorie LUXE op opeenvolgende schooldagen "
            f"{span(melding.begindatum, reset_end(melding))}; gemeld ongeacht het aantal uren",
        )
    return ()


def _registration_steps(
    frame: pl.DataFrame,
    school: SchoolConfig,
    timeline: PupilTimeline,
    calendar: SchoolCalendar,
) -> Iterable[RegistrationStep]:
    classified = classify_registrations(frame, school.eenheid)
    names = (
        "datum",
        "lesuur",
        "begin",
        "eind",
        "minuten",
        "status",
        "geoorloofd",
        "categorie",
        "gewicht",
        "telt",
        "luxe",
        "te_laat",
        "aanwezig",
        "dubbel",
    )
    for row in classified.select(names).iter_rows():
        day, lesuur, begin, end, minutes, status, allowed, categorie = row[:8]
        weight, counted, luxe, late, present, duplicate = row[8:]
        outcome = _outcome(
            day, status, allowed, counted, luxe, late, present, duplicate, timeline, calendar
        )
        yield RegistrationStep(
            day,
            lesuur,
            _clock(begin),
            _clock(end),
            minutes,
            str(status),
            str(allowed),
            str(categorie),
            weight if outcome is Uitkomst.TELT else 0,
            outcome,
        )


def _outcome(
    day: dt.date,
    status: str,
    allowed: str,
    counted: bool,
    luxe: bool,
    late: bool,
    present: bool,
    duplicate: bool,
    timeline: PupilTimeline,
    calendar: SchoolCalendar,
) -> Uitkomst:
    if day > timeline.peildatum:
        return Uitkomst.NA_PEILDATUM
    if duplicate:
        return Uitkomst.DUBBEL
    if present and not late:
        return Uitkomst.AANWEZIG
    if status == "NVT":
        return Uitkomst.NVT
    if allowed == "J":
        return Uitkomst.GEOORLOOFD
    if not calendar.is_schooldag(day):
        return Uitkomst.GEEN_SCHOOLDAG
    if timeline.obligation(day) is Obligation.GEEN:
        return Uitkomst.GEEN_PLICHT
    if counted:
        return Uitkomst.TELT
    if luxe:
        return Uitkomst.LUXE
    return Uitkomst.TE_LAAT


def _day_steps(timeline: PupilTimeline, facts: Sequence[DayFact]) -> Iterable[DayStep]:
    present = {fact.datum: fact.present for fact in facts}
    for day in timeline.counted:
        yield DayStep(day.datum, day.units, day.minutes, day.afwezig, present.get(day.datum, False))


def _obligation_spans(
    timeline: PupilTimeline,
    registrations: Sequence[RegistrationStep],
    derived: Sequence[Melding],
    runs: Sequence[RunStep],
) -> Iterable[ObligationSpan]:
    """F4 on the dates that matter: those of absence, luxe and late registrations up to the
    peildatum, the einddatum of each melding (d1 of R-16U) and day T of each run."""
    relevant = {
        r.datum
        for r in registrations
        if r.uitkomst not in (Uitkomst.AANWEZIG, Uitkomst.NVT, Uitkomst.NA_PEILDATUM)
        and r.uitkomst is not Uitkomst.GEEN_SCHOOLDAG
    }
    relevant |= {m.einddatum for m in derived if m.einddatum is not None}
    relevant |= {step.run.day_t for step in runs}
    spans: list[ObligationSpan] = []
    for day in sorted(relevant):
        plicht = timeline.obligation(day)
        if spans and spans[-1].plicht is plicht:
            spans[-1] = spans[-1]._replace(tot=day)
        else:
            spans.append(ObligationSpan(day, day, plicht))
    return spans


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ----- rendering -----


class Line(NamedTuple):
    """One sentence of an explanation and the rule ids it rests on."""

    tekst: str
    regels: tuple[str, ...] = ()
    niveau: int = 0  # 0 = a step, 1 = a detail of the step above


class Section(NamedTuple):
    titel: str
    regels: tuple[str, ...]
    zinnen: tuple[Line, ...]


def datum(day: dt.date) -> str:
    """``3 oktober 2024``."""
    return f"{day.day} {MAANDEN[day.month - 1]} {day.year}"


def span(first: dt.date, last: dt.date) -> str:
    """``2 september 2024 t/m 4 september 2024`` (one date when equal)."""
    return datum(first) if first == last else f"{datum(first)} t/m {datum(last)}"


def uren(unit_minutes: int) -> str:
    """Unit-minutes as hours with a decimal comma: ``18``, ``16,5``."""
    value = round(unit_minutes / 60, 2)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _unit(eenheid: Eenheid) -> str:
    return "lesuren" if eenheid is Eenheid.LESUREN else "klokuren"


def melding_label(melding: Melding) -> str:
    """``V3 2 september 2024 t/m 4 september 2024`` / ``LRV vanaf 2 september 2024 (open)``."""
    code = melding.code.value + (" (herhaalmelding)" if melding.herhaal else "")
    if melding.einddatum is None:
        return f"{code} vanaf {datum(melding.begindatum)} (open, nog zonder einddatum)"
    return f"{code} {span(melding.begindatum, melding.einddatum)}"


def render_sections(explanation: Explanation) -> tuple[Section, ...]:
    """The explanation as titled sections of plain Dutch sentences, in rule-book order."""
    e = explanation
    sections = [_intro(e)]
    if not e.in_leerlingenbestand:
        return tuple(sections)
    sections += [
        _obligation_section(e),
        _registration_section(e),
        _sixteen_section(e),
        _run_section(e),
    ]
    if e.luxe:
        sections.append(_luxe_section(e))
    if e.te_laat_signaal > 0 and e.te_laat:
        sections.append(_signal_section(e))
    sections.append(_decision_section(e))
    return tuple(
        section._replace(titel=f"{index}. {section.titel}") if index else section
        for index, section in enumerate(sections)
    )


def render_lines(explanation: Explanation) -> list[Line]:
    """All sentences of ``render_sections`` in order."""
    return [line for section in render_sections(explanation) for line in section.zinnen]


def render_text(explanation: Explanation) -> str:
    """The text ``verzuim uitleg`` prints: sections, each sentence with its rule ids."""
    out: list[str] = []
    for index, section in enumerate(render_sections(explanation)):
        if index:
            out.append("")
        out.append(section.titel)
        out.append("-" * len(section.titel))
        for line in section.zinnen:
            suffix = f" [{', '.join(line.regels)}]" if line.regels else ""
            out.append(f"{'    ' * line.niveau}- {line.tekst}{suffix}")
    return "\n".join(out) + "\n"


def _intro(e: Explanation) -> Section:
    unit = _unit(e.eenheid)
    lines = [
        Line(f"Peildatum {datum(e.peildatum)}: registraties tot en met die dag tellen.", ()),
    ]
    for rejection in e.invoer_afwijzingen:
        where = f"{rejection.bestand}, regel {rejection.regelnummer}" if rejection.bestand else ""
        lines.append(
            Line(f"Bij het inlezen afgewezen ({where}): {rejection.reden}.", (rejection.regel,))
        )
    if not e.in_leerlingenbestand:
        lines.append(
            Line(
                "De leerling is niet (geldig) in het leerlingenbestand opgenomen: "
                "zonder geboortedatum en BSN/onderwijsnummer wordt niets beoordeeld.",
                ("F4", "V01", "I-LEERLING"),
            )
        )
        return Section(f"Leerling {e.leerlingnummer}", ("F4",), tuple(lines))
    if e.eenheid is Eenheid.LESUREN:
        weight = (
            "de school telt in lesuren: een les van hoogstens 60 minuten weegt 60 "
            "eenheidsminuten (1 lesuur), een langere les zijn minuten"
        )
    else:
        weight = "de school telt in klokuren: elke registratie weegt haar minuten"
    lines.append(
        Line(f"Eenheid: {weight}; de drempel is 960 eenheidsminuten = 16 {unit}.", ("F3",))
    )
    if e.hele_dag_minuten is not None:
        lines.append(
            Line(
                f"Een afwezige dag vraagt minstens {e.hele_dag_minuten} getelde "
                "minuten (hele_dag_minuten).",
                ("F6",),
            )
        )
    for violation in e.identiteit:
        lines.append(
            Line(
                f"De leerling wordt geweigerd: {violation.reden}; alle meldingen "
                "hieronder worden daarom afgewezen.",
                (violation.regel,),
            )
        )
    return Section(f"Leerling {e.leerlingnummer}", ("F3",), tuple(lines))


def _obligation_section(e: Explanation) -> Section:
    lines = [
        Line(
            f"{span(s.van, s.tot)}: {s.plicht.value}"
            + (
                "; op deze dagen telt niets en volgt geen melding"
                if s.plicht is Obligation.GEEN
                else ""
            )
            + ".",
            ("F4",),
        )
        for s in e.plicht
    ]
    if not lines:
        lines = [Line("Geen data met afwezigheid: de plicht speelt geen rol.", ("F4",))]
    return Section("Plicht op de data die ertoe doen (F4)", ("F4",), tuple(lines))


_NOT_COUNTED: dict[Uitkomst, tuple[str, tuple[str, ...]]] = {
    Uitkomst.GEOORLOOFD: ("geoorloofd", ("F2",)),
    Uitkomst.LUXE: ("categorie LUXE: telt voor luxeverzuim, niet voor 16 uur", ("F2", "R-LUXE")),
    Uitkomst.TE_LAAT: ("te laat telt nooit voor 16 uur", ("F2", "R-SIGNAAL")),
    Uitkomst.NVT: ("niet van toepassing", ("F2",)),
    Uitkomst.DUBBEL: ("een latere registratie met dezelfde datum en tijden vervangt deze", ("F1",)),
    Uitkomst.GEEN_SCHOOLDAG: ("geen schooldag (weekend of vakantie)", ("F2",)),
    Uitkomst.GEEN_PLICHT: ("de leerling heeft op die dag geen plicht", ("F4",)),
    Uitkomst.NA_PEILDATUM: ("na de peildatum", ("W-PEILDATUM",)),
}


def _registration_text(group: Sequence[RegistrationStep], e: Explanation) -> Line:
    """One sentence for registrations of one day that F1-F3 treat alike (one or more lessons)."""
    r = group[0]
    allowed = {"J": "geoorloofd", "N": "ongeoorloofd"}.get(r.geoorloofd, "geoorloofd onbekend")
    categorie = f"categorie {r.categorie}" if r.categorie else "zonder categorie"
    numbers = [str(g.lesuur) for g in group if g.lesuur is not None]
    if len(group) == 1:
        lesson = f"lesuur {r.lesuur}" if r.lesuur is not None else "de registratie"
        what = f"{r.begin}-{r.eind}, {r.minuten} minuten"
        verb, each = "telde", ""
    else:
        lesson = (
            f"lesuur {', '.join(numbers)}"
            if len(numbers) == len(group)
            else f"{len(group)} registraties"
        )
        what = f"elk {r.minuten} minuten"
        verb, each = "telden", "elk "
    what += f", {r.status.lower().replace('_', ' ')}, {categorie}, {allowed}"
    if r.uitkomst is Uitkomst.TELT:
        unit = "lesuur" if e.eenheid is Eenheid.LESUREN else "klokuur"
        if r.gewicht != 60:
            unit = "lesuren" if e.eenheid is Eenheid.LESUREN else "klokuren"
        regels: tuple[str, ...] = ("F2", "F3")
        if r.geoorloofd == "":
            regels += ("W-ONBEKEND",)
        return Line(
            f"Op {datum(r.datum)} {verb} {lesson} ({what}) mee: {each}"
            f"{uren(r.gewicht)} {unit} ({r.gewicht} eenheidsminuten).",
            regels,
            1,
        )
    reason, regels = _NOT_COUNTED[r.uitkomst]
    return Line(f"Op {datum(r.datum)} {verb} {lesson} ({what}) niet mee: {reason}.", regels, 1)


def _registration_section(e: Explanation) -> Section:
    lines: list[Line] = []
    days = {d.datum: d for d in e.dagen}
    by_date: dict[dt.date, list[RegistrationStep]] = {}
    for r in e.registraties:
        by_date.setdefault(r.datum, []).append(r)
    unit = _unit(e.eenheid)
    for day, rows in sorted(by_date.items()):
        if all(r.uitkomst is Uitkomst.AANWEZIG for r in rows):
            continue  # only presence: nothing to check
        step = days.get(day)
        if step is None:
            lines.append(Line(f"{datum(day)}: geen getelde afwezigheid.", ("F2",)))
        elif step.afwezig:
            lines.append(
                Line(
                    f"{datum(day)}: {uren(step.eenheidminuten)} {unit} geteld; een "
                    "afwezige dag (geen aanwezigheid"
                    + (
                        f", minstens {e.hele_dag_minuten} minuten"
                        if e.hele_dag_minuten is not None
                        else ""
                    )
                    + ").",
                    ("F2", "F3", "F6"),
                )
            )
        else:
            why = (
                "de leerling was in een andere les aanwezig of te laat"
                if step.aanwezig
                else f"{step.minuten} getelde minuten, minder dan {e.hele_dag_minuten}"
            )
            lines.append(
                Line(
                    f"{datum(day)}: {uren(step.eenheidminuten)} {unit} geteld; geen "
                    f"afwezige dag: {why}.",
                    ("F2", "F3", "F6"),
                )
            )
        present = [r.lesuur for r in rows if r.uitkomst is Uitkomst.AANWEZIG]
        groups: dict[tuple[object, ...], list[RegistrationStep]] = {}
        for r in rows:
            if r.uitkomst is not Uitkomst.AANWEZIG:
                key = (r.uitkomst, r.minuten, r.status, r.geoorloofd, r.categorie, r.gewicht)
                groups.setdefault(key, []).append(r)
        lines += [_registration_text(group, e) for group in groups.values()]
        if present:
            numbers = ", ".join(str(n) for n in present if n is not None) or "een les"
            lines.append(Line(f"Aanwezig (of te laat) in lesuur {numbers}.", ("F6",), 1))
    if not lines:
        lines.append(Line("Geen registraties van afwezigheid of te laat komen.", ("F2",)))
    for day in e.onbekend:
        lines.append(
            Line(
                f"Op {datum(day)} telde afwezigheid zonder vastgelegde "
                "geoorloofd/ongeoorloofd mee als ongeoorloofd; leg de reden vast.",
                ("F2", "W-ONBEKEND"),
            )
        )
    return Section(
        "Registraties, gewicht en afwezige dagen (F1-F3, F6)",
        ("F1", "F2", "F3", "F6"),
        tuple(lines),
    )


def _window_line(window: WindowTry, search: Search, e: Explanation) -> Line:
    stretched = (window.end - window.d0).days + 1 - 28
    extra = f", met {stretched} vakantiedagen verlengd" if stretched > 0 else ""
    if search.regel == "R-SIGNAAL":
        amount = f"{window.total} keer ongeoorloofd te laat"
        goal = f"{search.drempel} keer"
    else:
        amount = f"{uren(window.total)} {_unit(e.eenheid)} ({window.total} eenheidsminuten)"
        goal = "16 uur"
    if window.reached is None:
        verdict = f"{goal} niet bereikt"
    elif search.regel == "R-SIGNAAL":
        verdict = f"{goal} bereikt op {datum(window.reached)}"
    else:
        verdict = (
            f"{goal} bereikt op {datum(window.reached)}, met "
            f"{uren(window.reached_total)} {_unit(e.eenheid)} van "
            f"{span(window.d0, window.reached)}"
        )
    return Line(
        f"Venster {span(window.d0, window.end)}{extra}: {amount}; {verdict}.",
        ("F5", search.regel),
        1,
    )


def _search_lines(search: Search, e: Explanation) -> list[Line]:
    start = (
        "vanaf het begin van de gegevens"
        if search.reset is None
        else f"opnieuw vanaf de dag na {datum(search.reset)}"
    )
    lines = [
        Line(
            f"Telling {start}: elke getelde dag is het begin van een venster van 28 "
            "dagen buiten vakanties.",
            (search.regel, "F5"),
        )
    ]
    lines += [_window_line(window, search, e) for window in search.vensters]
    if not search.vensters:
        more = "" if search.reset is None else " meer"
        lines.append(Line(f"Geen getelde dagen{more}.", (search.regel,), 1))
    if search.long_run is not None:
        run = search.long_run
        lines.append(
            Line(
                f"De reeks {span(run.first, run.last)} bereikte dag T "
                f"{datum(run.day_t)} voordat een venster 16 uur haalde: die reeks "
                "krijgt een LRV/RMC-melding en geen 16-uurmelding; de telling gaat "
                f"verder na {datum(run.last)}.",
                ("R-16U", "R-LRV", "R-RMC"),
                1,
            )
        )
        return lines
    if search.found is None:
        lines.append(Line("Geen venster haalt de drempel: geen melding meer.", (search.regel,), 1))
        return lines
    d0, d1 = search.found
    if search.regel == "R-16U" and search.code is None:
        lines.append(
            Line(
                f"16 uur bereikt van {span(d0, d1)}, maar de plicht op {datum(d1)} geeft"
                " geen 16-uurmelding (geen plicht, of rmc zonder melden_18plus).",
                ("R-16U", "F4"),
            )
        )
    for melding in search.meldingen:
        regels = melding.regels
        lines.append(Line(f"Gevonden: {melding_label(melding)}.", regels, 1))
    if search.regel == "R-16U" and search.run is not None and search.run.last > d1:
        lines.append(
            Line(
                f"{datum(d1)} ligt in de reeks {span(search.run.first, search.run.last)}"
                " die doorloopt: de rest van de reeks telt niet opnieuw; herhaalmeldingen"
                " per 7 dagen zolang ze helemaal in de reeks liggen en voor dag T "
                f"{datum(search.run.day_t)} eindigen.",
                ("R-HERHAAL",),
                1,
            )
        )
    return lines


def _sixteen_section(e: Explanation) -> Section:
    lines: list[Line] = []
    for search in e.zoektochten:
        lines += _search_lines(search, e)
    return Section("16 uur in 4 weken (F5, R-16U, R-HERHAAL)", ("R-16U", "R-HERHAAL"), tuple(lines))


def _run_section(e: Explanation) -> Section:
    lines: list[Line] = []
    for step in e.reeksen:
        run = step.run
        state = (
            f"geëindigd: {datum(step.volgende)} is een schooldag zonder afwezige dag"
            if step.volgende is not None
            else "loopt nog op de peildatum"
        )
        head = (
            f"Reeks van afwezige dagen {span(run.first, run.last)} ({state}); dag T "
            f"= {datum(run.day_t)}"
        )
        if step.melding is not None:
            rule = step.melding.regels
            lines.append(
                Line(
                    f"{head}: dag T bereikt, plicht op dag T {step.plicht_op_t.value}"
                    f": {melding_label(step.melding)}.",
                    ("F7", *rule),
                )
            )
        elif run.reaches_t:
            lines.append(
                Line(
                    f"{head}: dag T bereikt, maar op dag T is de plicht "
                    f"{step.plicht_op_t.value}: geen LRV of RMC.",
                    ("F7", "F4"),
                )
            )
        else:
            lines.append(Line(f"{head}: dag T niet bereikt, dus geen LRV of RMC.", ("F7", "R-LRV")))
    if not lines:
        lines.append(Line("Geen afwezige dagen, dus geen reeks.", ("F6", "F7")))
    return Section("Doorlopend verzuim (F7, R-LRV, R-RMC)", ("F7", "R-LRV", "R-RMC"), tuple(lines))


def _luxe_section(e: Explanation) -> Section:
    unit = _unit(e.eenheid)
    lines = [
        Line(
            f"{datum(day.datum)}: {uren(day.amount)} {unit} ongeoorloofd met categorie LUXE.",
            ("R-LUXE",),
        )
        for day in e.luxe
    ]
    lines.append(
        Line(
            "Opeenvolgende schooldagen met luxeverzuim vormen één periode en één "
            "melding, ongeacht het aantal uren.",
            ("R-LUXE",),
        )
    )
    return Section("Luxeverzuim (R-LUXE)", ("R-LUXE",), tuple(lines))


def _signal_section(e: Explanation) -> Section:
    lines = [
        Line(
            f"De school meldt bij {e.te_laat_signaal} keer ongeoorloofd te laat in een "
            "venster (te_laat_signaal).",
            ("R-SIGNAAL",),
        )
    ]
    for search in e.signaal:
        lines += _search_lines(search, e)
    return Section("Te laat komen (R-SIGNAAL)", ("R-SIGNAAL",), tuple(lines))


def _decision_section(e: Explanation) -> Section:
    lines: list[Line] = []
    unit = _unit(e.eenheid)
    for decision in e.besluiten:
        m = decision.melding
        hours = f", {uren(round(m.uren * 60))} {unit}" if m.uren is not None else ""
        deadline = (
            f", uiterste meldingsdatum {datum(m.uiterste_meldingsdatum)}"
            if m.uiterste_meldingsdatum is not None
            else ""
        )
        verdict = {
            Besluit.VOORGESTELD: "voorgesteld",
            Besluit.BEKEND: "al bekend (eerder gemeld), niet opnieuw voorgesteld",
            Besluit.AFGEWEZEN: "afgewezen",
        }[decision.besluit]
        lines.append(Line(f"{melding_label(m)}{hours}{deadline}: {verdict}.", decision.regels))
        for fact in decision.feiten:
            lines.append(Line(f"Grond: {fact}.", m.regels, 1))
        for violation in decision.schendingen:
            lines.append(
                Line(
                    f"Afgewezen door {violation.regel} ({violation.veld}): {violation.reden}.",
                    (violation.regel,),
                    1,
                )
            )
        if decision.te_laat and m.uiterste_meldingsdatum is not None:
            lines.append(
                Line(
                    f"De uiterste meldingsdatum {datum(m.uiterste_meldingsdatum)} ligt "
                    "voor de peildatum: meld zo snel mogelijk.",
                    ("W-TE-LAAT", "F8"),
                    1,
                )
            )
    for change in e.wijzigingen:
        nummer = f" (DUO-nummer {change.nummer})" if change.nummer else ""
        lines.append(
            Line(
                f"De bekende open {change.code.value}-melding vanaf "
                f"{datum(change.begindatum)}{nummer} krijgt einddatum "
                f"{datum(change.einddatum)}: de reeks is geëindigd.",
                change.regels,
            )
        )
    if not lines:
        lines.append(Line("Geen melding: geen regel van het regelboek is van toepassing.", ()))
    return Section("Besluiten", (), tuple(lines))


__all__ = [
    "Besluit",
    "Decision",
    "Explanation",
    "Line",
    "Section",
    "explain",
    "render_lines",
    "render_sections",
    "render_text",
]
