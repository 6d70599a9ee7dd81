"""All SQL of events. Every statement is scoped by `merchant_id`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tillroll.events.schemas import Event
from tillroll.events.tables import EVENTS
from tillroll.kit import group
from tillroll.kit.repository import Repository, in_list

_FIELDS = ["id", "type", "created_at", "data"]
_read = EVENTS.reader(_FIELDS)


class EventRepository(Repository):
    async def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows as `EVENTS.names` tuples (data already JSON text), in one statement (in a
        group commit, one for the whole group, before its COMMIT)."""
        await group.insert_before_commit(self.conn, EVENTS.name, EVENTS.names, rows)

    async def page(
        self,
        merchant_id: uuid.UUID,
        types: Sequence[str],
        window: tuple[datetime | None, datetime | None],
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Event]:
        """Oldest first (id order is creation order), past the id `after`."""
        clauses = ["merchant_id = :m"]
        params: dict[str, Any] = {"m": merchant_id, "limit": limit, "after": after}
        params |= {"since": window[0], "until": window[1]}
        if types:
            marks, named = in_list("t", types)
            clauses.append(f"type IN {marks}")
            params |= named
        bounds: list[tuple[str, Any]] = [("id > :after", after)]
        bounds += [("created_at >= :since", window[0]), ("created_at < :until", window[1])]
        clauses += [clause for clause, value in bounds if value is not None]
        rows = await self.conn.fetchall(
            f"SELECT {EVENTS.select(_FIELDS)} FROM events WHERE {' AND '.join(clauses)} "
            "ORDER BY id LIMIT :limit",
            params,
        )
        return [Event(**_read(r)) for r in rows]

    async def many(self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Event]:
        """These events, in id order (the ones the merchant has)."""
        if not ids:
            return []
        marks, params = in_list("i", ids)
        rows = await self.conn.fetchall(
            f"SELECT {EVENTS.select(_FIELDS)} FROM events "
            f"WHERE merchant_id = :m AND id IN {marks} ORDER BY id",
            {"m": merchant_id, **params},
        )
        return [Event(**_read(r)) for r in rows]

    async def get(self, merchant_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
        row = await self.conn.fetchone(
            f"SELECT {EVENTS.select(_FIELDS)} FROM events WHERE merchant_id = :m AND id = :id",
            {"m": merchant_id, "id": event_id},
        )
        return None if row is None else Event(**_read(row))
