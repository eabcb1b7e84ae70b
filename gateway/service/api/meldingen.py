"""``/v1/meldingen``: submit a melding, read it back, list, change and withdraw (issue 6).

Everything is scoped to the API key's BRINs: a row of another school answers 404, exactly as a
row that does not exist. Writes go to the outbox only; the worker sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Header, Path, Query, Response

from gateway.errors import InputError, MessageError
from gateway.messages import MeldingMutatie
from gateway.model import DuoStatus, KnownMelding, SchoolConfig
from gateway.rules.validation import Violation, check_texts, check_withdrawal
from gateway.service.api.auth import Context, CurrentKey
from gateway.service.api.context import ApiContext
from gateway.service.api.idempotent import Answer, run_idempotent
from gateway.service.api.problems import ProblemError, violations_json
from gateway.service.api.schemas import IntrekkingIn, MeldingIn, WijzigingIn
from gateway.service.api.submit import RefusedError, check_melding, known_violations
from gateway.service.api.tenancy import forbid_foreign_brin, school_for
from gateway.service.api.views import detail_view, href, row_view
from gateway.service.jobs import Runtime, queue_change, queue_withdrawal
from gateway.store import Operation, OutboxRow, State
from gateway.store.api_keys import ApiKey
from gateway.store.outbox_queries import get_row, list_rows, requests_for

router = APIRouter(tags=["meldingen"])
MAX_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="id van de outbox-rij")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="herhaalt het eerste antwoord bij een retry"),
]
_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "in de outbox gezet; de worker verstuurt"}
}
_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"description": "geen geldige API-sleutel"},
    403: {"description": "BRIN hoort niet bij de sleutel (V13)"},
    409: {"description": "bestaat al, of nog niet door DUO geregistreerd"},
    422: {"description": "regels geschonden: fouten met regel, veld en reden"},
}


@router.post(
    "/v1/meldingen",
    status_code=202,
    responses={**_ACCEPTED, **_REFUSED},
    summary="Een melding van het SIS controleren (V01-V13) en in de outbox zetten",
)
def post_melding(
    body: MeldingIn, key: CurrentKey, context: Context, idempotency_key: IdempotencyKey = None
) -> Response:
    """202 met het id en `Location`, of 422 met elke geschonden regel."""
    fingerprint = "POST /v1/meldingen " + body.model_dump_json()
    return run_idempotent(
        context, key, idempotency_key, fingerprint, lambda: _submit(body, key, context)
    )


def _submit(body: MeldingIn, key: ApiKey, context: ApiContext) -> Answer:
    school, violations = school_for(context, key, body.brin, body.vestiging)
    if school is None:
        raise ProblemError(422, "melding afgewezen", fouten=violations_json(violations))
    now = context.clock()
    known = context.store.known_meldingen(school.brin)
    try:
        checked = check_melding(body, school, known, context.today(), now)
    except RefusedError as exc:
        raise ProblemError(
            422, "melding afgewezen", fouten=violations_json(exc.violations)
        ) from None
    today = context.today()

    def still_allowed(fresh: list[KnownMelding]) -> None:
        violations = known_violations(checked.melding, school, fresh, today)
        if violations:  # another request for this pupil was written in the meantime
            raise RefusedError(violations)

    try:
        result = context.store.enqueue(checked.item, now, f"api:{key.prefix}", guard=still_allowed)
    except RefusedError as exc:
        raise ProblemError(
            422, "melding afgewezen", fouten=violations_json(exc.violations)
        ) from None
    if not result.created:
        raise ProblemError(
            409,
            "deze melding (leerling, soort, begindatum) staat al in de outbox",
            headers={"Location": href(result.outbox_id)},
            extra={"id": result.outbox_id, "href": href(result.outbox_id)},
        )
    return _accepted(result.outbox_id, checked.item.document_id)


def _accepted(outbox_id: int, document_id: str, target: int | None = None) -> Answer:
    body: dict[str, object] = {
        "id": outbox_id,
        "toestand": State.QUEUED.value,
        "document_id": document_id,
        "href": href(outbox_id),
    }
    if target is not None:
        body["doel_id"] = target
    return Answer(202, body, href(outbox_id))


@router.get(
    "/v1/meldingen/{outbox_id}",
    responses={404: {"description": "niet gevonden"}},
    summary="Toestand, DUO-nummer en -status en geschiedenis van een melding",
)
def get_melding(outbox_id: RowId, key: CurrentKey, context: Context) -> Response:
    row = _row_or_404(context, key, outbox_id)
    view = detail_view(
        row,
        context.store.audit_trail(row.id),
        requests_for(context.store.engine, row.id),
    )
    return Response(orjson.dumps(view), media_type="application/json")


@router.get("/v1/meldingen", summary="Meldingen van de scholen van de sleutel, per pagina")
def list_meldingen(
    key: CurrentKey,
    context: Context,
    brin: Annotated[str | None, Query(max_length=8)] = None,
    status: Annotated[State | None, Query(description="toestand in de outbox")] = None,
    duo_status: Annotated[Literal["R", "B", "G", "K", "I", "D"] | None, Query()] = None,
    since: Annotated[dt.datetime | None, Query(description="gewijzigd op of na (ISO 8601)")] = None,
    cursor: Annotated[int, Query(ge=0, le=MAX_ID, description="uit `volgende`")] = 0,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> Response:
    """Op id; `volgende` (en de `Link`-header) geeft de volgende pagina zolang er meer is."""
    brins = list(key.brins)
    if brin is not None:
        forbid_foreign_brin(key, brin)
        brins = [brin] if brin in key.brins else []
    page = min(limit or context.settings.api.page_size, context.settings.api.page_size)
    rows = list_rows(
        context.store.engine,
        brins,
        state=status,
        duo_status=DuoStatus(duo_status) if duo_status else None,
        since=_utc(since),
        after_id=cursor,
        limit=page + 1,
    )
    more = len(rows) > page
    rows = rows[:page]
    next_link = None
    if more:
        params = {
            "brin": brin,
            "status": status.value if status else None,
            "duo_status": duo_status,
            "since": since.isoformat() if since else None,
            "limit": limit,
            "cursor": rows[-1].id,
        }
        next_link = "/v1/meldingen?" + urlencode({k: v for k, v in params.items() if v})
    document = {
        "items": [row_view(row) for row in rows],
        "volgende": next_link,
        "cursor": rows[-1].id if more else None,
    }
    headers = {"Link": f'<{next_link}>; rel="next"'} if next_link else None
    return Response(orjson.dumps(document), headers=headers, media_type="application/json")


@router.post(
    "/v1/meldingen/{outbox_id}/wijziging",
    status_code=202,
    responses={**_ACCEPTED, **_REFUSED, 404: {"description": "niet gevonden"}},
    summary="Een wijziging (einddatum, reden, acties, toelichting) in de outbox zetten",
)
def post_wijziging(
    outbox_id: RowId,
    body: WijzigingIn,
    key: CurrentKey,
    context: Context,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Zoals `verzuim change`: alleen voor een melding die DUO heeft geregistreerd."""
    fingerprint = f"POST /v1/meldingen/{outbox_id}/wijziging " + body.model_dump_json()
    return run_idempotent(
        context, key, idempotency_key, fingerprint, lambda: _change(outbox_id, body, key, context)
    )


