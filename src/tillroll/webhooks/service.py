"""Webhook endpoints: create (the secret shown once), list, get, change, delete, rotate the
secret, redeliver; and the fan-out that queues a message per subscribed endpoint in the
transaction of each event (`tillroll.events.service.listen`)."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from tillroll.errors import FieldError, InvalidInput, NotFound
from tillroll.events import service as events
from tillroll.events.catalog import TYPES
from tillroll.events.service import Emitted, listen
from tillroll.jobs.service import enqueue
from tillroll.kit import group
from tillroll.kit.clock import check_moment, utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.kit.pagination import decode_cursor, encode_cursor
from tillroll.kit.schemas import ListQuery, Page
from tillroll.kit.updates import given
from tillroll.webhooks.guard import UnsafeUrl, check_url
from tillroll.webhooks.repository import Stored, WebhookRepository
from tillroll.webhooks.schemas import (
    AttemptQuery,
    DeliveryAttempt,
    Redelivered,
    Redelivery,
    SecretRotation,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointUpdate,
)

DELIVER = "webhooks.deliver"
"""The job kind that delivers an endpoint's queued messages (`tillroll.webhooks.delivery`)."""
SECRET_PREFIX = "whsec_"
REDELIVER_MAX = 10_000
"""Most events one redelivery request queues."""


