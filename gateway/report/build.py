"""The report (issue 8): what the pre-check found, per soort and status, with deadlines, a
timeline and the explanation per pupil, the rejected rows and a glossary of the rule ids.

``write_report`` writes one self-contained HTML file (inline CSS and SVG, no scripts, fonts or
other network resources) or a Markdown summary for e-mail. Templates are package data under
``gateway/report/templates/`` (read with ``importlib.resources``). Pupils appear by
leerlingnummer only: no BSN, onderwijsnummer, name or birth date is passed to the templates, and
free texts (rejection reasons) go through ``mask_identity_numbers`` as well.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import jinja2
import polars as pl
from markupsafe import Markup

from gateway.errors import InputError
from gateway.logging import mask_identity_numbers
from gateway.model import Melding, Rejection, WireCode
from gateway.pipeline import PrecheckInputs, PrecheckRun
from gateway.report.chart import PATTERNS_SVG, timeline_svg
from gateway.report.rules_text import rule_text
from gateway.rules.explain import (
    Besluit,
    Explanation,
    Line,
    Section,
    datum,
    explain,
    melding_label,
    render_sections,
    render_text,
)

FORMATS = ("html", "md")
CODES = tuple(code.value for code in WireCode)
_RULE_ID = re.compile(r"^(F[1-8]|R-[A-Z0-9]+|V\d\d|W-[A-Z-]+|I-[A-Z]+)$")


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """What the report shows of one outbox row (never the identity or the XML)."""

    leerlingnummer: str
    operation: str
    code: str
    begindatum: dt.date
    einddatum: dt.date | None
    state: str
    duo_status: str | None
    duo_nummer: str | None


@dataclass(frozen=True, slots=True)
class PupilSection:
    leerlingnummer: str
    explanation: Explanation
    svg: Markup
    sections: tuple[Section, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Deadline:
    melding: Melding
    label: str
    passed: bool


@dataclass(slots=True)
class ReportData:
    """Everything the templates show."""

    school: str
    brin: str
    peildatum: dt.date | None
    eenheid: str
    period: tuple[dt.date, dt.date] | None
    per_code: dict[str, Counter[str]]
    besluit_kolommen: tuple[str, ...]
    history: dict[str, Counter[str]]
    history_statuses: tuple[str, ...]
    outbox: Sequence[OutboxEntry] | None
    outbox_states: tuple[str, ...]
    outbox_per_code: dict[str, Counter[str]]
    duo_statuses: tuple[str, ...]
    outbox_duo: dict[str, Counter[str]]
    deadlines: list[Deadline]
    pupils: list[PupilSection]
    rejections: list[Rejection]
    warnings: Counter[str]
    wijzigingen: int
    rules: list[tuple[str, str]] = field(default_factory=list)


def outbox_entries(rows: Iterable[object]) -> list[OutboxEntry]:
    """``OutboxEntry`` per ``gateway.store`` ``OutboxRow`` (read with ``Store.list``)."""
    from gateway.store.records import OutboxRow

    entries = []
    for row in rows:
        assert isinstance(row, OutboxRow)
        entries.append(
            OutboxEntry(
                row.leerlingnummer,
                row.operation.value,
                row.code.value,
                row.begindatum,
                row.einddatum,
                row.state.value,
                row.duo_status.value if row.duo_status is not None else None,
                row.duo_nummer,
            )
        )
    return entries


def build_report(
    inputs: PrecheckInputs, run: PrecheckRun, outbox: Sequence[OutboxEntry] | None = None
) -> ReportData:
    """The report's content: explanations of every pupil with a derived melding or change."""
    result = run.result
    peildatum = result.peildatum
    frame = inputs.export.registrations
    pupils: list[PupilSection] = []
    period: tuple[dt.date, dt.date] | None = None
    if peildatum is not None:
        first = frame.get_column("datum").min()
        start = first if isinstance(first, dt.date) and first <= peildatum else peildatum
        period = (start, peildatum)
        wanted = sorted(
            {m.leerlingnummer for m in result.meldingen}
            | {c.leerlingnummer for c in result.wijzigingen}
            | {r.leerlingnummer for r in result.afwijzingen if r.leerlingnummer and not r.bestand}
            | {k.leerlingnummer for k in inputs.known}
        )
        pupils = list(_pupil_sections(inputs, wanted, peildatum, period))
    per_code: dict[str, Counter[str]] = {code: Counter() for code in CODES}
    for pupil in pupils:
        for decision in pupil.explanation.besluiten:
            per_code[decision.melding.code.value][decision.besluit.value] += 1
    history: dict[str, Counter[str]] = {code: Counter() for code in CODES}
    for item in inputs.known:
        history[item.code.value][item.status.value] += 1
    deadlines = [
        Deadline(m, melding_label(m), m.uiterste_meldingsdatum < peildatum)
        for m in result.meldingen
        if m.uiterste_meldingsdatum is not None and peildatum is not None
    ]
    deadlines.sort(key=lambda d: (d.melding.uiterste_meldingsdatum, d.melding.leerlingnummer))
    outbox_per_code: dict[str, Counter[str]] = {code: Counter() for code in CODES}
    outbox_duo: dict[str, Counter[str]] = {code: Counter() for code in CODES}
    for entry in outbox or ():
        outbox_per_code.setdefault(entry.code, Counter())[entry.state] += 1
        if entry.duo_status is not None:
            outbox_duo.setdefault(entry.code, Counter())[entry.duo_status] += 1
    from gateway.model import DuoStatus
    from gateway.store.records import State

    data = ReportData(
        school=run.school.naam,
        brin=f"{run.school.brin}{run.school.vestiging}",
        peildatum=peildatum,
        eenheid=run.school.eenheid.value,
        period=period,
        per_code=per_code,
        besluit_kolommen=tuple(b.value for b in Besluit),
        history=history,
        history_statuses=tuple(s.value for s in DuoStatus),
        outbox=outbox,
        outbox_states=tuple(s.value for s in State),
        outbox_per_code=outbox_per_code,
        duo_statuses=tuple(s.value for s in DuoStatus),
        outbox_duo=outbox_duo,
        deadlines=deadlines,
        pupils=pupils,
        rejections=[_masked(r) for r in result.afwijzingen],
        warnings=Counter(w.regel for w in result.waarschuwingen),
        wijzigingen=len(result.wijzigingen),
    )
    data.rules = [(rule, rule_text(rule)) for rule in sorted(_cited(data), key=_rule_order)]
    return data


