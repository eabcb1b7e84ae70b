"""The explanation of one pupil's outcome (issue 8, ``gateway.rules.explain``): it follows the
rule book's own functions, so its conclusions equal the pre-check's for every pupil."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

import pytest
from builders import D, lessons, school, schooldays, student
from typer.testing import CliRunner

from gateway.cli import app
from gateway.pipeline import PrecheckInputs, PrecheckRun, assess, read_inputs
from gateway.rules.calendar import SchoolCalendar
from gateway.rules.dayfacts import registration_frame
from gateway.rules.explain import Besluit, Explanation, Uitkomst, explain, render_text
from gateway.rules.sixteen_hours import THRESHOLD
from gateway.rules.windows import WindowCounter
from gateway.sample.generate import (
    DUPLICATE,
    INVALID_BSN,
    SPREAD_16U,
    WORKED_EXAMPLE,
    SampleFiles,
    write_sample_school,
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleFiles, PrecheckInputs]:
    files = write_sample_school(Path(tmp_path_factory.mktemp("sample")))
    inputs = read_inputs(
        files.school, files.leerlingen, [files.lesregistraties], None, files.meldingen
    )
    return files, inputs


@pytest.fixture(scope="module")
def sample_run(sample: tuple[SampleFiles, PrecheckInputs]) -> PrecheckRun:
    return assess(sample[1])


def _explain(inputs: PrecheckInputs, pupil: str) -> Explanation:
    assert inputs.peildatum is not None
    export = inputs.export
    return explain(
        inputs.school,
        pupil,
        export.students.get(pupil),
        export.registrations,
        inputs.known,
        inputs.peildatum,
        export.rejections,
    )


def test_conclusions_equal_the_precheck_for_every_pupil_of_the_sample_school(
    sample: tuple[SampleFiles, PrecheckInputs], sample_run: PrecheckRun
) -> None:
    _, inputs = sample
    result = sample_run.result
    proposed = defaultdict(list)
    for melding in result.meldingen:
        proposed[melding.leerlingnummer].append(melding)
    changes = defaultdict(list)
    for change in result.wijzigingen:
        changes[change.leerlingnummer].append(change)
    refused = defaultdict(list)
    for rejection in result.afwijzingen:
        if rejection.bestand is None and rejection.leerlingnummer:
            refused[rejection.leerlingnummer].append(rejection.regel)
    pupils = set(inputs.export.students) | {k.leerlingnummer for k in inputs.known}
    assert len(pupils) > 250
    for pupil in sorted(pupils):
        explanation = _explain(inputs, pupil)
        assert sorted(explanation.voorgesteld, key=repr) == sorted(proposed[pupil], key=repr), pupil
        assert list(explanation.wijzigingen) == changes[pupil], pupil
        refusals = [
            v.regel
            for d in explanation.besluiten
            if d.besluit is Besluit.AFGEWEZEN
            for v in d.schendingen
        ]
        assert refusals == refused[pupil], pupil


def test_counted_registrations_add_up_to_the_counted_days(
    sample: tuple[SampleFiles, PrecheckInputs],
) -> None:
    _, inputs = sample
    for pupil in ("100001", "100005", "100011", "100012", "100018", DUPLICATE):
        explanation = _explain(inputs, pupil)
        per_day: dict[dt.date, int] = defaultdict(int)
        for step in explanation.registraties:
            if step.uitkomst is Uitkomst.TELT:
                per_day[step.datum] += step.gewicht
        assert per_day == {d.datum: d.eenheidminuten for d in explanation.dagen}, pupil


def test_worked_example_explains_window_run_and_decisions() -> None:
    """DOMAIN.md 4.6: 16 hours reached on Wednesday 4 September with 18 lesuren, day T 29 Sep."""
    absent = schooldays(D(2024, 9, 2), D(2024, 10, 11))
    frame = registration_frame(lessons(absent))
    explanation = explain(school(), "231045", student(), frame, [], D(2024, 10, 20))
    first = explanation.zoektochten[0]
    assert first.reset is None and first.found == (D(2024, 9, 2), D(2024, 9, 4))
    window = first.vensters[-1]
    assert (window.d0, window.reached, window.reached_total) == (D(2024, 9, 2), D(2024, 9, 4), 1080)
    assert [m.herhaal for m in first.meldingen] == [False, True, True, True]
    run = explanation.reeksen[0]
    assert (run.run.first, run.run.last, run.run.day_t) == (
        D(2024, 9, 2),
        D(2024, 10, 11),
        D(2024, 9, 29),
    )
    assert run.melding is not None and run.melding.code.value == "LRV"
    assert run.volgende == D(2024, 10, 14)
    assert [d.besluit for d in explanation.besluiten] == [Besluit.VOORGESTELD] * 5
    text = render_text(explanation)
    assert "16 uur bereikt op 4 september 2024, met 18 lesuren" in text
    assert "Op 2 september 2024 telden lesuur 1, 2, 3, 4, 5, 6" in text
    assert "elk 1 lesuur (60 eenheidsminuten)" in text
    assert "dag T = 29 september 2024" in text
    for rule in ("F3", "F4", "F5", "F6", "F7", "F8", "R-16U", "R-HERHAAL", "R-LRV"):
        assert f"{rule}" in explanation.regels


def test_a_long_lesson_weighs_its_minutes_in_lesuren() -> None:
    """F3: a 90-minute block weighs 90 unit-minutes (1.5 lesuur)."""
    block = ((dt.time(8, 30), dt.time(10, 0)),)
    frame = registration_frame(lessons([D(2024, 9, 2)], slots=block))
    explanation = explain(school(), "231045", student(), frame, [], D(2024, 9, 2))
    (step,) = explanation.registraties
    assert (step.uitkomst, step.minuten, step.gewicht) == (Uitkomst.TELT, 90, 90)
    assert "1,5 lesuren (90 eenheidsminuten)" in render_text(explanation)


def test_duplicate_row_is_explained_with_f1(sample: tuple[SampleFiles, PrecheckInputs]) -> None:
    explanation = _explain(sample[1], DUPLICATE)
    assert [s.uitkomst for s in explanation.registraties].count(Uitkomst.DUBBEL) == 1
    assert not explanation.besluiten
    assert "een latere registratie met dezelfde datum en tijden vervangt deze" in render_text(
        explanation
    )


def test_known_melding_is_not_proposed_again(sample: tuple[SampleFiles, PrecheckInputs]) -> None:
    explanation = _explain(sample[1], SPREAD_16U)
    assert [d.besluit for d in explanation.besluiten].count(Besluit.BEKEND) == 1
    assert "al bekend (eerder gemeld)" in render_text(explanation)


def test_pupil_refused_on_input_lists_the_rejection(
    sample: tuple[SampleFiles, PrecheckInputs],
) -> None:
    explanation = _explain(sample[1], INVALID_BSN)
    assert not explanation.in_leerlingenbestand
    assert "V01" in explanation.regels
    text = render_text(explanation)
    assert "Bij het inlezen afgewezen (leerlingen.csv, regel" in text


def test_windows_tried_ends_where_first_reaching_does() -> None:
    """The trace helper next to ``first_reaching`` gives the same answer on random data."""
    rng = random.Random(8)
    calendar = SchoolCalendar(school().vakanties)
    days = schooldays(D(2024, 9, 2), D(2024, 12, 20))
    for _ in range(300):
        dates = sorted(rng.sample(days, rng.randint(0, 40)))
        amounts = [rng.choice((60, 120, 300, 360)) for _ in dates]
        counter = WindowCounter(dates, amounts, calendar)
        start = rng.randint(0, len(dates))
        threshold = rng.choice((THRESHOLD, 5, 600))
        found = counter.first_reaching(start, threshold)
        tried = counter.windows_tried(start, threshold)
        assert len(tried) == (len(dates) - start if found is None else len(tried))
        assert all(w.reached is None for w in tried[:-1])
        last = (tried[-1].d0, tried[-1].reached) if tried and tried[-1].reached else None
        assert last == found


def test_uitleg_cli_prints_the_deciding_window_and_rule_ids(
    sample: tuple[SampleFiles, PrecheckInputs],
) -> None:
    files, _ = sample
    args = [
        "--school",
        str(files.school),
        "--students",
        str(files.leerlingen),
        "--registrations",
        str(files.lesregistraties),
        "--history",
        str(files.meldingen),
    ]
    result = CliRunner().invoke(app, ["uitleg", WORKED_EXAMPLE, *args])
    assert result.exit_code == 0, result.output
    deciding = (
        "het venster 2 september 2024 t/m 29 september 2024 bereikte 16 uur op 4 september "
        "2024: 18 lesuren"
    )
    assert deciding in result.stdout
    assert "1080 eenheidsminuten, drempel 960" in result.stdout
    for rule in ("[R-16U", "R-HERHAAL", "R-LRV", "F4]", "W-TE-LAAT"):
        assert rule in result.stdout
    unknown = CliRunner().invoke(app, ["uitleg", "999999", *args])
    assert unknown.exit_code == 2
    assert "leerlingnummer '999999' komt niet voor" in unknown.output
