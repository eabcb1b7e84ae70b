"""Authentication (401), Idempotency-Key, the body size limit (413) and malformed JSON (422)
of the HTTP API (issue 6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import (
    NOW,
    Harness,
    make_harness,
    melding,
    pki,  # noqa: F401  (fixture)
)
from sqlalchemy import select

from gateway.pki import PkiFiles
from gateway.store import State
from gateway.store.api_keys import ApiKeyStore, key_digest
from gateway.store.schema import api_keys, idempotency


@pytest.fixture
def h(tmp_path: Path, pki: PkiFiles) -> Harness:  # noqa: F811
    return make_harness(tmp_path, pki=pki, max_body_bytes=4096)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "vzk_00000000_" + "A" * 43},
        {"X-API-Key": "geen sleutel"},
        {"Authorization": "Bearer vzk_deadbeef_x"},
        {"Authorization": "Basic dXNlcjpwdw=="},
    ],
)
def test_missing_or_wrong_key_is_401(h: Harness, headers: dict[str, str]) -> None:
    for method, path in (
        ("GET", "/v1/meldingen"),
        ("GET", "/v1/meldingen/1"),
        ("POST", "/v1/meldingen"),
        ("POST", "/v1/precheck"),
    ):
        response = h.client.request(method, path, headers=headers, json=melding())
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401


def test_a_wrong_secret_with_a_real_prefix_is_401(h: Harness) -> None:
    prefix = h.key_a.split("_")[1]
    forged = f"vzk_{prefix}_" + "B" * 43
    assert h.client.get("/v1/meldingen", headers={"X-API-Key": forged}).status_code == 401


def test_bearer_works_and_a_revoked_key_is_401(h: Harness) -> None:
    bearer = {"Authorization": f"Bearer {h.key_a}"}
    assert h.client.get("/v1/meldingen", headers=bearer).status_code == 200
    keys = ApiKeyStore(h.store.engine)
    prefix = h.key_a.split("_")[1]
    assert keys.revoke(prefix, NOW)
    assert not keys.revoke(prefix, NOW)  # already revoked
    assert h.client.get("/v1/meldingen", headers=bearer).status_code == 401


def test_keys_are_stored_hashed_only(h: Harness) -> None:
    with h.store.engine.connect() as connection:
        stored = connection.execute(select(api_keys.c.key_hash, api_keys.c.prefix)).all()
    assert {row.key_hash for row in stored} == {key_digest(h.key_a), key_digest(h.key_b)}
    raw = (h.tmp_path / "verzuim.db").read_bytes()
    assert h.key_a.encode() not in raw and h.key_a.split("_", 2)[2].encode() not in raw


def test_idempotency_key_replays_the_first_answer(h: Harness) -> None:
    headers = h.headers(**{"Idempotency-Key": "poging-1"})
    first = h.client.post("/v1/meldingen", json=melding(), headers=headers)
    again = h.client.post("/v1/meldingen", json=melding(), headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert h.store.counts()[State.QUEUED] == 1
    # across a restart / another API process over the same database
    other = h.new_app()
    third = other.post("/v1/meldingen", json=melding(), headers=headers)
    assert third.status_code == 202 and third.content == first.content
    # without the header the same melding is a duplicate
    plain = h.client.post("/v1/meldingen", json=melding(), headers=h.headers())
    assert plain.status_code == 409


def test_idempotency_key_with_another_body_is_422(h: Harness) -> None:
    headers = h.headers(**{"Idempotency-Key": "poging-2"})
    assert h.client.post("/v1/meldingen", json=melding(), headers=headers).status_code == 202
    other = h.client.post("/v1/meldingen", json=melding(leerlingnummer="7"), headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert h.store.counts()[State.QUEUED] == 1


def test_idempotency_keys_are_per_api_key_and_refusals_are_replayed(h: Harness) -> None:
    headers_a = h.headers(**{"Idempotency-Key": "zelfde"})
    refused = h.client.post("/v1/meldingen", json=melding(bsn="123"), headers=headers_a)
    assert refused.status_code == 422
    replay = h.client.post("/v1/meldingen", json=melding(bsn="123"), headers=headers_a)
    assert replay.status_code == 422 and replay.content == refused.content
    headers_b = h.headers(h.key_b, **{"Idempotency-Key": "zelfde"})
    theirs = h.client.post("/v1/meldingen", json=melding(brin="98YY"), headers=headers_b)
    assert theirs.status_code == 202


def test_errors_that_can_pass_are_not_stored(h: Harness) -> None:
    outbox_id = h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).json()["id"]
    headers = h.headers(**{"Idempotency-Key": "intrekken-1"})
    path = f"/v1/meldingen/{outbox_id}/intrekking"
    assert h.client.post(path, json={"reden": "DUBBEL"}, headers=headers).status_code == 409
    h.accept(outbox_id, "VM9")
    assert h.client.post(path, json={"reden": "DUBBEL"}, headers=headers).status_code == 202
    replay = h.client.post(path, json={"reden": "DUBBEL"}, headers=headers)
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"


def test_a_request_still_running_with_the_key_is_409(h: Harness) -> None:
    key_id = ApiKeyStore(h.store.engine).authenticate(h.key_a)
    assert key_id is not None
    fingerprint_body = melding()
    # the first request reserved the key and has not answered yet (another process)
    from gateway.service.api.schemas import MeldingIn

    fingerprint = (
        "POST /v1/meldingen " + MeldingIn.model_validate(fingerprint_body).model_dump_json()
    )
    import hashlib

    digest = hashlib.sha256(fingerprint.encode()).hexdigest()
    h.app.state.context.idempotency.reserve(key_id.id, "bezig", digest, NOW)
    response = h.client.post(
        "/v1/meldingen", json=fingerprint_body, headers=h.headers(**{"Idempotency-Key": "bezig"})
    )
    assert response.status_code == 409 and response.headers["retry-after"] == "1"
    with h.store.engine.connect() as connection:
        assert connection.execute(select(idempotency.c.status_code)).scalars().all() == [None]


def test_an_idempotency_key_of_the_wrong_form_is_422(h: Harness) -> None:
    response = h.client.post(
        "/v1/meldingen", json=melding(), headers=h.headers(**{"Idempotency-Key": "x" * 256})
    )
    assert response.status_code == 422


def test_a_declared_body_over_the_limit_is_413(h: Harness) -> None:
    big = json.dumps(melding(toelichting="x" * 5000)).encode()
    response = h.client.post(
        "/v1/meldingen", content=big, headers=h.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_streamed_body_over_the_limit_is_413(h: Harness) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"brin": "99XX", "toelichting": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    response = h.client.post(
        "/v1/meldingen", content=chunks(), headers=h.headers(**{"Content-Type": "application/json"})
    )
    assert "content-length" not in response.request.headers  # chunked: counted on the stream
    assert response.status_code == 413


def test_a_false_content_length_does_not_get_past_the_limit(h: Harness) -> None:
    big = json.dumps(melding(toelichting="x" * 5000)).encode()

    def chunks() -> Iterator[bytes]:
        yield big

    response = h.client.post(
        "/v1/meldingen",
        content=chunks(),
        headers=h.headers(**{"Content-Type": "application/json", "Content-Length": "100"}),
    )
    assert response.status_code == 413  # never read past the limit
    assert h.store.counts()[State.QUEUED] == 0


def test_malformed_json_is_422_with_the_position(h: Harness) -> None:
    response = h.client.post(
        "/v1/meldingen",
        content=b'{"brin": "99XX",, }',
        headers=h.headers(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    fout = response.json()["fouten"][0]
    assert fout["pad"] == "body" and fout["type"] == "json_invalid" and fout["positie"] == 16


def test_schema_errors_are_422_with_the_path(h: Harness) -> None:
    body = melding(
        dagen=[{"datum": "2024-10-28", "uren": 6}, {"datum": "28-10-2024", "uren": 6}], onbekend=1
    )
    response = h.client.post("/v1/meldingen", json=body, headers=h.headers())
    assert response.status_code == 422
    paths = {item["pad"]: item["reden"] for item in response.json()["fouten"]}
    assert paths["body.dagen[1].datum"].startswith("verwacht een datum")
    assert paths["body.onbekend"].startswith("onbekende sleutel")


def test_deeply_nested_json_is_not_a_server_error(h: Harness) -> None:
    nested = b"[" * 2000 + b"]" * 2000
    response = h.client.post(
        "/v1/meldingen", content=nested, headers=h.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 422
    assert response.json()["fouten"][0]["pad"] == "body"
