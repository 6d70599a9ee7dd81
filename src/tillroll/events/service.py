"""Emitting events: a row in the caller's transaction, so a state change and its event
commit together or not at all (a rolled-back or rerun transaction leaves no event).

Listeners (webhook fan-out, facades) run inside the same transaction, right after the rows
are written: what they enqueue commits with the event.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec

from tillroll.errors import InvalidInput, NotFound
from tillroll.events.catalog import TYPES, EventType
from tillroll.events.repository import EventRepository
from tillroll.events.schemas import Event, EventQuery
from tillroll.kit.clock import check_moment, utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.kit.pagination import decode_cursor, encode_cursor
from tillroll.kit.schemas import Page


@dataclass(frozen=True, slots=True)
class Emitted:
    """An event just written, as listeners see it."""

    id: uuid.UUID
    merchant_id: uuid.UUID
    type: EventType
    data: msgspec.Struct
    json: str  # `data` encoded, as stored
    created_at: datetime


Listener = Callable[[Connection, Sequence[Emitted]], Awaitable[None]]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Listener:
    """Register `listener` (at import or wiring time); it runs in every emit's transaction."""
    _listeners.append(listener)
    return listener


async def emit(
    conn: Connection, merchant_id: uuid.UUID, event: EventType, data: msgspec.Struct
) -> uuid.UUID:
    """Write one event in the caller's transaction; return its id."""
    (event_id,) = await emit_many(conn, merchant_id, event, [data])
    return event_id


async def emit_many(
    conn: Connection, merchant_id: uuid.UUID, event: EventType, items: Sequence[msgspec.Struct]
) -> list[uuid.UUID]:
    """Write one event per item, of one type, in one statement (a stored batch)."""
    if not items:
        return []
    now = utc_now()
    emitted = [_emitted(merchant_id, event, data, now) for data in items]
    await EventRepository.of(conn).insert(
        [(e.merchant_id, e.id, e.type.name, e.json, e.created_at) for e in emitted]
    )
    for listener in _listeners:
        await listener(conn, emitted)
    return [e.id for e in emitted]


def _emitted(
    merchant_id: uuid.UUID, event: EventType, data: msgspec.Struct, now: datetime
) -> Emitted:
    if not isinstance(data, event.payload):
        raise TypeError(f"{event.name} carries {event.payload.__name__}, not {type(data)}")
    json = msgspec.json.encode(data).decode()
    return Emitted(uuid7(), merchant_id, event, data, json, now)


async def get(conn: Connection, merchant_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    """One of the merchant's events (404 for any other)."""
    found = await EventRepository.of(conn).get(merchant_id, event_id)
    if found is None:
        raise NotFound(f"No event {event_id}.")
    return found


async def many(conn: Connection, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Event]:
    """The merchant's events among `ids`, in id order."""
    return await EventRepository.of(conn).many(merchant_id, ids)


async def page(conn: Connection, merchant_id: uuid.UUID, query: EventQuery) -> Page[Event]:
    """One page of the merchant's events, oldest first."""
    unknown = [t for t in query.type if t not in TYPES]
    if unknown:
        raise InvalidInput.field("query.type", f"no event type {unknown[0]!r}")
    window = (
        check_moment("query.created_from", query.created_from),
        check_moment("query.created_to", query.created_to),
    )
    after = decode_cursor(query.cursor, (uuid.UUID,))[0] if query.cursor else None
    repo = EventRepository.of(conn)
    rows = await repo.page(merchant_id, query.type, window, after, query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return Page(data=rows, next_cursor=encode_cursor(str(rows[-1].id)) if more else None)


class EmitsLifecycle:
    """A mixin for a `kit.resource.Resource` service: each change emits `events[change]`
    (from `catalog.lifecycle`) with the row."""

    events: dict[str, EventType]

    async def changed(
        self, conn: Connection, merchant_id: uuid.UUID, change: str, row: msgspec.Struct
    ) -> None:
        if change in self.events:
            await emit(conn, merchant_id, self.events[change], row)


async def created_since(
    conn: Connection, merchant_id: uuid.UUID, types: Sequence[str], since: datetime, limit: int
) -> list[Event]:
    """The merchant's events of `types` created at or after `since`, oldest first."""
    return await EventRepository.of(conn).page(merchant_id, types, (since, None), None, limit)
