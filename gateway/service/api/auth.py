"""Authentication: every ``/v1`` request carries an API key scoped to BRINs (issue 6).

The key comes in ``X-API-Key`` (or ``Authorization: Bearer``). A missing, malformed, unknown or
revoked key gets 401 with the same answer, so nothing tells which keys exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from gateway.service.api.context import ApiContext, get_context
from gateway.service.api.problems import ProblemError
from gateway.store.api_keys import ApiKey

HEADER = "X-API-Key"
_scheme = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    description="API-sleutel van `verzuim apikey create --brin 99XX` (ook als Bearer-token)",
)


def current_key(
    request: Request,
    context: Annotated[ApiContext, Depends(get_context)],
    header: Annotated[str | None, Security(_scheme)] = None,
) -> ApiKey:
    """The caller's API key, or 401."""
    presented = header
    if not presented:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            presented = token.strip()
    key = context.keys.authenticate(presented) if presented else None
    if key is None:
        raise ProblemError(
            401,
            f"geen geldige API-sleutel; geef hem in de header {HEADER}",
            headers={"WWW-Authenticate": 'Bearer realm="verzuim"'},
        )
    return key


CurrentKey = Annotated[ApiKey, Depends(current_key)]
Context = Annotated[ApiContext, Depends(get_context)]