def _change(outbox_id: int, body: WijzigingIn, key: ApiKey, context: ApiContext) -> Answer:
    row = _row_or_404(context, key, outbox_id)
    school = _school_of(context, row)
    violations = _change_violations(row, body, context.today())
    if violations:
        raise ProblemError(422, "wijziging afgewezen", fouten=violations_json(violations))
    change = MeldingMutatie(
        nummer="",
        einddatum=body.einddatum,
        vermoedelijke_reden=body.vermoedelijke_reden or "",
        ondernomen_acties=body.ondernomen_acties or "",
        toelichting=body.toelichting or "",
    )
    runtime = Runtime(context.settings, school, context.store)
    return _queue_follow_up(
        context, row, "wijziging", lambda: queue_change(runtime, row.id, change, context.clock())
    )


def _change_violations(row: OutboxRow, body: WijzigingIn, today: dt.date) -> list[Violation]:
    given = [body.einddatum, body.vermoedelijke_reden, body.ondernomen_acties, body.toelichting]
    if all(value is None or value == "" for value in given):
        return [
            Violation(
                "I-VERPLICHT",
                "wijziging",
                "geef minstens een van einddatum, "
                "vermoedelijke_reden, ondernomen_acties, toelichting",
            )
        ]
    violations = [
        violation
        for violation in check_texts(
            body.vermoedelijke_reden if body.vermoedelijke_reden is not None else "-",
            body.ondernomen_acties if body.ondernomen_acties is not None else "-",
            body.toelichting or "",
        )
    ]
    if body.einddatum is not None:
        if body.einddatum < row.begindatum:
            violations.append(Violation("V03", "einddatum", "einddatum ligt voor de begindatum"))
        if body.einddatum > today:
            violations.append(
                Violation("V03", "einddatum", f"einddatum {body.einddatum} ligt na vandaag")
            )
    return violations


