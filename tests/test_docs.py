"""Docs cannot drift: every CLI --help and every setting appear in docs/ as they are.

Help is rendered as an 80-column terminal prints it (`COLUMNS=80 tillroll … --help`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import click
from click.testing import CliRunner

from tillroll.cli import cli
from tillroll.config import Settings

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
DOCUMENTS = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
# Paths of the machine the project was built on, not of the repository.
_OUTSIDE = re.compile(r"\.\./|/work/|shared/reference|\bseed \d{3}\b|seed-systems")
_LINK = re.compile(r"\]\(([^)#\s]+)[^)]*\)")
COLUMNS = 80


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def help_text(args: list[str]) -> str:
    # A terminal of COLUMNS (or more) columns gets click's width min(columns, 80) - 2.
    width = COLUMNS - 2
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="tillroll", terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


def render_cli_reference() -> str:
    intro = "`tillroll --help` and every subcommand's help, as an 80-column terminal prints them."
    parts = [f"# Command line\n\n{intro}\n"]
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


def test_help_is_rendered_as_an_80_column_terminal_prints_it() -> None:
    tillroll = Path(sys.executable).with_name("tillroll")
    for args in (["demo"], ["export", "receipts"], []):
        printed = subprocess.run(
            [str(tillroll), *args, "--help"],
            env={**os.environ, "COLUMNS": str(COLUMNS)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert printed == help_text(args), args


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    for f in fields(Settings):
        assert f"`TILLROLL_{f.name.upper()}`" in text, f.name


def test_documents_refer_to_nothing_outside_the_repository() -> None:
    for document in DOCUMENTS:
        for n, line in enumerate(document.read_text().splitlines(), 1):
            assert not _OUTSIDE.search(line), f"{document.name}:{n}: {line}"


def test_relative_links_point_at_files_in_the_repository() -> None:
    for document in DOCUMENTS:
        for target in _LINK.findall(document.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = (document.parent / target).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), f"{document.name}: {target}"
