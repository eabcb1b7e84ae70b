"""`verzuim precheck --xml`, `verzuim build` and `verzuim validate` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.documents import document_id
from gateway.messages.commands import run_validate
from gateway.sample.generate import SampleFiles, write_sample_school
from gateway.school import load_school

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return write_sample_school(Path(tmp_path_factory.mktemp("sample")))


def _precheck(sample: SampleFiles, *extra: str) -> object:
    return RUNNER.invoke(
        app,
        ["precheck", "--school", str(sample.school), "--students", str(sample.leerlingen),
         "--registrations", str(sample.lesregistraties), "--format", "json", *extra],
    )  # fmt: skip


def test_precheck_xml_writes_one_valid_document_per_melding(
    sample: SampleFiles, tmp_path: Path
) -> None:
    result = _precheck(sample, "--xml", str(tmp_path / "xml"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    meldingen = json.loads(result.stdout)["meldingen"]  # type: ignore[attr-defined]
    files = sorted((tmp_path / "xml").glob("*.xml"))
    assert len(files) == len(meldingen) > 0
    assert run_validate(files).exit_code == 0


def test_document_ids_are_stable_per_natural_key(sample: SampleFiles, tmp_path: Path) -> None:
    _precheck(sample, "--xml", str(tmp_path / "a"))
    _precheck(sample, "--xml", str(tmp_path / "b"))
    for first in (tmp_path / "a").glob("*.xml"):
        second = tmp_path / "b" / first.name
        ids = [
            text.split("<vz:IdentificatiecodeBedrijfsdocument>")[1].split("<")[0]
            for text in (first.read_text(), second.read_text())
        ]
        assert ids[0] == ids[1]


def test_document_id_differs_per_key(sample: SampleFiles) -> None:
    from gateway.pipeline import run_precheck

    run = run_precheck(sample.school, sample.leerlingen, [sample.lesregistraties])
    school = load_school(sample.school)
    ids = {document_id(school, m) for m in run.result.meldingen}
    assert len(ids) == len(run.result.meldingen)


def test_precheck_xml_without_teksten_exits_2_saying_what_to_add(
    sample: SampleFiles, tmp_path: Path
) -> None:
    school = tmp_path / "school.toml"
    text = sample.school.read_text(encoding="utf-8")
    school.write_text(text.split("[teksten]")[0], encoding="utf-8")
    result = RUNNER.invoke(
        app,
        ["precheck", "--school", str(school), "--students", str(sample.leerlingen),
         "--registrations", str(sample.lesregistraties), "--xml", str(tmp_path / "xml")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "[teksten]" in result.stderr


def test_build_accepts_a_precheck_item_with_identity_and_texts(
    sample: SampleFiles, tmp_path: Path
) -> None:
    item = json.loads(_precheck(sample).stdout)["meldingen"][0]  # type: ignore[attr-defined]
    item.update(bsn="111222333", vermoedelijke_reden="Spijbelen", ondernomen_acties="Gebeld")
    melding = tmp_path / "melding.json"
    melding.write_text(json.dumps(item), encoding="utf-8")
    result = RUNNER.invoke(
        app, ["build", "--school", str(sample.school), "--melding", str(melding)]
    )
    assert result.exit_code == 0, result.stderr
    assert "<vz:MeldenRelatiefVerzuim" in result.stdout
    document = tmp_path / "out.xml"
    document.write_text(result.stdout, encoding="utf-8")
    assert RUNNER.invoke(app, ["validate", str(document)]).exit_code == 0


def test_build_refuses_a_melding_without_ondernomen_acties(
    sample: SampleFiles, tmp_path: Path
) -> None:
    item = json.loads(_precheck(sample).stdout)["meldingen"][0]  # type: ignore[attr-defined]
    item.update(bsn="111222333", vermoedelijke_reden="Spijbelen")
    melding = tmp_path / "melding.json"
    melding.write_text(json.dumps(item), encoding="utf-8")
    result = RUNNER.invoke(
        app, ["build", "--school", str(sample.school), "--melding", str(melding)]
    )
    assert result.exit_code == 1
    assert "ondernomen_acties" in result.stderr
    assert "111222333" not in result.stderr


def test_validate_reports_an_invalid_document_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<vz:MeldenRelatiefVerzuim xmlns:vz="http://verzuim-gateway.example/duo/verzuim/v1"/>'
    )
    result = RUNNER.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "bad.xml" in result.stdout
