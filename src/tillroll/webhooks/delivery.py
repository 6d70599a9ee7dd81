"""Delivering an endpoint's messages: the `webhooks.deliver` job.

One worker at a time delivers to an endpoint (it holds the endpoint's drain lease), oldest
event first; a failure keeps the message at the head, so later events wait behind it and
order holds. Each attempt is signed per Standard Webhooks (`webhook-id` is the event id, the
same on every retry), made outside any transaction with a timeout and without following
redirects, then recorded with its outcome in one short transaction. An endpoint whose
deliveries have all failed for `DISABLE_AFTER` is disabled, with a
`webhook_endpoint.disabled` event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache, partial
from typing import Any

import httpx
import msgspec

from tillroll.config import Settings
from tillroll.events import service as events
from tillroll.events.schemas import Event
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import Retry, handler
from tillroll.jobs.worker import backoff
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.ids import uuid7
from tillroll.webhooks.events import ENDPOINT_DISABLED
from tillroll.webhooks.guard import UnsafeUrl, check_url, guarded_client
from tillroll.webhooks.repository import Message, Stored, WebhookRepository
from tillroll.webhooks.service import DELIVER, SECRET_PREFIX

TIMEOUT = 10.0
"""Seconds one attempt may take (connect, send, answer)."""
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(hours=1)
RETRY_AFTER_CAP = timedelta(days=1)
DISABLE_AFTER = timedelta(days=5)
"""An endpoint all of whose deliveries failed for this long is disabled."""
LEASE = timedelta(seconds=30)
DRAIN_FOR = 20.0
"""Seconds one job delivers before it hands over to a fresh run of itself."""
BATCH = 50
RECORD_EVERY = 20
"""Most successful attempts recorded in one transaction."""
KEPT = 1000
"""Characters of a response body kept in the delivery log."""


@cache
def tls() -> ssl.SSLContext:
    """The TLS settings of every delivery (loading the CA bundle takes ~50 ms: once)."""
    return ssl.create_default_context()


def sign(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,<base64 HMAC-SHA256>` per secret."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    signatures = []
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
        digest = hmac.new(key, content, hashlib.sha256).digest()
        signatures.append("v1," + base64.b64encode(digest).decode())
    return " ".join(signatures)


def payload(event: Event) -> bytes:
    """The body: the event as Standard Webhooks lays it out."""
    return msgspec.json.encode(
        {"type": event.type, "timestamp": event.created_at, "data": event.data}
    )


def headers(stored: Stored, event: Event, body: bytes, now: datetime) -> dict[str, str]:
    keys = [stored.secret]
    if (
        stored.previous_secret
        and stored.previous_secret_until
        and stored.previous_secret_until > now
    ):
        keys.append(stored.previous_secret)
    timestamp = int(now.timestamp())
    sent = {
        "content-type": "application/json",
        "user-agent": "Tillroll-Webhooks",
        "webhook-id": str(event.id),
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(keys, str(event.id), timestamp, body),
    }
    if stored.basic_auth:
        sent["authorization"] = "Basic " + base64.b64encode(stored.basic_auth.encode()).decode()
    return sent


def retry_after(response: httpx.Response | None, now: datetime) -> timedelta | None:
    """The wait a `Retry-After` header asks for (seconds or an HTTP date), capped."""
    value = response.headers.get("retry-after", "").strip() if response is not None else ""
    if not value:
        return None
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit, not to int
        wait = timedelta(seconds=int(value[:7]))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), RETRY_AFTER_CAP)


@handler(DELIVER, timeout=timedelta(seconds=DRAIN_FOR + TIMEOUT + 10), max_attempts=10**9)
async def deliver(db: Database, job: Job) -> None:
    """Deliver what the endpoint has due, in order; reschedule itself for what waits."""
    merchant_id = uuid.UUID(job.payload["merchant_id"])
    endpoint_id = uuid.UUID(job.payload["endpoint_id"])
    key, claim = (merchant_id, endpoint_id), uuid.uuid4()

    async def take(conn: Connection) -> Stored | None:
        now = utc_now()
        repo = WebhookRepository.of(conn)
        return await repo.claim_drain(merchant_id, endpoint_id, claim, now, now + LEASE)

    started = time.monotonic()
    while time.monotonic() - started < DRAIN_FOR:
        if await run(db, lambda c: _held_elsewhere(c, *key), write=False):
            return  # its worker looks again when it is done (a read: no write lock taken)
        stored = await run(db, take, write=True)
        if stored is None:  # deleted, disabled, or another worker delivers (and looks again)
            return
        try:
            wait_until = await _drain(db, stored, claim)
        finally:
            await run(db, lambda c: WebhookRepository.of(c).release_drain(*key, claim), write=True)
        if wait_until is not None:
            raise Retry(after=max(wait_until - utc_now(), timedelta(0)), reason="messages wait")
        # Messages queued while we delivered, whose own job found us holding the endpoint.
        if not await run(
            db, lambda c: WebhookRepository.of(c).any_due(*key, utc_now()), write=False
        ):
            return
    raise Retry(after=timedelta(0), reason="more to deliver")  # a fresh run goes on


async def _held_elsewhere(conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID) -> bool:
    """Whether the endpoint is gone, disabled, or another worker delivers to it."""
    found = await WebhookRepository.of(conn).get(merchant_id, endpoint_id)
    return found is None or not found.endpoint.enabled or found.draining(utc_now())


@dataclass(frozen=True, slots=True)
class _Sent:
    """One attempt's log row and outcome, to record."""

    row: dict[str, Any]
    delivered: bool
    next_at: datetime


