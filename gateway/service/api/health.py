"""``/healthz`` (the process answers), ``/readyz`` (it can do its work) and ``/metrics``.

``/readyz`` runs each check by name and answers 503 when one fails: ``store`` (a query on the
database), ``certificaat`` (the client certificate readable and valid now; DOMAIN.md 3.4) and
``duo`` (a short mutual-TLS handshake with the endpoint, nothing sent). No check shows key
material; none needs an API key, so put these paths behind the TLS terminator's own rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from gateway.duo.client import tls_context
from gateway.errors import ConfigError
from gateway.metrics import CONTENT_TYPE, StoreCollector, exposition
from gateway.service.api.auth import Context
from gateway.service.api.context import ApiContext
from gateway.settings import DuoSettings, certificate_days_left

router = APIRouter(tags=["beheer"])


@router.get("/healthz", summary="Het proces leeft")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Database, certificaat en DUO bereikbaar",
    responses={503: {"description": "een controle faalt"}},
)
async def readyz(context: Context) -> Response:
    checks = {
        "store": await run_in_threadpool(_check_store, context),
        "certificaat": _check_certificate(context),
        "duo": await _check_duo(context.settings.duo, context.settings.api.ready_timeout_seconds),
    }
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ready else "niet gereed", "controles": checks}
    return Response(orjson.dumps(body), 200 if ready else 503, media_type="application/json")


@router.get("/metrics", summary="Prometheus-metrieken", response_class=Response)
def metrics(context: Context) -> Response:
    duo = context.settings.duo
    pinned = duo.duo_cert if duo.profiel == "2W-be-S" else None
    collector = StoreCollector(context.store, duo.client_cert, context.clock, pinned)
    return Response(exposition(collector), media_type=CONTENT_TYPE)


def _check_store(context: ApiContext) -> dict[str, Any]:
    try:
        with context.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means: not ready
        return {"ok": False, "detail": f"database niet bereikbaar ({type(exc).__name__})"}
    return {"ok": True, "detail": "database bereikbaar"}


def _check_certificate(context: ApiContext) -> dict[str, Any]:
    try:
        days = certificate_days_left(context.settings.duo.client_cert, context.clock())
    except ConfigError as exc:
        return {"ok": False, "detail": str(exc)}
    if days < 0:
        return {"ok": False, "detail": "het clientcertificaat is verlopen", "dagen_over": days}
    return {"ok": True, "detail": f"geldig, nog {days} dagen", "dagen_over": days}


async def _check_duo(duo: DuoSettings, timeout: float) -> dict[str, Any]:
    parts = urlsplit(duo.endpoint)
    host, port = parts.hostname, parts.port or 443
    if parts.scheme != "https" or not host:
        return {"ok": False, "detail": "duo.endpoint is geen https-URL"}
    try:
        password = duo.client_key_password.get_secret_value() if duo.client_key_password else None
        context = tls_context(duo.client_cert, duo.client_key, duo.trust_bundle, password)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return {"ok": False, "detail": f"TLS-instellingen onbruikbaar ({type(exc).__name__})"}
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout
        )
    except TimeoutError:
        return {"ok": False, "detail": f"{host}:{port} antwoordt niet binnen {timeout:g} s"}
    except ssl.SSLError as exc:
        return {"ok": False, "detail": f"TLS-handdruk met {host}:{port} geweigerd ({exc.reason})"}
    except OSError as exc:
        return {"ok": False, "detail": f"{host}:{port} niet bereikbaar ({type(exc).__name__})"}
    writer.close()
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), timeout)
    return {"ok": True, "detail": f"TLS-verbinding met {host}:{port} gelukt"}
