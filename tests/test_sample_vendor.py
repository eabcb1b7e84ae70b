"""The demo's two schools in vendor formats (``gateway.sample.vendor``): the VO sample school as a
Magister export gives the same meldingen as the canonical sample school, the primary school's
dagverzuim export gives exactly its designed meldingen, the bad items are refused with the rule
ids, file, line or JSON path and field, and the files are the same for the same seed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from adapters.canonical import CanonicalExport
from adapters.registry import load_export
from gateway.cli import app
from gateway.model import Melding
from gateway.pipeline import PrecheckRun, run_precheck
from gateway.sample.generate import (
    EXPECTED,
    ONBEKEND,
    WIJZIGINGEN,
    SampleFiles,
    write_sample_school,
)
from gateway.sample.vendor import (
    PO_EXPECTED,
    PO_HALVES,
    PO_INVALID_BSN,
    PO_JONG,
    PO_LRV,
    PO_ONBEKEND,
    SEED,
    DemoSchool,
    DemoSchools,
    write_demo_schools,
)
from gateway.school import load_school

TODAY = dt.date(2025, 6, 30)  # the CLI passes today; the term lies before it (I-TOEKOMST)
ROW_COLUMNS = ["leerlingnummer", "datum", "begin", "eind", "status", "geoorloofd", "categorie",
               "lesuur"]  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSchools:
    return write_demo_schools(tmp_path_factory.mktemp("demo"), today=TODAY)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return write_sample_school(tmp_path_factory.mktemp("sample"))


def _run(school: DemoSchool, adapter: str | None = None) -> PrecheckRun:
    return run_precheck(
        school.school,
        school.students,
        list(school.registrations),
        None,
        school.history,
        adapter or school.adapter,
        TODAY,
    )


@pytest.fixture(scope="module")
def vo_run(demo: DemoSchools) -> PrecheckRun:
    return _run(demo.vo)


@pytest.fixture(scope="module")
def po_run(demo: DemoSchools) -> PrecheckRun:
    return _run(demo.po)


def _load(school: DemoSchool, adapter: str) -> tuple[str, CanonicalExport]:
    config = load_school(school.school)
    return load_export(adapter, config, list(school.registrations), school.students, TODAY)


def _rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The registrations without their input position and bron_id, in a fixed order."""
    frame = frame.select(ROW_COLUMNS).with_columns(pl.col("leerlingnummer").cast(pl.Utf8))
    return frame.sort(ROW_COLUMNS, nulls_last=True)


def _key(melding: Melding) -> tuple[object, ...]:
    return (
        melding.leerlingnummer,
        melding.soort,
        melding.code.value,
        melding.begindatum,
        melding.einddatum,
        melding.herhaal,
        melding.regels,
        melding.uren,
        melding.dagen,
    )


# -- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["vo", "po"])
def test_named_and_auto_adapter_read_the_same(demo: DemoSchools, which: str) -> None:
    school = demo.vo if which == "vo" else demo.po
    named, by_name = _load(school, school.adapter)
    chosen, by_auto = _load(school, "auto")
    assert named == chosen == school.adapter
    assert by_name.registrations.height > 0
    assert _rows(by_name.registrations).equals(_rows(by_auto.registrations))
    assert by_name.students == by_auto.students
    assert by_name.rejections == by_auto.rejections


def test_magister_export_holds_the_sample_registrations_except_presence(
    demo: DemoSchools, sample: SampleFiles
) -> None:
    """Magister exports absence only: the canonical sample without its AANWEZIG and NVT rows."""
    config = load_school(sample.school)
    _, canonical = load_export(
        "canonical", config, [sample.lesregistraties], sample.leerlingen, TODAY
    )
    _, magister = _load(demo.vo, "magister")
    statuses = set(canonical.registrations["status"].cast(pl.Utf8))
    assert {"AANWEZIG", "NVT"} <= statuses  # what Magister cannot express is really in the sample
    absence = canonical.registrations.filter(
        ~pl.col("status").cast(pl.Utf8).is_in(["AANWEZIG", "NVT"])
    )
    assert _rows(magister.registrations).equals(_rows(absence))
    assert magister.students == canonical.students


