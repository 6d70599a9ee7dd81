"""All SQL of events. Every statement is scoped by `merchant_id`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from tillroll.events.schemas import Event
from tillroll.events.tables import EVENTS
from tillroll.kit.repository import Repository

_FIELDS = ["id", "type", "created_at", "data"]
_read = EVENTS.reader(_FIELDS)


class EventRepository(Repository):
    async def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows as `EVENTS.names` tuples (data already JSON text), in one statement."""
        await self.conn.insert_rows(EVENTS.name, EVENTS.names, rows)

    async def get(self, merchant_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
        row = await self.conn.fetchone(
            f"SELECT {EVENTS.select(_FIELDS)} FROM events WHERE merchant_id = :m AND id = :id",
            {"m": merchant_id, "id": event_id},
        )
        return None if row is None else Event(**_read(row))