def _pupil_sections(
    inputs: PrecheckInputs,
    wanted: Sequence[str],
    peildatum: dt.date,
    period: tuple[dt.date, dt.date],
) -> Iterable[PupilSection]:
    frame = inputs.export.registrations
    mine = frame.filter(pl.col("leerlingnummer").cast(pl.String).is_in(pl.Series(wanted).implode()))
    parts = {
        str(key[0]): part for key, part in mine.partition_by("leerlingnummer", as_dict=True).items()
    }
    empty = frame.clear()
    for pupil in wanted:
        explanation = explain(
            inputs.school,
            pupil,
            inputs.export.students.get(pupil),
            parts.get(pupil, empty),
            inputs.known,
            peildatum,
            inputs.export.rejections,
        )
        if not explanation.besluiten and not explanation.wijzigingen:
            continue
        yield PupilSection(
            pupil,
            explanation,
            Markup(timeline_svg(explanation, *period)),
            render_sections(explanation),
            render_text(explanation),
        )


def _masked(rejection: Rejection) -> Rejection:
    from dataclasses import replace

    return replace(rejection, reden=mask_identity_numbers(rejection.reden))


def _cited(data: ReportData) -> set[str]:
    rules = {
        "F2",
        "F3",
        "F4",
        "F5",
        "F6",
        "F7",
        "F8",
        "R-16U",
        "R-HERHAAL",
        "R-LRV",
        "R-RMC",
        "R-EINDE",
        "R-LUXE",
        "R-SIGNAAL",
        "W-TE-LAAT",
    }
    rules |= {r.regel for r in data.rejections} | set(data.warnings)
    for pupil in data.pupils:
        rules |= set(pupil.explanation.regels)
        for decision in pupil.explanation.besluiten:
            rules |= set(decision.regels)
    return rules


def _rule_order(rule: str) -> tuple[int, str]:
    order = {"F": 0, "R": 1, "V": 2, "W": 3, "I": 4}
    return (order.get(rule[0], 5), rule.rjust(12) if rule[0] in "FV" else rule)


def rule_link(rule: str) -> Markup:
    """``<a href="#regel-R-16U">R-16U</a>``."""
    escaped = Markup.escape(rule)
    return Markup(f'<a class="regel" href="#regel-{escaped}">{escaped}</a>')


def _environment(fmt: str) -> jinja2.Environment:
    templates = files("gateway.report").joinpath("templates")

    def load(name: str) -> str:
        return templates.joinpath(name).read_text(encoding="utf-8")

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=fmt == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["datum"] = lambda day: datum(day) if day is not None else "-"
    env.filters["regel"] = rule_link
    env.filters["md"] = _md_cell
    env.globals["rule_id"] = lambda text: bool(_RULE_ID.match(text))
    env.globals["patterns"] = Markup(PATTERNS_SVG)
    env.globals["line_regels"] = _line_rules
    return env


def _line_rules(line: Line) -> tuple[str, ...]:
    return line.regels


def _md_cell(value: object) -> str:
    """A Markdown table cell: no pipes or line breaks."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_report(data: ReportData, fmt: str = "html") -> str:
    """The report as HTML or Markdown text."""
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: kies html of md")
    template = "report.html.j2" if fmt == "html" else "report.md.j2"
    return _environment(fmt).get_template(template).render(data=data)


def write_report(
    inputs: PrecheckInputs,
    run: PrecheckRun,
    out: Path,
    fmt: str = "html",
    outbox: Sequence[OutboxEntry] | None = None,
) -> Path:
    """Write the report of a pre-check run (and optionally the outbox state) to ``out``.

    ``inputs`` and ``run`` are what ``gateway.pipeline.read_inputs`` and ``assess`` return;
    ``fmt`` is ``html`` (one self-contained file) or ``md``. Returns ``out``.
    """
    text = render_report(build_report(inputs, run, outbox), fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(out)
    return out
