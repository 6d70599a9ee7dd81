"""All SQL of webhooks. Every statement is scoped by `merchant_id`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tillroll.kit.db import Row
from tillroll.kit.repository import Repository, to_json
from tillroll.webhooks.schemas import DeliveryAttempt, WebhookEndpoint
from tillroll.webhooks.tables import ATTEMPTS, ENDPOINTS, MESSAGES

_PUBLIC = list(WebhookEndpoint.__struct_fields__)
_SECRETS = ["merchant_id", "secret", "previous_secret", "previous_secret_until", "basic_auth"]
_SECRETS += ["drain_until"]
_read = ENDPOINTS.reader([*_PUBLIC, *_SECRETS])
_SELECT = f"SELECT {ENDPOINTS.select([*_PUBLIC, *_SECRETS])} FROM webhook_endpoints"
_ATTEMPT_FIELDS = list(DeliveryAttempt.__struct_fields__)
_read_attempt = ATTEMPTS.reader(_ATTEMPT_FIELDS)


@dataclass(frozen=True, slots=True)
class Stored:
    """An endpoint with what only the server sees: its secrets."""

    endpoint: WebhookEndpoint
    merchant_id: uuid.UUID
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    basic_auth: str | None
    drain_until: datetime | None

    def draining(self, now: datetime) -> bool:
        """Whether a worker holds the endpoint's drain lease."""
        return self.drain_until is not None and self.drain_until > now


@dataclass(frozen=True, slots=True)
class Message:
    """A message to deliver."""

    event_id: uuid.UUID
    attempts: int
    next_attempt_at: datetime


def _stored(row: Row) -> Stored:
    values = _read(row)
    public = {k: values[k] for k in _PUBLIC}
    return Stored(WebhookEndpoint(**public), **{k: values[k] for k in _SECRETS})


