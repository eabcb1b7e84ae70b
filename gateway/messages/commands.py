"""The work behind ``verzuim build`` and ``verzuim validate`` (issue 3); the CLI only wires them.

Both return a ``CommandResult`` (exit code, text for stdout, text for stderr) and raise nothing
on bad input: every ``GatewayError`` becomes exit code 1 with its message on stderr. "Now" and
the document id are arguments, so the CLI decides the clock and the id source.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from lxml import etree

from gateway.errors import GatewayError, InputError, XmlIssue
from gateway.messages.build import build_intrekking, build_melden, build_mutatie
from gateway.messages.melding_json import (
    intrekking_from_json,
    melding_from_json,
    mutatie_from_json,
)
from gateway.messages.schema import iter_xmlschema_issues
from gateway.model import SchoolConfig
from gateway.xml import parse_bytes, to_bytes

EXIT_OK = 0
EXIT_FAILED = 1


class Operation(StrEnum):
    """What ``verzuim build`` makes: a new melding, a change, or a withdrawal."""

    MELDEN = "melden"
    MUTATIE = "mutatie"
    INTREKKEN = "intrekken"


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command prints and how it exits."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""


def build_document(
    school: SchoolConfig,
    data: Mapping[str, Any],
    operation: Operation,
    *,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    source: str = "melding.json",
) -> etree._Element:
    """The validated request for one melding JSON object (pure; raises ``GatewayError``)."""
    if operation is Operation.MELDEN:
        melding, leerling, inhoud = melding_from_json(data, source)
        return build_melden(melding, leerling, school, inhoud, document_id=document_id, now=now)
    if operation is Operation.MUTATIE:
        mutatie = mutatie_from_json(data, source)
        return build_mutatie(mutatie, school, document_id=document_id, now=now)
    intrekking = intrekking_from_json(data, source)
    return build_intrekking(intrekking, school, document_id=document_id, now=now)


def run_build(
    school_path: Path,
    melding_path: Path,
    operation: Operation | str = Operation.MELDEN,
    *,
    document_id: str | uuid.UUID,
    now: dt.datetime,
    load_school: Callable[[Path], SchoolConfig] | None = None,
) -> CommandResult:
    """``verzuim build``: read the school TOML and the melding JSON, print the validated request.

    ``load_school`` defaults to ``gateway.school.load_school``.
    """
    try:
        if load_school is None:
            from gateway.school import load_school as default_loader

            load_school = default_loader
        school = load_school(school_path)
        data = _read_json(melding_path)
        element = build_document(
            school,
            data,
            Operation(operation),
            document_id=document_id,
            now=now,
            source=str(melding_path),
        )
    except GatewayError as exc:
        return CommandResult(EXIT_FAILED, stderr=f"{exc}\n")
    except ValueError:
        allowed = ", ".join(item.value for item in Operation)
        return CommandResult(EXIT_FAILED, stderr=f"--operation: kies uit {allowed}\n")
    return CommandResult(EXIT_OK, stdout=to_bytes(element, pretty=True).decode("utf-8"))


def run_validate(paths: Sequence[Path]) -> CommandResult:
    """``verzuim validate FILE...``: check each document against ``xsd/`` with xmlschema.

    Prints one line per problem, ``FILE:LINE: PATH: MESSAGE``, and ``FILE: geldig (ROOT)`` for a
    valid document. Exit code 0 when all are valid, 1 otherwise. Files are read with the safe
    parser: a DOCTYPE, entity or oversized file is refused, not expanded.
    """
    lines: list[str] = []
    failed = False
    for path in paths:
        issues, root_name = _validate_file(path)
        if issues:
            failed = True
            lines.extend(_format_issue(path, issue) for issue in issues)
        else:
            lines.append(f"{path}: geldig ({root_name})")
    if not paths:
        return CommandResult(EXIT_FAILED, stderr="geef een of meer bestanden\n")
    return CommandResult(EXIT_FAILED if failed else EXIT_OK, stdout="\n".join(lines) + "\n")


def _validate_file(path: Path) -> tuple[list[XmlIssue], str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [XmlIssue(path="/", message=f"niet leesbaar: {exc.strerror or exc}")], ""
    try:
        root = parse_bytes(data)
    except GatewayError as exc:
        issues = list(getattr(exc, "issues", ())) or [XmlIssue(path="/", message=str(exc))]
        return issues, ""
    return list(iter_xmlschema_issues(root)), etree.QName(root).localname


def _format_issue(path: Path, issue: XmlIssue) -> str:
    where = f"{path}:{issue.line}" if issue.line else str(path)
    return f"{where}: {issue.path}: {issue.message}"


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path}: bestand niet gevonden") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: niet leesbaar: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: geen geldige JSON (regel {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, Mapping):
        raise InputError(f"{path}: verwacht één JSON-object")
    return data