def new_secret() -> str:
    """`whsec_` and 24 random bytes in base64, as Standard Webhooks libraries expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


async def _check(url: str | None, types: Sequence[str] | None, dev_mode: bool) -> None:
    errors: list[FieldError] = []
    if url is not None:
        try:
            await check_url(url, dev_mode=dev_mode)
        except UnsafeUrl as exc:
            errors.append(FieldError("url", str(exc)))
    for i, name in enumerate(types or ()):
        if name not in TYPES:
            errors.append(FieldError(f"events[{i}]", f"no event type {name!r}"))
    if errors:
        raise InvalidInput.fields(errors)


class WebhookService:
    async def create(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        body: WebhookEndpointCreate,
        *,
        dev_mode: bool,
        basic_auth: str | None = None,
    ) -> WebhookEndpointCreated:
        await _check(body.url, body.events, dev_mode)
        now, secret = utc_now(), new_secret()
        endpoint_id = uuid7()
        row = {
            "merchant_id": merchant_id, "id": endpoint_id, "url": body.url,
            "description": body.description, "events": sorted(set(body.events)), "enabled": True,
            "secret": secret, "previous_secret": None, "previous_secret_until": None,
            "basic_auth": basic_auth, "failing_since": None, "disabled_reason": None,
            "drain_claim": None, "drain_until": None, "created_at": now, "updated_at": now,
        }  # fmt: skip
        await WebhookRepository.of(conn).insert(row)
        stored = await self._stored(conn, merchant_id, endpoint_id)
        return _created(stored.endpoint, secret)

    async def _stored(
        self, conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID
    ) -> Stored:
        found = await WebhookRepository.of(conn).get(merchant_id, endpoint_id)
        if found is None:
            raise NotFound(f"No webhook endpoint {endpoint_id}.")
        return found

    async def get(
        self, conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID
    ) -> WebhookEndpoint:
        return (await self._stored(conn, merchant_id, endpoint_id)).endpoint

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, query: ListQuery
    ) -> Page[WebhookEndpoint]:
        after = decode_cursor(query.cursor, (uuid.UUID,))[0] if query.cursor else None
        rows = await WebhookRepository.of(conn).page(merchant_id, after, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return Page(data=rows, next_cursor=encode_cursor(str(rows[-1].id)) if more else None)

    async def update(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        body: WebhookEndpointUpdate,
        *,
        dev_mode: bool,
    ) -> WebhookEndpoint:
        await self._stored(conn, merchant_id, endpoint_id)
        changes = given(body)
        await _check(changes.get("url"), changes.get("events"), dev_mode)
        if "events" in changes:
            changes["events"] = sorted(set(changes["events"]))
        if changes.get("enabled"):  # enabled again: a fresh start, and what waits is sent
            changes |= {"failing_since": None, "disabled_reason": None}
        await WebhookRepository.of(conn).update(
            merchant_id, endpoint_id, {**changes, "updated_at": utc_now()}
        )
        if changes.get("enabled"):
            await enqueue(conn, DELIVER, _job(merchant_id, endpoint_id), merchant_id=merchant_id)
        return await self.get(conn, merchant_id, endpoint_id)

    async def delete(
        self, conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID
    ) -> None:
        await self._stored(conn, merchant_id, endpoint_id)
        await WebhookRepository.of(conn).delete(merchant_id, endpoint_id)

    async def rotate(
        self, conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, body: SecretRotation
    ) -> WebhookEndpointCreated:
        """A new secret; the old one signs too (a second signature) for the overlap."""
        current = await self._stored(conn, merchant_id, endpoint_id)
        now, secret = utc_now(), new_secret()
        overlap = timedelta(seconds=body.overlap_seconds)
        changes = {
            "secret": secret,
            "previous_secret": current.secret if overlap else None,
            "previous_secret_until": now + overlap if overlap else None,
            "updated_at": now,
        }
        await WebhookRepository.of(conn).update(merchant_id, endpoint_id, changes)
        return _created(await self.get(conn, merchant_id, endpoint_id), secret)

    async def redeliver(
        self, conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, body: Redelivery
    ) -> Redelivered:
        """Queue one event again, or every subscribed event since a time."""
        stored = await self._stored(conn, merchant_id, endpoint_id)
        if (body.event_id is None) == (body.since is None):
            raise InvalidInput.field("body", "give exactly one of event_id, since")
        if body.event_id is not None:
            found = await events.many(conn, merchant_id, [body.event_id])
            if not found:
                raise InvalidInput.field("event_id", f"no event {body.event_id}")
        else:
            since = check_moment("since", body.since)
            assert since is not None
            types = stored.endpoint.events
            found = await events.created_since(conn, merchant_id, types, since, REDELIVER_MAX)
        ids = [e.id for e in found]
        await WebhookRepository.of(conn).requeue(merchant_id, endpoint_id, ids, utc_now())
        await enqueue(conn, DELIVER, _job(merchant_id, endpoint_id), merchant_id=merchant_id)
        return Redelivered(queued=len(ids))

    async def attempts(
        self, conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID, query: AttemptQuery
    ) -> Page[DeliveryAttempt]:
        """The delivery log, newest first."""
        await self._stored(conn, merchant_id, endpoint_id)
        before = decode_cursor(query.cursor, (uuid.UUID,))[0] if query.cursor else None
        repo = WebhookRepository.of(conn)
        rows = await repo.attempts(merchant_id, endpoint_id, before, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return Page(data=rows, next_cursor=encode_cursor(str(rows[-1].id)) if more else None)


def _created(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointCreated:
    fields = {f: getattr(endpoint, f) for f in endpoint.__struct_fields__}
    return WebhookEndpointCreated(**fields, secret=secret)


def _job(merchant_id: uuid.UUID, endpoint_id: uuid.UUID) -> dict[str, str]:
    return {"merchant_id": str(merchant_id), "endpoint_id": str(endpoint_id)}


@listen
async def fan_out(conn: Connection, emitted: Sequence[Emitted]) -> None:
    """In the event's transaction: a message per (subscribed endpoint, event), and one
    delivery job per endpoint that got any."""
    merchant_id = emitted[0].merchant_id
    repo = WebhookRepository.of(conn)
    key = ("webhook_subscribers", merchant_id)  # read once per group commit of many receipts
    subscribers = await group.cached(conn, key, lambda: repo.subscribers(merchant_id))
    if not subscribers:
        return
    for endpoint_id, types in subscribers:
        wanted = [e for e in emitted if e.type.name in types]
        if not wanted:
            continue
        now = wanted[0].created_at
        await repo.queue([(merchant_id, endpoint_id, e.id, 0, now) for e in wanted])
        await enqueue(conn, DELIVER, _job(merchant_id, endpoint_id), merchant_id=merchant_id)


webhooks = WebhookService()
