"""Enqueueing background jobs and registering their handlers.

`enqueue` writes a job row in the caller's transaction: the job exists only if that
transaction commits (a rolled-back or rerun transaction leaves none). Workers
(`tillroll.jobs.worker`) claim due jobs and run the handler registered for their kind.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from tillroll.jobs.repository import JobRepository
from tillroll.jobs.schemas import Job
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database
from tillroll.kit.ids import uuid7

JobHandler = Callable[[Database, Job], Awaitable[None]]


class Retry(Exception):
    """Raised by a handler: run the job again `after` from now (an attempt all the same)."""

    def __init__(self, after: timedelta, reason: str = "retry requested") -> None:
        super().__init__(reason)
        self.after = after


@dataclass(frozen=True, slots=True)
class Handler:
    """A kind's handler and its rules: the longest run (`timeout`) and attempts before dead."""

    run: JobHandler
    timeout: timedelta
    max_attempts: int


HANDLERS: dict[str, Handler] = {}


def handler(
    kind: str, *, timeout: timedelta = timedelta(seconds=60), max_attempts: int = 10
) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated function as the handler of `kind` (at import)."""

    def register(fn: JobHandler) -> JobHandler:
        assert kind not in HANDLERS, f"job kind {kind!r} has two handlers"
        HANDLERS[kind] = Handler(fn, timeout, max_attempts)
        return fn

    return register


async def enqueue(
    conn: Connection,
    kind: str,
    payload: Mapping[str, Any],
    *,
    merchant_id: uuid.UUID | None = None,
    run_at: datetime | None = None,
    key: str | None = None,
) -> uuid.UUID:
    """Add a job in the caller's transaction; with `key`, (kind, key) is enqueued once
    (a second enqueue answers the first job's id)."""
    now = utc_now()
    row = {
        "id": uuid7(),
        "kind": kind,
        "key": key,
        "merchant_id": merchant_id,
        "payload": msgspec.json.encode(payload).decode(),
        "status": "pending",
        "attempts": 0,
        "run_at": run_at or now,
        "claim": None,
        "last_error": None,
        "created_at": now,
        "finished_at": None,
    }
    return await JobRepository.of(conn).insert(row)