def test_po_registrations_are_day_parts_in_clock_minutes(demo: DemoSchools) -> None:
    _, export = _load(demo.po, "dagverzuim")
    assert export.registrations["lesuur"].null_count() == export.registrations.height
    frame = export.registrations.filter(pl.col("status") == "AFWEZIG")
    lengths = set(frame.select((pl.col("eind") - pl.col("begin")).alias("m"))["m"].to_list())
    assert lengths == {210, 120, 330}  # O 3,5 uur, M 2 uur, D 5,5 uur
    halves = frame.filter(pl.col("leerlingnummer").cast(pl.Utf8) == PO_HALVES)
    assert halves.height == 25 and set(halves["begin"].to_list()) == {13 * 60}
    # each of those afternoons comes with the morning at school (F6: never a whole day)
    present = export.registrations.filter(
        (pl.col("status") == "AANWEZIG") & (pl.col("leerlingnummer").cast(pl.Utf8) == PO_HALVES)
    )
    assert present["datum"].to_list() == halves["datum"].to_list()


# -- the pre-check --------------------------------------------------------------------------------


def test_vo_vendor_export_gives_the_meldingen_of_the_canonical_sample(
    vo_run: PrecheckRun, sample: SampleFiles
) -> None:
    canonical = run_precheck(
        sample.school,
        sample.leerlingen,
        [sample.lesregistraties],
        None,
        sample.meldingen,
        "canonical",
        TODAY,
    )
    assert vo_run.adapter == "magister"
    assert [_key(m) for m in vo_run.result.meldingen] == [
        _key(m) for m in canonical.result.meldingen
    ]
    assert vo_run.result.wijzigingen == canonical.result.wijzigingen
    warnings = {(w.regel, w.leerlingnummer) for w in vo_run.result.waarschuwingen}
    assert warnings == {(w.regel, w.leerlingnummer) for w in canonical.result.waarschuwingen}
    assert ("W-ONBEKEND", ONBEKEND) in warnings  # why Magister and not Somtoday


def test_vo_vendor_export_gives_the_designed_meldingen(
    vo_run: PrecheckRun, demo: DemoSchools
) -> None:
    proposed = {
        (m.leerlingnummer, m.code.value, m.begindatum, m.einddatum, m.herhaal)
        for m in vo_run.result.meldingen
    }
    expected = {
        (e.leerlingnummer, e.code, e.begindatum, e.einddatum, e.herhaal)
        for e in demo.vo.expected
        if e.outcome == "voorgesteld"
    }
    assert demo.vo.expected == EXPECTED
    assert proposed == expected
    changes = {
        (c.leerlingnummer, c.code.value, c.begindatum, c.einddatum)
        for c in vo_run.result.wijzigingen
    }
    assert changes == set(WIJZIGINGEN) == set(demo.vo.wijzigingen)


def test_po_precheck_gives_exactly_the_designed_meldingen(po_run: PrecheckRun) -> None:
    result = po_run.result
    proposed = {
        (m.leerlingnummer, m.code.value, m.begindatum, m.einddatum, m.herhaal)
        for m in result.meldingen
    }
    expected = {
        (e.leerlingnummer, e.code, e.begindatum, e.einddatum, e.herhaal)
        for e in PO_EXPECTED
        if e.outcome == "voorgesteld"
    }
    assert proposed == expected
    assert {m.code.value for m in result.meldingen} == {"V3", "LRV", "L"}
    assert all(m.eenheid.value == "klokuren" for m in result.meldingen)
    assert result.peildatum == dt.date(2024, 12, 20)
    assert not result.wijzigingen
    assert PO_JONG not in {m.leerlingnummer for m in result.meldingen}  # F4: not yet leerplichtig
    assert PO_INVALID_BSN not in {m.leerlingnummer for m in result.meldingen}
    assert ("W-ONBEKEND", PO_ONBEKEND) in {(w.regel, w.leerlingnummer) for w in
                                           result.waarschuwingen}  # fmt: skip
    lrv = next(m for m in result.meldingen if m.code.value == "LRV")
    assert lrv.leerlingnummer == PO_LRV and lrv.regels == ("R-LRV",)


def test_po_afternoons_alone_are_never_whole_days(po_run: PrecheckRun, demo: DemoSchools) -> None:
    """F6: 25 afternoons in a row give 16-uur meldingen, but no run: no follow-up, no LRV, and
    no whole day in the verzuimspecificatie; also without hele_dag_minuten (issue 5: a morning
    or afternoon alone is never a whole absent day)."""
    halves = [m for m in po_run.result.meldingen if m.leerlingnummer == PO_HALVES]
    assert [m.code.value for m in halves] == ["V3", "V3", "V3"]
    assert not any(m.herhaal for m in halves)
    assert all(m.uren == 16.0 for m in halves)
    assert all(not day.hele_dag for m in halves for day in m.dagen)

    text = demo.po.school.read_text(encoding="utf-8")
    without = demo.po.directory / "zonder-hele-dag.toml"
    without.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("hele_dag_minuten"))
        + "\n",
        encoding="utf-8",
    )
    run = run_precheck(
        without, demo.po.students, list(demo.po.registrations), None, None, "dagverzuim", TODAY
    )
    same = [m for m in run.result.meldingen if m.leerlingnummer == PO_HALVES]
    assert [(m.code, m.begindatum, m.einddatum, m.uren, m.dagen) for m in same] == [
        (m.code, m.begindatum, m.einddatum, m.uren, m.dagen) for m in halves
    ]