class WebhookRepository(Repository):
    async def insert(self, row: dict[str, Any]) -> None:
        await ENDPOINTS.insert(self.conn, [{**row, "events": to_json(row["events"])}])

    async def get(self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID) -> Stored | None:
        row = await self.conn.fetchone(
            f"{_SELECT} WHERE merchant_id = :m AND id = :id", {"m": merchant_id, "id": endpoint_id}
        )
        return None if row is None else _stored(row)

    async def page(
        self, merchant_id: uuid.UUID, after: uuid.UUID | None, limit: int
    ) -> list[WebhookEndpoint]:
        where = "merchant_id = :m" + (" AND id > :after" if after else "")
        rows = await self.conn.fetchall(
            f"{_SELECT} WHERE {where} ORDER BY id LIMIT :limit",
            {"m": merchant_id, "after": after, "limit": limit},
        )
        return [_stored(r).endpoint for r in rows]

    async def update(
        self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, changes: dict[str, Any]
    ) -> None:
        json = ENDPOINTS.json
        values = {k: to_json(v) if k in json else v for k, v in changes.items()}
        sets = ", ".join(f"{k} = :{k}" for k in values)
        await self.conn.execute(
            f"UPDATE webhook_endpoints SET {sets} WHERE merchant_id = :m_ AND id = :id_",
            {**values, "m_": merchant_id, "id_": endpoint_id},
        )

    async def delete(self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        """The endpoint with its messages and its delivery log."""
        params = {"m": merchant_id, "id": endpoint_id}
        for table in ("webhook_messages", "webhook_attempts"):
            await self.conn.execute(
                f"DELETE FROM {table} WHERE merchant_id = :m AND endpoint_id = :id", params
            )
        await self.conn.execute(
            "DELETE FROM webhook_endpoints WHERE merchant_id = :m AND id = :id", params
        )

    async def subscribers(self, merchant_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str]]]:
        """The enabled endpoints and the event types each takes."""
        rows = await self.conn.fetchall(
            "SELECT id, events FROM webhook_endpoints WHERE merchant_id = :m AND enabled",
            {"m": merchant_id},
        )
        decode = ENDPOINTS.reader(["id", "events"])
        return [(v["id"], v["events"]) for v in map(decode, rows)]

    async def queue(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Messages as `MESSAGES.names` tuples."""
        await self.conn.insert_rows(MESSAGES.name, MESSAGES.names, rows)

    async def requeue(
        self,
        merchant_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        event_ids: Sequence[uuid.UUID],
        now: datetime,
    ) -> None:
        """Deliver these events again (queued anew, or again if delivered)."""
        await self.conn.executemany(
            f"INSERT INTO webhook_messages ({MESSAGES.select()}) "
            "VALUES (:m, :e, :event, 0, :now) "
            "ON CONFLICT (merchant_id, endpoint_id, event_id) DO UPDATE SET next_attempt_at = :now",
            [{"m": merchant_id, "e": endpoint_id, "event": i, "now": now} for i in event_ids],
        )

    async def claim_drain(
        self,
        merchant_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        claim: uuid.UUID,
        now: datetime,
        until: datetime,
    ) -> Stored | None:
        """Become the one worker delivering to the endpoint (until `until`), if it is
        enabled and no other worker is."""
        row = await self.conn.fetchone(
            "UPDATE webhook_endpoints SET drain_claim = :c, drain_until = :until "
            "WHERE merchant_id = :m AND id = :id AND enabled "
            "AND (drain_until IS NULL OR drain_until < :now) "
            f"RETURNING {ENDPOINTS.select([*_PUBLIC, *_SECRETS])}",
            {"c": claim, "until": until, "m": merchant_id, "id": endpoint_id, "now": now},
        )
        return None if row is None else _stored(row)

    async def release_drain(
        self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, claim: uuid.UUID
    ) -> None:
        await self.conn.execute(
            "UPDATE webhook_endpoints SET drain_claim = NULL, drain_until = NULL "
            "WHERE merchant_id = :m AND id = :id AND drain_claim = :c",
            {"m": merchant_id, "id": endpoint_id, "c": claim},
        )

    async def pending(
        self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, limit: int
    ) -> list[Message]:
        """The endpoint's oldest undelivered messages, in event order."""
        rows = await self.conn.fetchall(
            "SELECT event_id, attempts, next_attempt_at FROM webhook_messages "
            "WHERE merchant_id = :m AND endpoint_id = :id ORDER BY event_id LIMIT :limit",
            {"m": merchant_id, "id": endpoint_id, "limit": limit},
        )
        return [Message(r["event_id"], r["attempts"], r["next_attempt_at"]) for r in rows]

    async def any_due(self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime) -> bool:
        row = await self.conn.fetchone(
            "SELECT 1 FROM webhook_messages WHERE merchant_id = :m AND endpoint_id = :id "
            "AND next_attempt_at <= :now LIMIT 1",
            {"m": merchant_id, "id": endpoint_id, "now": now},
        )
        return row is not None

    async def record(
        self,
        attempt: dict[str, Any],
        *,
        delivered: bool,
        next_attempt_at: datetime,
        claim: uuid.UUID,
        drain_until: datetime,
    ) -> bool:
        """An attempt's log row and its outcome, on the message and on the endpoint (whose
        drain lease is extended if `claim` still holds it: whether it does)."""
        await ATTEMPTS.insert(self.conn, [attempt])
        key = {"m": attempt["merchant_id"], "e": attempt["endpoint_id"], "ev": attempt["event_id"]}
        now = attempt["created_at"]
        where = "WHERE merchant_id = :m AND endpoint_id = :e AND event_id = :ev"
        if delivered:
            await self.conn.execute(f"DELETE FROM webhook_messages {where}", key)
        else:
            await self.conn.execute(
                "UPDATE webhook_messages SET attempts = attempts + 1, next_attempt_at = :next "
                + where,
                {**key, "next": next_attempt_at},
            )
        failing = "NULL" if delivered else "COALESCE(failing_since, :now)"
        await self.conn.execute(
            f"UPDATE webhook_endpoints SET failing_since = {failing} "
            "WHERE merchant_id = :m AND id = :e",
            {**key, "now": now},
        )
        held = await self.conn.fetchone(
            "UPDATE webhook_endpoints SET drain_until = :until "
            "WHERE merchant_id = :m AND id = :e AND drain_claim = :c RETURNING id",
            {**key, "until": drain_until, "c": claim},
        )
        return held is not None

    async def attempts(
        self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, before: uuid.UUID | None, limit: int
    ) -> list[DeliveryAttempt]:
        """The delivery log, newest first."""
        where = "merchant_id = :m AND endpoint_id = :e" + (" AND id < :before" if before else "")
        rows = await self.conn.fetchall(
            f"SELECT {ATTEMPTS.select(_ATTEMPT_FIELDS)} FROM webhook_attempts WHERE {where} "
            "ORDER BY id DESC LIMIT :limit",
            {"m": merchant_id, "e": endpoint_id, "before": before, "limit": limit},
        )
        return [DeliveryAttempt(**_read_attempt(r)) for r in rows]
