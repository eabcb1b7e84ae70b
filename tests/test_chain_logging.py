"""The whole chain at DEBUG: no BSN or onderwijsnummer of the input in any log line (issue 4)."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from gateway.logging import configure_logging
from gateway.pipeline import run_precheck
from gateway.sample.generate import write_sample_school
from gateway.service.demo import run_chain


def test_no_identity_number_of_the_input_reaches_the_logs(tmp_path: Path) -> None:
    sample = write_sample_school(tmp_path / "school")
    numbers = set()
    with sample.leerlingen.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            numbers.update(value for value in (row["bsn"], row["onderwijsnummer"]) if value)
    assert len(numbers) > 250
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    try:
        logging.getLogger("test").debug("control line with %s", "111222333")
        run_precheck(sample.school, sample.leerlingen, [sample.lesregistraties])
        report = run_chain(sample, tmp_path / "out")
    finally:
        configure_logging("WARNING", "console")
    output = stream.getvalue()
    assert report.sent is not None and report.sent.accepted > 20
    assert output.count("\n") > 50  # the chain did log, at DEBUG
    assert "111222333" not in output  # the control line was masked too
    leaked = [number for number in numbers if number in output]
    assert leaked == []
