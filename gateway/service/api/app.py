"""The FastAPI application of ``verzuim serve`` (issue 6; DESIGN.md 2 "HTTP API").

``create_app`` wires the parts, each in its own module: ``auth`` (API keys), ``limits`` (413 on
the body stream), ``problems`` (problem documents, and the last-line 500), ``precheck``,
``meldingen``, ``health`` (healthz, readyz, metrics). OpenAPI is served at ``/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from fastapi import FastAPI

from gateway.model import SchoolConfig
from gateway.service.api import health, meldingen, precheck
from gateway.service.api.context import ApiContext
from gateway.service.api.limits import BodyLimitMiddleware
from gateway.service.api.problems import install_handlers
from gateway.service.jobs import utc_now
from gateway.settings import Settings
from gateway.store import Store

DESCRIPTION = """\
HTTP-API van verzuim-gateway voor leveranciers van leerlingvolgsystemen en schooltools.

Elke `/v1`-aanroep draagt een API-sleutel (`X-API-Key`) die hoort bij een of meer BRIN's.
Meldingen gaan naar de outbox; de worker verstuurt ze naar DUO. Fouten zijn
`application/problem+json` met per geschonden regel `regel`, `veld` en `reden`.
"""


def create_app(
    settings: Settings,
    store: Store,
    schools: Mapping[str, SchoolConfig],
    clock: Callable[[], dt.datetime] = utc_now,
) -> FastAPI:
    """The API over ``store`` for ``schools`` (by BRIN)."""
    app = FastAPI(
        title="verzuim-gateway",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.context = ApiContext(settings, store, dict(schools), clock)
    install_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.api.max_body_bytes)
    app.include_router(precheck.router)
    app.include_router(meldingen.router)
    app.include_router(health.router)
    return app
