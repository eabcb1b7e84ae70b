"""The ``verzuim`` verbs of the message layer: ``build`` (one validated DUO request from JSON) and
``validate`` (XSD validation of documents with readable paths)."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer

from gateway.messages.commands import Operation


def register(app: typer.Typer) -> None:
    """Add ``build`` and ``validate`` to ``app``."""
    app.command()(build)
    app.command()(validate)


def build(
    school: Annotated[Path, typer.Option(help="schoolbestand (TOML)")],
    melding: Annotated[Path, typer.Option(help="melding als JSON (zie xsd/examples/)")],
    operation: Annotated[
        Operation, typer.Option(help="melden, mutatie of intrekken")
    ] = Operation.MELDEN,
) -> None:
    """Maak het gevalideerde DUO-verzoek voor een melding, wijziging of intrekking.

    Voorbeeld: verzuim build --school school.toml --melding melding.json --operation melden
    """
    from gateway.messages.commands import run_build

    result = run_build(
        school, melding, operation, document_id=uuid.uuid4(), now=dt.datetime.now(dt.UTC)
    )
    _finish(result.exit_code, result.stdout, result.stderr)


def validate(
    files: Annotated[list[Path], typer.Argument(help="XML-documenten")],
) -> None:
    """Valideer XML-documenten tegen de schema's in xsd/; elke fout met pad en regel.

    Exitcode 0 als alles geldig is, 1 anders. Voorbeeld: verzuim validate uit/*.xml
    """
    from gateway.messages.commands import run_validate

    result = run_validate(files)
    _finish(result.exit_code, result.stdout, result.stderr)


def _finish(exit_code: int, stdout: str, stderr: str) -> None:
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    raise typer.Exit(exit_code)
