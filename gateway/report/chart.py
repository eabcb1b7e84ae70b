"""The per-pupil timeline of the report as inline SVG, drawn by hand (no plotting library).

One column per calendar day of the school period; from top to bottom: the months, the counted
absence per day (F2, F3; black = afwezige dag F6, outlined = part of a day, cross-hatched = LUXE,
a dot = late arrival), the holidays (hatched, with their name), the four-week windows that
reached 16 hours with the day they did (F5, R-16U), the runs of continuous absence with day T
(F7, R-LRV), and the meldingen as bars (solid = proposed, grey = already known, dashed =
refused). Everything has a text label or a pattern so that it reads in black and white, and a
``<title>`` for the screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from gateway.rules.explain import Besluit, Decision, Explanation, datum, melding_label, span, uren

LEFT = 118  # room for the lane labels
RIGHT = 12
WIDTH = 920
BAR_HEIGHT = 54  # the absence lane
LANE = 18
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


class _Scale:
    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = first
        self.days = max((last - first).days + 1, 1)
        self.step = (WIDTH - LEFT - RIGHT) / self.days

    def x(self, day: dt.date) -> float:
        return LEFT + (day - self.first).days * self.step

    def width(self, first: dt.date, last: dt.date) -> float:
        return max((last - first).days + 1, 1) * self.step

    def clip(self, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
        end = self.first + dt.timedelta(days=self.days - 1)
        if last < self.first or first > end:
            return None
        return max(first, self.first), min(last, end)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _text(x: float, y: float, label: str, anchor: str = "start", size: int = 10) -> str:
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(label)}</text>"
    )


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _pack(items: Sequence[tuple[dt.date, dt.date]]) -> list[int]:
    """Greedy lanes so that bars in one lane do not overlap."""
    ends: list[dt.date] = []
    lanes: list[int] = []
    for first, last in items:
        for index, end in enumerate(ends):
            if first > end:
                ends[index] = last
                lanes.append(index)
                break
        else:
            ends.append(last)
            lanes.append(len(ends) - 1)
    return lanes


def timeline_svg(e: Explanation, first: dt.date, last: dt.date) -> str:
    """The SVG timeline of one pupil's explanation over the school period ``[first, last]``."""
    scale = _Scale(first, last)
    parts: list[str] = []
    y = 14
    # months
    day = first
    while day <= last:
        if day == first or day.day == 1:
            parts.append(
                f'<line x1="{_f(scale.x(day))}" y1="2" x2="{_f(scale.x(day))}" '
                f'y2="{y + 4}" class="tick"/>'
            )
            parts.append(_text(scale.x(day) + 2, y, f"{MONTHS[day.month - 1]} {day.year}"))
        day += dt.timedelta(days=1)
    top = y + 8
    # absence lane
    parts.append(_text(4, top + BAR_HEIGHT / 2 + 4, "verzuim per dag"))
    for vakantie in e.vakanties:
        clipped = scale.clip(vakantie.van, vakantie.tot)
        if clipped is None:
            continue
        x = scale.x(clipped[0])
        parts.append(
            f'<rect class="vakantie" x="{_f(x)}" y="{top}" '
            f'width="{_f(scale.width(*clipped))}" height="{BAR_HEIGHT}" fill="url(#p-vakantie)">'
            f"{_title(f'vakantie {vakantie.naam}: {span(vakantie.van, vakantie.tot)}')}</rect>"
        )
        parts.append(_text(x + 2, top + 10, vakantie.naam or "vakantie", size=9))
    peak = max([360, *(d.eenheidminuten for d in e.dagen), *(d.amount for d in e.luxe)])
    for dag in e.dagen:
        if scale.clip(dag.datum, dag.datum) is None:
            continue
        height = BAR_HEIGHT * dag.eenheidminuten / peak
        kind = "afwezig" if dag.afwezig else "deels"
        label = "afwezige dag" if dag.afwezig else "deels afwezig"
        parts.append(
            f'<rect class="dag {kind}" x="{_f(scale.x(dag.datum) + 0.5)}" '
            f'y="{_f(top + BAR_HEIGHT - height)}" width="{_f(max(scale.step - 1, 1))}" '
            f'height="{_f(height)}">'
            f"{_title(f'{datum(dag.datum)}: {uren(dag.eenheidminuten)} uur geteld, {label}')}"
            "</rect>"
        )
    for luxe in e.luxe:
        if scale.clip(luxe.datum, luxe.datum) is None:
            continue
        height = BAR_HEIGHT * luxe.amount / peak
        parts.append(
            f'<rect class="dag luxe" x="{_f(scale.x(luxe.datum) + 0.5)}" '
            f'y="{_f(top + BAR_HEIGHT - height)}" width="{_f(max(scale.step - 1, 1))}" '
            f'height="{_f(height)}" fill="url(#p-luxe)">'
            f"{_title(f'{datum(luxe.datum)}: {uren(luxe.amount)} uur luxeverzuim')}</rect>"
        )
    for late in e.te_laat:
        if scale.clip(late.datum, late.datum) is None:
            continue
        parts.append(
            f'<circle class="te-laat" cx="{_f(scale.x(late.datum) + scale.step / 2)}" '
            f'cy="{top + BAR_HEIGHT - 3}" r="2.5">'
            f"{_title(f'{datum(late.datum)}: {late.amount} keer te laat')}</circle>"
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{top + BAR_HEIGHT}" x2="{WIDTH - RIGHT}" '
        f'y2="{top + BAR_HEIGHT}" class="as"/>'
    )
    y = top + BAR_HEIGHT + 8
    # windows that reached the threshold
    reached = [
        (search, search.vensters[-1])
        for search in (*e.zoektochten, *e.signaal)
        if search.vensters and search.vensters[-1].reached is not None
    ]
    lanes = _pack([(w.d0, w.end) for _, w in reached])
    rows = max(lanes, default=-1) + 1
    parts.append(_text(4, y + LANE / 2 + 4, "vensters (F5)"))
    for (search, window), lane in zip(reached, lanes, strict=True):
        clipped = scale.clip(window.d0, window.end)
        if clipped is None or window.reached is None:
            continue
        ly = y + lane * LANE + LANE / 2
        x0, x1 = scale.x(clipped[0]), scale.x(clipped[1]) + scale.step
        hit = scale.x(window.reached) + scale.step / 2
        what = "16 uur" if search.regel == "R-16U" else f"{search.drempel}x te laat"
        parts.append(
            f'<g class="venster"><line x1="{_f(x0)}" y1="{_f(ly)}" x2="{_f(x1)}" y2="{_f(ly)}"/>'
            f'<line x1="{_f(x0)}" y1="{_f(ly - 4)}" x2="{_f(x0)}" y2="{_f(ly + 4)}"/>'
            f'<line x1="{_f(x1)}" y1="{_f(ly - 4)}" x2="{_f(x1)}" y2="{_f(ly + 4)}"/>'
            f'<path d="M{_f(hit)},{_f(ly - 6)} l4,6 l-4,6 l-4,-6 z" class="bereikt"/>'
            f"{_title(f'{search.regel}: venster {span(window.d0, window.end)}, {what} bereikt op {datum(window.reached)}')}"  # noqa: E501
            "</g>"
        )
        when = f"{window.reached.day}-{window.reached.month}"
        parts.append(_text(hit + 6, ly - 2, f"{what} op {when}", size=9))
    y += max(rows, 1) * LANE + 4
    # runs
    parts.append(_text(4, y + LANE / 2 + 4, "reeksen (F7)"))
    for step in e.reeksen:
        run = step.run
        clipped = scale.clip(run.first, run.last)
        if clipped is None:
            continue
        x = scale.x(clipped[0])
        parts.append(
            f'<rect class="reeks" x="{_f(x)}" y="{y + 4}" width="{_f(scale.width(*clipped))}" '
            f'height="{LANE - 8}" fill="url(#p-reeks)">'
            f"{_title(f'reeks {span(run.first, run.last)}, dag T {datum(run.day_t)}')}</rect>"
        )
        if scale.clip(run.day_t, run.day_t) is not None:
            tx = scale.x(run.day_t) + scale.step / 2
            parts.append(
                f'<line class="dag-t" x1="{_f(tx)}" y1="{y}" x2="{_f(tx)}" y2="{y + LANE}"/>'
            )
            parts.append(_text(tx + 2, y + LANE - 2, "T", size=9))
    y += LANE + 4
    # meldingen
    decisions: list[Decision] = list(e.besluiten)
    spans = [(d.melding.begindatum, d.melding.einddatum or e.peildatum) for d in decisions]
    lanes = _pack(spans)
    rows = max(lanes, default=-1) + 1
    parts.append(_text(4, y + LANE / 2 + 4, "meldingen"))
    for decision, (begin, end), lane in zip(decisions, spans, lanes, strict=True):
        clipped = scale.clip(begin, end)
        if clipped is None:
            continue
        m = decision.melding
        x = scale.x(clipped[0])
        width = scale.width(*clipped)
        label = m.code.value + ("-H" if m.herhaal else "") + ("" if m.einddatum else " open")
        ly = y + lane * LANE
        parts.append(
            f'<g class="melding {decision.besluit.value}">'
            f'<rect x="{_f(x)}" y="{ly + 2}" width="{_f(width)}" height="{LANE - 4}"/>'
            f"{_text(x + 2, ly + LANE - 6, label, size=9)}"
            f"{_title(f'{melding_label(m)}: {_verdict(decision)}')}</g>"
        )
    y += max(rows, 1) * LANE + 6
    height = y
    label = quoteattr(
        f"Tijdlijn van leerling {e.leerlingnummer}: verzuim per dag, vakanties, vensters, "
        "reeksen en meldingen"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tijdlijn" role="img" '
        f'id="grafiek-{e.leerlingnummer}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" aria-label={label}>{"".join(parts)}</svg>'
    )


def _verdict(decision: Decision) -> str:
    return {
        Besluit.VOORGESTELD: "voorgesteld",
        Besluit.BEKEND: "al bekend",
        Besluit.AFGEWEZEN: "afgewezen",
    }[decision.besluit]


_DEFS = (
    "<defs>"
    '<pattern id="p-vakantie" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#999" '
    'stroke-width="1.5"/></pattern>'
    '<pattern id="p-luxe" width="5" height="5" patternUnits="userSpaceOnUse">'
    '<path d="M0,0 L5,5 M5,0 L0,5" stroke="#000" stroke-width="1"/></pattern>'
    '<pattern id="p-reeks" width="4" height="4" patternUnits="userSpaceOnUse">'
    '<rect width="4" height="4" fill="#ddd"/><circle cx="2" cy="2" r="0.9" fill="#000"/>'
    "</pattern>"
    "</defs>"
)

PATTERNS_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" aria-hidden="true" '
    f'style="position:absolute">{_DEFS}</svg>'
)
"""The patterns every timeline refers to; once per page (ids must be unique)."""
