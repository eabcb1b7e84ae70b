"""The bundled sample school through the whole pre-check job: every rule of the rule book occurs
and the designed pupils give exactly the meldingen DOMAIN.md 4.4 predicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.pipeline import PrecheckRun, run_precheck
from gateway.sample.generate import EXPECTED, SCENARIOS, WIJZIGINGEN, write_sample_school


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> PrecheckRun:
    files = write_sample_school(Path(tmp_path_factory.mktemp("sample")))
    return run_precheck(
        files.school, files.leerlingen, [files.lesregistraties], None, files.meldingen
    )


def test_designed_pupils_get_exactly_the_expected_meldingen(sample_run: PrecheckRun) -> None:
    proposed = {
        (m.leerlingnummer, m.code.value, m.begindatum, m.einddatum, m.herhaal)
        for m in sample_run.result.meldingen
        if m.leerlingnummer in SCENARIOS
    }
    expected = {
        (e.leerlingnummer, e.code, e.begindatum, e.einddatum, e.herhaal)
        for e in EXPECTED
        if e.outcome == "voorgesteld"
    }
    assert proposed == expected


def test_background_pupils_get_no_melding(sample_run: PrecheckRun) -> None:
    assert {m.leerlingnummer for m in sample_run.result.meldingen} <= set(SCENARIOS)


def test_r_einde_closes_the_known_open_lrv(sample_run: PrecheckRun) -> None:
    changes = {
        (c.leerlingnummer, c.code.value, c.begindatum, c.einddatum)
        for c in sample_run.result.wijzigingen
    }
    assert changes == set(WIJZIGINGEN)


def test_every_rule_of_the_rule_book_occurs(sample_run: PrecheckRun) -> None:
    result = sample_run.result
    occurring = {rule for m in result.meldingen for rule in m.regels}
    occurring |= {rule for c in result.wijzigingen for rule in c.regels}
    occurring |= {r.regel for r in result.afwijzingen} | {w.regel for w in result.waarschuwingen}
    assert {"R-16U", "R-HERHAAL", "R-LRV", "R-RMC", "R-LUXE", "R-SIGNAAL", "R-EINDE"} <= occurring
    assert {"V01", "F1", "W-ONBEKEND", "W-TE-LAAT"} <= occurring


def test_invalid_identity_refused_with_v01_naming_file_line_and_field(
    sample_run: PrecheckRun,
) -> None:
    v01 = [r for r in sample_run.result.afwijzingen if r.regel == "V01"]
    expected = {e.leerlingnummer for e in EXPECTED if e.outcome == "V01"}
    assert {r.leerlingnummer for r in v01} == expected
    assert all(r.bestand == "leerlingen.csv" and r.regelnummer and r.veld == "bsn" for r in v01)
    assert not {m.leerlingnummer for m in sample_run.result.meldingen} & expected


def test_rows_are_accounted_for(sample_run: PrecheckRun) -> None:
    for stats in sample_run.stats:
        assert stats.read == stats.accepted + stats.rejected + stats.of_rejected_pupils
