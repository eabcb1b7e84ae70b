"""The fast orjson output and the dict-based JSON document agree (same keys, same values)."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.pipeline import run_precheck
from gateway.render import precheck_json, precheck_json_bytes
from gateway.sample.generate import write_sample_school


def test_orjson_output_equals_the_documented_json(tmp_path: Path) -> None:
    files = write_sample_school(tmp_path)
    run = run_precheck(
        files.school, files.leerlingen, [files.lesregistraties], None, files.meldingen
    )
    assert run.result.meldingen and run.result.wijzigingen and run.result.afwijzingen
    fast = json.loads(precheck_json_bytes(run.result, run.stats))
    documented = json.loads(json.dumps(precheck_json(run.result, run.stats)))
    assert fast == documented
    assert json.loads(precheck_json_bytes(run.result, run.stats, indent=True)) == documented
