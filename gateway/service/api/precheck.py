"""``POST /v1/precheck``: the rule book over pupils and registrations sent as JSON.

The same pre-check as ``verzuim precheck`` (``gateway.rules.precheck``) with the same JSON answer
(``gateway.render.precheck_json``); nothing is stored. The body goes through the adapters'
``assemble`` (V01, I-LEERLING, F1, I-TOEKOMST, duplicate ``bron_id``), so a bad item becomes a
rejection naming its JSON path (``$.registraties[3]``) and the other items go on.
"""

from __future__ import annotations

import datetime as dt

import orjson
from fastapi import APIRouter, Response

from adapters.base import AdapterOutput, Where, assemble
from adapters.canonical import ReadStats
from gateway.model import (
    DuoStatus,
    KnownMelding,
    Registration,
    SchoolConfig,
    Student,
)
from gateway.pipeline import PrecheckInputs, assess
from gateway.render import precheck_json
from gateway.rules.dayfacts import last_date
from gateway.service.api.auth import Context, CurrentKey
from gateway.service.api.problems import ProblemError, violations_json
from gateway.service.api.schemas import PrecheckIn
from gateway.service.api.tenancy import school_for

router = APIRouter(tags=["pre-check"])
SOURCE = "registraties"


@router.post(
    "/v1/precheck",
    summary="Pre-check: voorgestelde meldingen, wijzigingen, afwijzingen en waarschuwingen",
    responses={
        403: {"description": "BRIN hoort niet bij de sleutel"},
        422: {"description": "ongeldig verzoek of V13"},
    },
)
def post_precheck(body: PrecheckIn, key: CurrentKey, context: Context) -> Response:
    """Het antwoord is het JSON-document van `verzuim precheck --format json`."""
    school, violations = school_for(context, key, body.brin, None)
    if school is None:
        raise ProblemError(422, "pre-check afgewezen", fouten=violations_json(violations))
    today = context.today()
    export = assemble(_adapter_output(body, school), not_after=today)
    known: list[KnownMelding] = [
        *(context.store.known_meldingen(school.brin) if body.bekende_meldingen else ()),
        *(
            KnownMelding(
                item.leerlingnummer,
                item.code,
                item.begindatum,
                item.einddatum,
                DuoStatus(item.status),
                item.herhaal,
                item.nummer,
            )
            for item in body.historie
        ),
    ]
    peildatum = body.peildatum or last_date(export.registrations)
    # the same day facts, W-PEILDATUM and rule book as ``verzuim precheck``, in this process
    run = assess(PrecheckInputs(school, export, tuple(known), peildatum, "api"), workers=1)
    document = precheck_json(run.result, run.stats)
    return Response(orjson.dumps(document), media_type="application/json")


def _adapter_output(body: PrecheckIn, school: SchoolConfig) -> AdapterOutput:
    output = AdapterOutput()
    for index, student in enumerate(body.leerlingen):
        output.students.append(
            (
                Student(
                    leerlingnummer=student.leerlingnummer,
                    geboortedatum=student.geboortedatum,
                    bsn=student.bsn,
                    onderwijsnummer=student.onderwijsnummer,
                    startkwalificatie=student.startkwalificatie,
                ),
                Where("leerlingen", pad=f"$.leerlingen[{index}]"),
            )
        )
    for index, item in enumerate(body.registraties):
        categorie = item.categorie
        if categorie is None and item.redencode:
            categorie = school.categorie(item.redencode)
        output.registrations.append(
            (
                Registration(
                    leerlingnummer=item.leerlingnummer,
                    datum=item.datum,
                    begintijd=dt.time.fromisoformat(item.begintijd),
                    eindtijd=dt.time.fromisoformat(item.eindtijd),
                    status=item.status,
                    geoorloofd=item.geoorloofd,
                    categorie=categorie,
                    lesuur=item.lesuur,
                    bron_id=item.bron_id,
                ),
                Where(SOURCE, pad=f"$.registraties[{index}]"),
            )
        )
    count = len(body.registraties)
    output.stats.append(ReadStats(SOURCE, "json", read=count, accepted=count))
    return output