async def _drain(db: Database, stored: Stored, claim: uuid.UUID) -> datetime | None:
    """Deliver due messages in order; when the next one must wait, the time it is due.

    Successes are recorded together, at most `RECORD_EVERY` at a time (one transaction, one
    disk sync): a worker dying before it records them sends them again, as at least once
    allows; a failure is recorded at once."""
    merchant_id, endpoint_id = stored.merchant_id, stored.endpoint.id
    deadline = time.monotonic() + DRAIN_FOR
    dev_mode = bool(Settings.from_env().dev_mode)
    client = guarded_client(dev_mode=dev_mode, timeout=TIMEOUT, verify=tls())
    async with client as http:
        while time.monotonic() < deadline:
            messages, found = await run(
                db, lambda c: _next(c, merchant_id, endpoint_id), write=False
            )
            if found is None or not found.endpoint.enabled or not messages:
                return None
            sent: list[_Sent] = []
            for message, event in messages:
                if message.next_attempt_at > utc_now():
                    break
                sent.append(await _send(http, found, message, event, dev_mode))
                if not sent[-1].delivered or len(sent) >= RECORD_EVERY:
                    break
            if not sent:
                return messages[0][0].next_attempt_at
            record = partial(_record, stored=found, sent=sent, claim=claim)
            held = await run(db, record, write=True)
            if not sent[-1].delivered or not held:
                return sent[-1].next_at if held else None
    return utc_now()  # more to deliver: a fresh run goes on


async def _next(
    conn: Connection, merchant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> tuple[list[tuple[Message, Event]], Stored | None]:
    repo = WebhookRepository.of(conn)
    stored = await repo.get(merchant_id, endpoint_id)
    messages = await repo.pending(merchant_id, endpoint_id, BATCH)
    found = {e.id: e for e in await events.many(conn, merchant_id, [m.event_id for m in messages])}
    return [(m, found[m.event_id]) for m in messages], stored


async def _send(
    http: httpx.AsyncClient, stored: Stored, message: Message, event: Event, dev_mode: bool
) -> _Sent:
    """One attempt (outside any transaction), and what to record of it."""
    now = utc_now()
    body = payload(event)
    response: httpx.Response | None = None
    error: str | None = None
    started = time.monotonic()
    try:
        await check_url(stored.endpoint.url, dev_mode=dev_mode)
        response = await http.post(
            stored.endpoint.url, content=body, headers=headers(stored, event, body, now)
        )
    except UnsafeUrl as exc:
        error = f"refused: the URL {exc}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:KEPT] or type(exc).__name__
    duration_ms = round((time.monotonic() - started) * 1000)
    delivered = response is not None and 200 <= response.status_code < 300
    if response is not None and not delivered:
        error = f"HTTP {response.status_code}"
    attempt = message.attempts + 1
    wait = retry_after(response, now) or backoff(attempt, RETRY_BASE, RETRY_CAP)
    row = {
        "merchant_id": stored.merchant_id, "id": uuid7(), "endpoint_id": stored.endpoint.id,
        "event_id": event.id, "attempt": attempt,
        "status_code": response.status_code if response is not None else None,
        "duration_ms": duration_ms,
        "response_body": response.text[:KEPT] if response is not None else None,
        "error": error, "created_at": now,
    }  # fmt: skip
    return _Sent(row, delivered, utc_now() + wait)


async def _record(conn: Connection, *, stored: Stored, sent: list[_Sent], claim: uuid.UUID) -> bool:
    """Record attempts; whether the drain lease is still ours (it is extended)."""
    repo = WebhookRepository.of(conn)
    until = utc_now() + LEASE
    held = True
    for one in sent:
        held = await repo.record(
            one.row, delivered=one.delivered, next_attempt_at=one.next_at, claim=claim,
            drain_until=until,
        )  # fmt: skip
    if not sent[-1].delivered:
        await _disable_if_failing(conn, stored)
    return held


async def _disable_if_failing(conn: Connection, stored: Stored) -> None:
    repo = WebhookRepository.of(conn)
    merchant_id = stored.merchant_id
    current = await repo.get(merchant_id, stored.endpoint.id)
    since = current.endpoint.failing_since if current else None
    if current is None or since is None or utc_now() - since < DISABLE_AFTER:
        return
    reason = f"every delivery failed since {since.isoformat()}"
    await repo.update(
        merchant_id,
        stored.endpoint.id,
        {"enabled": False, "disabled_reason": reason, "updated_at": utc_now()},
    )
    disabled = await repo.get(merchant_id, stored.endpoint.id)
    assert disabled is not None
    await events.emit(conn, merchant_id, ENDPOINT_DISABLED, disabled.endpoint)
