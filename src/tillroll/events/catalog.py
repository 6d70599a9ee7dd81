"""The catalogue of event types: each domain declares its own at import.

    WALLET_CREDITED = EventType("wallet.credited", WalletEntry, "A credit entry was added.")

`docs/events.md` documents every declared type (tests/events/test_catalog.py checks it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

_NAME = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")
TYPES: dict[str, EventType] = {}
"""Every declared type by name."""
CHANGES = ("created", "updated", "deleted")


@dataclass(frozen=True, slots=True)
class EventType:
    """An event type: its dotted name, the struct its payload is, what it means."""

    name: str
    payload: type[msgspec.Struct]
    description: str

    def __post_init__(self) -> None:
        assert _NAME.fullmatch(self.name), f"event type {self.name!r}: use `noun.verb`"
        assert self.name not in TYPES, f"event type {self.name!r} declared twice"
        TYPES[self.name] = self


def lifecycle(
    noun: str, payload: type[msgspec.Struct], changes: tuple[str, ...] = CHANGES
) -> dict[str, EventType]:
    """`noun.created`, `noun.updated`, `noun.deleted` (or `changes`), each carrying `payload`:
    the row after the change (before it, for a deletion)."""
    return {c: EventType(f"{noun}.{c}", payload, f"A {noun} was {c}.") for c in changes}
