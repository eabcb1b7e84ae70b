"""`verzuim build` and `verzuim validate` as plain functions (gateway/messages/commands.py)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from gateway.messages import read_request, xsd_dir
from gateway.messages.commands import (
    EXIT_FAILED,
    EXIT_OK,
    CommandResult,
    run_build,
    run_validate,
)
from gateway.xml import canonical

EXAMPLES = xsd_dir() / "examples"
NOW = dt.datetime(2024, 9, 5, 7, 30, tzinfo=dt.UTC)


def _build(
    melding: Path,
    operation: str = "melden",
    document_id: str = "3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a01",
) -> CommandResult:
    return run_build(EXAMPLES / "school.toml", melding, operation, document_id=document_id, now=NOW)


@pytest.mark.parametrize(
    ("json_file", "operation", "example", "document_id"),
    [
        (
            "melding.json",
            "melden",
            "MeldenRelatiefVerzuim.xml",
            "3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a01",
        ),
        (
            "mutatie.json",
            "mutatie",
            "MutatieMeldingRelatiefVerzuim.xml",
            "3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a03",
        ),
        (
            "intrekking.json",
            "intrekken",
            "MutatieMeldingRelatiefVerzuim-intrekking.xml",
            "3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a04",
        ),
    ],
)
def test_build_prints_the_example_document(
    json_file: str, operation: str, example: str, document_id: str
) -> None:
    result = _build(EXAMPLES / json_file, operation, document_id)
    assert result.exit_code == EXIT_OK, result.stderr
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    printed = etree.fromstring(result.stdout.encode(), parser)
    expected = etree.parse(str(EXAMPLES / example), parser).getroot()
    assert canonical(printed) == canonical(expected)


def test_build_reports_every_json_problem(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "melding.json").read_text(encoding="utf-8"))
    data.update(vermoedelijke_reden="", code="V9", onbekend=1)
    path = tmp_path / "melding.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = _build(path)
    assert result.exit_code == EXIT_FAILED
    for key in ("vermoedelijke_reden: verplicht", "code: kies uit", "onbekend: onbekende sleutel"):
        assert key in result.stderr
    assert "111222333" not in result.stderr


def test_build_refuses_an_invalid_bsn_without_repeating_it(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "melding.json").read_text(encoding="utf-8"))
    data["bsn"] = "123456789"
    path = tmp_path / "melding.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = _build(path)
    assert result.exit_code == EXIT_FAILED
    assert "V01" in result.stderr and "123456789" not in result.stderr


def test_build_with_unknown_operation_and_missing_file(tmp_path: Path) -> None:
    assert "kies uit" in _build(EXAMPLES / "melding.json", "verwijderen").stderr
    missing = _build(tmp_path / "nope.json")
    assert missing.exit_code == EXIT_FAILED and "niet gevonden" in missing.stderr


def test_build_output_reads_back() -> None:
    result = _build(EXAMPLES / "melding.json")
    back = read_request(result.stdout.encode())
    assert back.kop.document_id == "3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a01"


def test_validate_all_examples_is_exit_0() -> None:
    paths = sorted(EXAMPLES.glob("*.xml"))
    result = run_validate(paths)
    assert result.exit_code == EXIT_OK
    assert result.stdout.count(": geldig (") == len(paths)


def test_validate_prints_every_error_with_path_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "twee-fouten.xml"
    text = (EXAMPLES / "MeldenRelatiefVerzuim.xml").read_text(encoding="utf-8")
    text = text.replace("<vz:Verzuimsoort>V3<", "<vz:Verzuimsoort>V9<")
    text = text.replace("<vz:Brin>99XX<", "<vz:Brin>99xx<")
    broken.write_text(text, encoding="utf-8")
    result = run_validate([EXAMPLES / "DC0001-Bevestiging.xml", broken])
    assert result.exit_code == EXIT_FAILED
    lines = [line for line in result.stdout.splitlines() if str(broken) in line]
    assert len(lines) == 2
    assert lines[0].startswith(f"{broken}:9: /MeldenRelatiefVerzuim/Onderwijsinstelling/Brin:")
    assert "/MeldenRelatiefVerzuim/Verzuimsoort:" in lines[1]
    assert "DC0001-Bevestiging.xml: geldig (Bevestiging)" in result.stdout


def test_validate_refuses_unsafe_and_unreadable_files(tmp_path: Path) -> None:
    unsafe = tmp_path / "doctype.xml"
    unsafe.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    result = run_validate([unsafe, tmp_path / "missing.xml"])
    assert result.exit_code == EXIT_FAILED
    assert "DOCTYPE" in result.stdout and "niet leesbaar" in result.stdout
    assert "root:" not in result.stdout


def test_validate_without_files_fails() -> None:
    assert run_validate([]).exit_code == EXIT_FAILED


def test_validate_works_from_a_copy_elsewhere(tmp_path: Path) -> None:
    """Validation uses the packaged schemas, not the folder of the file."""
    copy = tmp_path / "melding.xml"
    shutil.copy(EXAMPLES / "MeldenRelatiefVerzuim.xml", copy)
    assert run_validate([copy]).exit_code == EXIT_OK
