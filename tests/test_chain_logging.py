"""The whole chain at DEBUG: no BSN or onderwijsnummer of the input in any log line (issue 4),
now the demo's chain (issue 8): two schools in two vendor formats through ``verzuim sync``."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from gateway.logging import configure_logging
from gateway.sample.vendor import write_demo_schools
from gateway.service.demo import run_demo


def test_no_identity_number_of_the_input_reaches_the_logs(tmp_path: Path) -> None:
    # the demo writes the same schools (same seed) into its own folder; these are the numbers
    schools = write_demo_schools(tmp_path / "schools")
    numbers = schools.bsns | schools.onderwijsnummers
    assert len(numbers) > 300
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    try:
        logging.getLogger("test").debug("control line with %s", "111222333")
        report = run_demo(tmp_path / "out")
    finally:
        configure_logging("WARNING", "console")
    output = stream.getvalue()
    assert report.verzonden.get("accepted", 0) > 40
    assert output.count("\n") > 50  # the chain did log, at DEBUG
    assert "111222333" not in output  # the control line was masked too
    leaked = [number for number in numbers if number in output]
    assert leaked == []
