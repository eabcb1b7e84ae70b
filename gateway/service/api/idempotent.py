"""``Idempotency-Key``: a retried POST gets the first answer again (issue 6).

The answer is stored in the database (``gateway.store.idempotency``), so it survives a restart
and holds across API processes. Per API key; kept ``[api] idempotency_hours``. Following the IETF
draft *The Idempotency-Key HTTP Header Field*: the same key with another body (or another path)
is 422, a retry while the first request is still running 409. Stored are the final answers (2xx
and 422 for broken rules); other errors (401/403/404/409) are not, so a retry after the cause is
gone runs again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import Response

from gateway.service.api.context import ApiContext
from gateway.service.api.problems import ProblemError, problem
from gateway.store.api_keys import ApiKey
from gateway.store.idempotency import Outcome, StoredAnswer

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_STORED = {200, 201, 202, 422}


@dataclass(frozen=True, slots=True)
class Answer:
    """A JSON answer of a POST handler."""

    status: int
    body: dict[str, Any]
    location: str | None = None
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        headers = dict(self.headers)
        if self.location:
            headers["Location"] = self.location
        return Response(
            orjson.dumps(self.body), self.status, headers=headers, media_type=self.media_type
        )


def run_idempotent(
    context: ApiContext,
    key: ApiKey,
    idempotency_key: str | None,
    fingerprint: str,
    produce: Callable[[], Answer],
) -> Response:
    """``produce()`` once per ``idempotency_key`` (or every time without one)."""
    if idempotency_key is None:
        return produce().response()
    if not _KEY.fullmatch(idempotency_key):
        raise ProblemError(
            422,
            f"{HEADER}: 1 tot 255 zichtbare ASCII-tekens",
            fouten=[{"pad": f"header.{HEADER}", "reden": "vorm klopt niet"}],
        )
    digest = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()
    reservation = context.idempotency.reserve(key.id, idempotency_key, digest, context.clock())
    if reservation.outcome is Outcome.MISMATCH:
        raise ProblemError(422, f"{HEADER} is al gebruikt voor een ander verzoek; kies een nieuwe")
    if reservation.outcome is Outcome.IN_PROGRESS:
        raise ProblemError(
            409,
            f"het eerste verzoek met deze {HEADER} loopt nog; probeer later",
            headers={"Retry-After": "1"},
        )
    if reservation.outcome is Outcome.REPLAY:
        assert reservation.answer is not None
        stored = reservation.answer
        headers = {"Idempotent-Replayed": "true"}
        if stored.location:
            headers["Location"] = stored.location
        media = "application/json" if stored.status_code < 400 else "application/problem+json"
        return Response(stored.body, stored.status_code, headers=headers, media_type=media)
    assert reservation.row_id is not None
    try:
        answer = produce()
    except ProblemError as exc:
        if exc.status != 422:
            context.idempotency.release(reservation.row_id)
            raise
        refused = problem(exc.status, exc.detail, fouten=exc.fouten, extra=exc.extra)
        context.idempotency.complete(
            reservation.row_id, StoredAnswer(422, bytes(refused.body), None)
        )
        return refused
    except BaseException:
        context.idempotency.release(reservation.row_id)
        raise
    response = answer.response()
    if answer.status in _STORED:
        context.idempotency.complete(
            reservation.row_id, StoredAnswer(answer.status, bytes(response.body), answer.location)
        )
    else:
        context.idempotency.release(reservation.row_id)
    return response
