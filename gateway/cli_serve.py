"""``verzuim serve`` (the HTTP API, optionally with the worker loop in the same process) and
``verzuim apikey create|list|revoke`` (issue 6). Thin: the API is ``gateway.service.api``, the
keys ``gateway.store.api_keys``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gateway.errors import GatewayError
from gateway.logging import configure_logging
from gateway.service.jobs import Runtime, utc_now
from gateway.settings import Settings, check_settings, load_settings
from gateway.store import open_store
from gateway.store.api_keys import ApiKeyStore

USAGE_ERROR = 2
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="instellingen (TOML); standaard verzuim.toml")
]
apikey_app = typer.Typer(help="API-sleutels van de HTTP-API (per BRIN).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``verzuim serve`` and ``verzuim apikey`` to the ``verzuim`` app."""
    app.command(name="serve")(serve)
    app.add_typer(apikey_app, name="apikey")


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"fout: {message}", markup=False, highlight=False)
    return typer.Exit(USAGE_ERROR)


def _settings(config: Path | None) -> Settings:
    try:
        settings = load_settings(config)
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    configure_logging(settings.logging.level, settings.logging.format)
    return settings


def serve(
    host: Annotated[
        str | None, typer.Option(help="adres; standaard api.host uit de instellingen")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="poort; standaard api.port uit de instellingen")
    ] = None,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="ook de worker (verzenden) draaien")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Start de HTTP-API (OpenAPI op /openapi.json). De API zet meldingen alleen in de outbox;
    met --worker verstuurt hetzelfde proces ze ook (anders: verzuim worker). Stopt netjes op
    SIGTERM of Ctrl-C.

    Voorbeeld: verzuim serve --config /etc/verzuim/verzuim.toml --port 8080 --worker
    """
    from gateway.service.api import create_app
    from gateway.service.api.server import run_server

    settings = _settings(config)
    check = check_settings(settings, utc_now())
    console = Console(stderr=True)
    for warning in check.warnings:
        console.print(f"waarschuwing: {warning}", markup=False)
    if worker:
        try:
            check.raise_for_errors()
        except GatewayError as exc:
            raise _fail(str(exc)) from None
    else:  # the API can run without DUO; /readyz reports what is missing
        for error in check.errors:
            console.print(f"waarschuwing: {error}", markup=False)
    try:
        runtime = Runtime.open(settings)
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    app = create_app(settings, runtime.store, {school.brin: school for school in runtime.schools})
    try:
        run_server(
            app,
            runtime,
            host=host or settings.api.host,
            port=port or settings.api.port,
            worker=worker,
        )
    finally:
        runtime.store.close()


@apikey_app.command("create")
def apikey_create(
    brin: Annotated[list[str], typer.Option("--brin", help="BRIN van de school (herhaalbaar)")],
    naam: Annotated[str, typer.Option(help="omschrijving, bijv. de leverancier")] = "",
    config: ConfigOption = None,
) -> None:
    """Maak een API-sleutel voor een of meer BRIN's. De sleutel wordt een keer getoond en
    alleen als hash bewaard: bewaar hem meteen.

    Voorbeeld: verzuim apikey create --brin 99XX --brin 98YY --naam "SIS-leverancier"
    """
    settings = _settings(config)
    store = open_store(settings.store_url)
    try:
        record, key = ApiKeyStore(store.engine).create(brin, naam, utc_now())
    except GatewayError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    print(key)
    Console(stderr=True).print(
        f"sleutel {record.prefix} voor {', '.join(record.brins)}; bewaar hem nu, hij wordt "
        "niet opnieuw getoond",
        markup=False,
    )


@apikey_app.command("list")
def apikey_list(
    output: Annotated[str, typer.Option("--format", help="table of json")] = "table",
    config: ConfigOption = None,
) -> None:
    """Toon de API-sleutels (naam, BRIN's, ingetrokken), nooit de sleutels zelf.

    Voorbeeld: verzuim apikey list --format json
    """
    settings = _settings(config)
    store = open_store(settings.store_url)
    try:
        keys = ApiKeyStore(store.engine).list()
    finally:
        store.close()
    rows = [
        {
            "prefix": key.prefix,
            "brins": list(key.brins),
            "naam": key.naam,
            "aangemaakt": key.created_at.isoformat(),
            "ingetrokken": key.revoked_at.isoformat() if key.revoked_at else None,
        }
        for key in keys
    ]
    if output == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        print("geen API-sleutels")
    for key in keys:
        state = f"ingetrokken {key.revoked_at.isoformat()}" if key.revoked_at else "actief"
        print(f"{key.prefix}  {','.join(key.brins)}  {state}  {key.naam}")


@apikey_app.command("revoke")
def apikey_revoke(
    prefix: Annotated[str, typer.Argument(help="de prefix uit verzuim apikey list")],
    config: ConfigOption = None,
) -> None:
    """Trek een API-sleutel in; verzoeken met die sleutel krijgen daarna 401.

    Voorbeeld: verzuim apikey revoke 3f9a1c07
    """
    settings = _settings(config)
    store = open_store(settings.store_url)
    try:
        revoked = ApiKeyStore(store.engine).revoke(prefix, utc_now())
    finally:
        store.close()
    if not revoked:
        raise _fail(f"geen actieve sleutel met prefix {prefix}")
    print(f"sleutel {prefix} ingetrokken")