@pytest.mark.parametrize("which", ["vo", "po"])
def test_bad_items_are_refused_with_rule_file_place_and_field(
    demo: DemoSchools, which: str, vo_run: PrecheckRun, po_run: PrecheckRun
) -> None:
    school, run = (demo.vo, vo_run) if which == "vo" else (demo.po, po_run)
    refused = run.result.afwijzingen
    got = sorted((r.regel, r.bestand, r.veld, r.leerlingnummer) for r in refused)
    expected = sorted((r.regel, r.bestand, r.veld, r.leerlingnummer) for r in school.rejections)
    assert got == expected  # every designed bad item, and nothing else
    for rejection in refused:
        assert rejection.regelnummer is not None or rejection.reden.startswith("$")
    refused_pupils = {e.leerlingnummer for e in school.expected if e.outcome == "V01"}
    assert refused_pupils == {r.leerlingnummer for r in refused if r.regel == "V01"}
    assert not refused_pupils & {m.leerlingnummer for m in run.result.meldingen}
    for stats in run.stats:  # nothing silently dropped
        assert stats.read == stats.accepted + stats.rejected + stats.of_rejected_pupils
    assert sum(stats.accepted for stats in run.stats) > 0


def test_no_identity_value_in_any_rejection_or_warning(
    demo: DemoSchools, vo_run: PrecheckRun, po_run: PrecheckRun
) -> None:
    values = set(demo.bsns) | set(demo.onderwijsnummers)
    values |= {born.isoformat() for born in demo.geboortedata}
    texts = [
        f"{item.reden} {item.veld}"
        for run in (vo_run, po_run)
        for item in (*run.result.afwijzingen, *run.result.waarschuwingen)
    ]
    assert texts
    assert not [value for value in values if any(value in text for text in texts)]


def test_identities_list_every_value_in_the_student_files(demo: DemoSchools) -> None:
    for school in demo.schools:
        lines = school.students.read_text(encoding="utf-8").splitlines()[1:]
        for line in lines:
            _, bsn, onderwijsnummer, born, _ = line.split(";")
            assert not bsn or bsn in demo.bsns
            assert not onderwijsnummer or onderwijsnummer in demo.onderwijsnummers
            assert born == "2011-02-30" or dt.date.fromisoformat(born) in demo.geboortedata
    assert len(demo.bsns) > 350 and demo.onderwijsnummers


# -- determinism and arguments ------------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_same_bytes_other_seed_same_design(tmp_path: Path) -> None:
    first = write_demo_schools(tmp_path / "a")
    write_demo_schools(tmp_path / "b", seed=SEED)
    other = write_demo_schools(tmp_path / "c", seed=SEED + 1)
    a, b, c = (_files(tmp_path / name) for name in "abc")
    assert a == b
    assert set(a) == set(c) and a != c
    assert first.bsns != other.bsns
    assert [s.expected for s in first.schools] == [s.expected for s in other.schools]


def test_today_inside_the_term_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="I-TOEKOMST"):
        write_demo_schools(tmp_path, today=dt.date(2024, 12, 20))
    assert not any(tmp_path.iterdir())


def test_cli_sample_vendor_writes_both_schools_and_precheck_reads_them(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["sample", "--out", str(tmp_path), "--formaat", "vendor"])
    assert result.exit_code == 0, result.output
    assert "--adapter magister" in result.output and "--adapter dagverzuim" in result.output
    po = tmp_path / "po-proeftuin"
    result = runner.invoke(
        app,
        ["precheck", "--school", str(po / "school.toml"), "--adapter", "auto", "--format",
         "json", "--students", str(po / "leerlingen.csv"),
         "--registrations", str(po / "dagverzuim.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "adapter: dagverzuim (herkend)" in result.stderr
    document = json.loads(result.stdout)
    assert len(document["meldingen"]) == sum(e.outcome == "voorgesteld" for e in PO_EXPECTED)
    assert (tmp_path / "vo-proefschool" / "absenties" / "klas-01.json").is_file()
