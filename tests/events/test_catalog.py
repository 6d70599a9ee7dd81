"""docs/events.md lists every declared event type, each with an example payload that
decodes as the type's payload struct (and nothing that is not declared)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import msgspec
import pytest

import tillroll
from tillroll.events.catalog import TYPES, EventType

DOC = Path(__file__).parents[2] / "docs" / "events.md"
_ENTRY = re.compile(r"^### `([^`]+)`\n\n(.+?)\n\n```json\n(.*?)```", re.M | re.S)
_HEADING = re.compile(r"^### `([^`]+)`", re.M)


def declared() -> list[EventType]:
    """Every type the `tillroll` package declares (each module imported)."""
    for module in pkgutil.walk_packages(tillroll.__path__, "tillroll."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return [t for t in TYPES.values() if t.payload.__module__.startswith("tillroll.")]


def problems(types: list[EventType], text: str) -> list[str]:
    entries = {name: (line, example) for name, line, example in _ENTRY.findall(text)}
    found = [f"{h}: no description and ```json example" for h in _HEADING.findall(text)]
    found = [p for p in found if p.split(":")[0] not in entries]
    names = {t.name for t in types}
    found += [f"{name}: documented but not declared" for name in entries if name not in names]
    for t in types:
        if t.name not in entries:
            found.append(f"{t.name}: not documented")
            continue
        try:
            msgspec.json.decode(entries[t.name][1], type=t.payload, strict=True)
        except msgspec.ValidationError as exc:
            found.append(f"{t.name}: example is not a {t.payload.__name__}: {exc}")
    return found


def test_every_declared_type_is_documented() -> None:
    assert problems(declared(), DOC.read_text()) == []


class Sample(msgspec.Struct):
    n: int


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "sample.done: not documented"),
        ("### `sample.done`\n\nDone.\n\n```json\n{\"n\": \"x\"}\n```\n",
         "sample.done: example is not a Sample: Expected `int`, got `str` - at `$.n`"),
        ("### `sample.done`\n\n```json\n{\"n\": 1}\n```\n",
         "sample.done: no description and ```json example"),
        ("### `sample.done`\n\nDone.\n\n```json\n{\"n\": 1}\n```\n"
         "### `sample.gone`\n\nGone.\n\n```json\n{}\n```\n",
         "sample.gone: documented but not declared"),
    ],
)  # fmt: skip
def test_each_problem_is_reported(text: str, problem: str) -> None:
    sample = EventType("sample.done", Sample, "Done.")
    try:
        assert problem in problems([sample], text)
        good = '### `sample.done`\n\nDone.\n\n```json\n{"n": 1}\n```\n'
        assert problems([sample], good) == []
    finally:
        del TYPES["sample.done"]
