"""Error answers of the API as problem details (RFC 9457, ``application/problem+json``).

Every refusal says what is wrong and where: a broken rule of DOMAIN.md as ``{regel, veld,
reden}`` in ``fouten``, a malformed body as ``{pad, reden}`` with the path of the problem. No
answer quotes a BSN or onderwijsnummer; the last-line handler for unexpected errors logs the
error type and the request path only (``gateway.logging`` redacts what else passes) and answers
500 with a reference, never with the exception text.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.logging import get_logger
from gateway.rules.validation import Violation

log = get_logger(__name__)
PROBLEM_TYPE = "application/problem+json"
_TITLES = {
    400: "Ongeldig verzoek",
    401: "Niet aangemeld",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Methode niet toegestaan",
    409: "Conflict",
    413: "Verzoek te groot",
    415: "Verkeerd inhoudstype",
    422: "Verzoek afgewezen",
    500: "Interne fout",
    503: "Niet beschikbaar",
}
_REASONS = {
    "missing": "verplicht",
    "extra_forbidden": "onbekende sleutel; controleer de spelling",
    "json_invalid": "geen geldige JSON",
    "string_type": "verwacht tekst",
    "int_type": "verwacht een geheel getal",
    "int_parsing": "verwacht een geheel getal",
    "int_from_float": "verwacht een geheel getal",
    "float_type": "verwacht een getal",
    "float_parsing": "verwacht een getal",
    "bool_type": "verwacht true of false",
    "bool_parsing": "verwacht true of false",
    "date_type": "verwacht een datum JJJJ-MM-DD",
    "date_parsing": "verwacht een datum JJJJ-MM-DD",
    "date_from_datetime_parsing": "verwacht een datum JJJJ-MM-DD",
    "datetime_parsing": "verwacht een tijdstip JJJJ-MM-DDTUU:MM:SSZ",
    "datetime_type": "verwacht een tijdstip JJJJ-MM-DDTUU:MM:SSZ",
    "list_type": "verwacht een lijst",
    "model_attributes_type": "verwacht een object",
    "dict_type": "verwacht een object",
    "enum": "kies een van de toegestane waarden",
    "literal_error": "kies een van de toegestane waarden",
    "string_pattern_mismatch": "vorm klopt niet",
    "string_too_long": "te lang",
    "string_too_short": "te kort",
    "too_long": "te veel elementen",
    "greater_than_equal": "te klein",
    "less_than_equal": "te groot",
    "greater_than": "te klein",
    "less_than": "te groot",
}


#: What FastAPI raises (as 400) when reading the body fails other than by a JSON syntax error.
_FASTAPI_UNPARSABLE = "There was an error parsing the body"


class ProblemError(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        fouten: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.fouten = list(fouten)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem(
    status: int,
    detail: str,
    *,
    fouten: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """A problem document: ``type``, ``title``, ``status``, ``detail`` and, when given, the
    list ``fouten``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Fout"),
        "status": status,
        "detail": detail,
    }
    if fouten:
        body["fouten"] = list(fouten)
    body.update(extra or {})
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_TYPE)


def violations_json(violations: Sequence[Violation]) -> list[dict[str, str]]:
    """Broken rules as ``{regel, veld, reden}`` (DOMAIN.md 4.5)."""
    return [{"regel": v.regel, "veld": v.veld, "reden": v.reden} for v in violations]


def error_path(loc: Sequence[int | str]) -> str:
    """``("body", "registraties", 3, "datum")`` -> ``body.registraties[3].datum``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def validation_fouten(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI/pydantic errors as ``{pad, reden, type}``, the value never quoted."""
    fouten = []
    for error in errors:
        kind = str(error.get("type", ""))
        loc = list(error.get("loc", ()))
        item: dict[str, Any] = {
            "pad": error_path(loc),
            "reden": _REASONS.get(kind, "ongeldig"),
            "type": kind,
        }
        if kind == "json_invalid":  # FastAPI puts the character position in the location
            position = [part for part in loc[1:] if isinstance(part, int)]
            item["pad"] = "body"
            if position:
                item["positie"] = position[0]
        fouten.append(item)
    return fouten


def install_handlers(app: FastAPI) -> None:
    """Problem documents for every error: rule violations, bad bodies, HTTP errors, and a last
    line for anything unexpected."""

    async def on_problem(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem(
            exc.status, exc.detail, fouten=exc.fouten, headers=exc.headers, extra=exc.extra
        )

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem(
            422,
            "het verzoek past niet bij het schema (zie /openapi.json)",
            fouten=validation_fouten(exc.errors()),
        )

    async def on_http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.detail == _FASTAPI_UNPARSABLE:  # e.g. nested too deep
            return problem(
                422,
                "de inhoud is geen bruikbare JSON",
                fouten=[
                    {
                        "pad": "body",
                        "reden": "niet te lezen (bijv. te diep genest)",
                        "type": "json_invalid",
                    }
                ],
            )
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        return problem(exc.status_code, detail, headers=exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        reference = uuid.uuid4().hex[:12]
        log.error(
            "onverwachte fout in de API",
            error_type=type(exc).__name__,
            path=request.url.path,
            method=request.method,
            referentie=reference,
        )
        return problem(500, f"onverwachte fout; referentie {reference} staat in het log")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
