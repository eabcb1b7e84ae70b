"""A schemathesis run over ``/openapi.json``: valid and invalid requests to every operation,
with a real API key and a real SQLite store, and not one 5xx (issue 6: "no input can produce a
500"). Bounded (``max_examples``) so it takes well under a minute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_harness import Harness, make_harness, melding
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

EXAMPLES = 25


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    h = make_harness(tmp_path_factory.mktemp("fuzz"), max_body_bytes=64 * 1024)
    # a melding that DUO accepted, so that the change and withdrawal paths are reached too
    outbox_id = h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).json()["id"]
    h.accept(outbox_id, "VM000001")
    return h


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_no_input_gives_a_server_error(harness: Harness, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", harness.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9  # 8 paths, /v1/meldingen twice
    calls: list[int] = []

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            for key in (harness.key_a, None):
                headers = {"X-API-Key": key} if key else {}
                response = case.call(headers=headers)
                calls.append(response.status_code)
                if case.path == "/readyz" and response.status_code == 503:
                    continue  # the documented "not ready": no DUO in this test
                assert response.status_code < 500, (
                    case.method,
                    case.path,
                    response.status_code,
                    response.text[:300],
                )
                if response.status_code >= 400:
                    assert "application/problem+json" in response.headers["content-type"]

        try:
            run()
        except Unsatisfiable:  # no parameters or body: nothing invalid to send
            assert mode is GenerationMode.NEGATIVE and operation.method == "get"
    assert len(calls) >= 9 * 2 * 5  # it really ran


def test_the_openapi_document_lists_every_endpoint(harness: Harness, tmp_path: Path) -> None:
    document = harness.client.get("/openapi.json").json()
    assert set(document["paths"]) == {
        "/v1/precheck", "/v1/meldingen", "/v1/meldingen/{outbox_id}",
        "/v1/meldingen/{outbox_id}/wijziging", "/v1/meldingen/{outbox_id}/intrekking",
        "/healthz", "/readyz", "/metrics",
    }  # fmt: skip
    assert "APIKeyHeader" in document["components"]["securitySchemes"]