@router.post(
    "/v1/meldingen/{outbox_id}/intrekking",
    status_code=202,
    responses={**_ACCEPTED, **_REFUSED, 404: {"description": "niet gevonden"}},
    summary="Een intrekking in de outbox zetten (V12)",
)
def post_intrekking(
    outbox_id: RowId,
    body: IntrekkingIn,
    key: CurrentKey,
    context: Context,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Zoals `verzuim withdraw`: niet voor een afgesloten of ingetrokken melding (V12)."""
    fingerprint = f"POST /v1/meldingen/{outbox_id}/intrekking " + body.model_dump_json()
    return run_idempotent(
        context, key, idempotency_key, fingerprint, lambda: _withdraw(outbox_id, body, key, context)
    )


def _withdraw(outbox_id: int, body: IntrekkingIn, key: ApiKey, context: ApiContext) -> Answer:
    row = _row_or_404(context, key, outbox_id)
    school = _school_of(context, row)
    violations = check_withdrawal(row.duo_status or DuoStatus.GEREGISTREERD, body.reden.value)
    violations += check_texts("-", "-", body.toelichting)
    if violations:
        raise ProblemError(422, "intrekking afgewezen", fouten=violations_json(violations))
    runtime = Runtime(context.settings, school, context.store)
    return _queue_follow_up(
        context,
        row,
        "intrekking",
        lambda: queue_withdrawal(runtime, row.id, body.reden, body.toelichting, context.clock()),
    )


def _queue_follow_up(
    context: ApiContext, row: OutboxRow, what: str, queue: Callable[[], int]
) -> Answer:
    """Queue a wijziging or intrekking of ``row`` (``queue`` returns the new outbox id): 202, or
    409 when the melding cannot take it now, or 422 listing the XSD facets the document breaks."""
    try:
        new_id = queue()
    except InputError as exc:
        raise ProblemError(409, str(exc)) from None
    except MessageError as exc:
        fouten = [{"regel": "XSD", "veld": i.path, "reden": i.message} for i in exc.issues]
        raise ProblemError(422, f"{what} afgewezen", fouten=fouten) from None
    new_row = context.store.get(new_id)
    return _accepted(new_id, new_row.document_id if new_row else "", target=row.id)


def _row_or_404(context: ApiContext, key: ApiKey, outbox_id: int) -> OutboxRow:
    row = get_row(context.store.engine, outbox_id, key.brins)
    if row is None:
        raise ProblemError(404, f"geen melding {outbox_id}")
    return row


def _school_of(context: ApiContext, row: OutboxRow) -> SchoolConfig:
    school = context.schools.get(row.brin)
    if school is None:
        violation = Violation("V13", "brin", "deze gateway heeft geen school met deze BRIN")
        raise ProblemError(422, "geen school", fouten=violations_json([violation]))
    if row.operation is not Operation.MELDEN:
        raise ProblemError(409, f"rij {row.id} is een {row.operation.value}, geen melding")
    return school


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    try:
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ProblemError(
            422,
            "since: tijdstip buiten bereik",
            fouten=[{"pad": "query.since", "reden": "tijdstip buiten bereik"}],
        ) from None
