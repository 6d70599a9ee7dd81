"""Docs cannot drift: every CLI --help and every setting appear in docs/ as they are."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import click
from click.testing import CliRunner

from tillroll.cli import cli
from tillroll.config import Settings

DOCS = Path(__file__).parents[1] / "docs"


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def help_text(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="tillroll", terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def render_cli_reference() -> str:
    parts = ["# Command line\n\n`tillroll --help` and every subcommand's help, as they are.\n"]
    for args in _commands(cli, []):
        title = " ".join(["tillroll", *args])
        parts.append(f"\n## `{title}`\n\n```\n{help_text(args)}```\n")
    return "".join(parts)


def test_cli_reference_matches_help() -> None:
    assert (DOCS / "cli.md").read_text() == render_cli_reference(), (
        "docs/cli.md is stale: regenerate it with "
        "`python -c 'from tests.test_docs import *; print(render_cli_reference(), end=\"\")' "
        "> docs/cli.md`"
    )


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    for f in fields(Settings):
        assert f"`TILLROLL_{f.name.upper()}`" in text, f.name
