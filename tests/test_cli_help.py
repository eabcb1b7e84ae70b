"""Every ``verzuim`` command's ``--help`` has an example (issue 8), and ``verzuim --help`` lists
every verb the README's commands table documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from gateway.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subcommands = getattr(command, "commands", None)  # a group (typer may bring its own click)
    if subcommands:
        found: list[tuple[str, ...]] = []
        for name, sub in sorted(subcommands.items()):
            found += _leaves(sub, (*path, name))
        return found
    return [path]


LEAVES = _leaves(typer.main.get_command(app))


def test_there_are_many_commands() -> None:
    assert len(LEAVES) >= 20  # the tree walk found the verbs (and the check below can fail)


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(p) for p in LEAVES])
def test_every_command_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Voorbeeld" in result.output, " ".join(path)


def test_the_readme_documents_every_verb() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(p) for p in LEAVES if f"verzuim {' '.join(p)}" not in readme]
    assert missing == []
