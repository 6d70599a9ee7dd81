"""Enqueueing background jobs and registering their handlers.

`enqueue` writes a job row in the caller's transaction: the job exists only if that
transaction commits (a rolled-back or rerun transaction leaves none). Workers
(`tillroll.jobs.worker`) claim due jobs and run the handler registered for their kind; a job
due now wakes this process's workers once its transaction commits (others find it by polling).
"""

from __future__ import annotations

import asyncio
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
WAITING: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
"""This process's idle workers: each loop and the event that wakes its worker."""


def wake_workers() -> None:
    """Wake every idle worker of this process (each on its own event loop)."""
    for loop, event in list(WAITING):
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # its loop closed without the worker saying goodbye
            WAITING.discard((loop, event))


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
    if (run_at is None or run_at <= now) and wake_workers not in conn.committed:
        conn.committed.append(wake_workers)
    return await JobRepository.of(conn).insert(row)


KEEP_FINISHED = timedelta(days=7)
"""How long finished jobs without a key stay (to look into), before `purge` forgets them."""


async def purge(conn: Connection) -> None:
    """Forget jobs finished more than `KEEP_FINISHED` ago (run hourly by `serve`)."""
    await JobRepository.of(conn).purge(utc_now() - KEEP_FINISHED)
