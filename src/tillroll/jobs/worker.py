"""The worker: claims due jobs in short write transactions and runs their handlers outside
any transaction (a handler opens its own, so a slow HTTP call never holds a lock).

`run_once(db)` runs due jobs until none is due (tests drive it); `serve(db, stop)` polls
until `stop` is set (inside `tillroll serve` and as `tillroll worker`). Several workers, in
one process or many, never run one job at the same time: a claim moves the job's `run_at`
past its lease (PostgreSQL skips rows another claim holds locked; SQLite's write lock
serialises claims across processes), and an outcome is recorded only under its own claim.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tillroll.jobs.repository import JobRepository
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import HANDLERS, WAITING, Retry
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, DatabaseUnavailable, run

log = logging.getLogger("tillroll.jobs")
BATCH = 20
"""Jobs claimed at once (and run concurrently)."""
LEASE_MARGIN = timedelta(seconds=5)
"""A claim lasts the handler's timeout plus this, then the job is due again."""
UNKNOWN_KIND_ATTEMPTS = 10
"""A job of a kind no handler is registered for (yet, in this process) fails this often."""
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)


def backoff(
    attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP
) -> timedelta:
    """Exponential from `base`, capped, with jitter (between half and all of it)."""
    delay: timedelta = min(base * 2 ** min(attempts - 1, 20), cap)
    return delay * random.uniform(0.5, 1.0)


async def run_once(db: Database) -> int:
    """Run jobs due now until none is (a job rescheduled meanwhile waits); how many ran."""
    started = utc_now()
    done = 0
    while claimed := await _claim(db, started):
        await _settle(db, await asyncio.gather(*(_run_job(j, c, db) for j, c in claimed)))
        done += len(claimed)
    return done


async def serve(db: Database, stop: asyncio.Event, *, poll: float = 0.5) -> None:
    """Run due jobs until `stop` is set, looking every `poll` seconds (a read, no lock),
    and at once when a transaction of this process commits a job due now."""
    wake = asyncio.Event()
    waiting = (asyncio.get_running_loop(), wake)
    WAITING.add(waiting)
    try:
        while not stop.is_set():
            wake.clear()
            try:
                if await run(db, _any_due, write=False):
                    await run_once(db)
            except DatabaseUnavailable as exc:
                log.warning("worker: database unavailable: %s", exc)
            await _idle(stop, wake, poll)
    finally:
        WAITING.discard(waiting)


async def _idle(stop: asyncio.Event, wake: asyncio.Event, poll: float) -> None:
    """Wait until stopped, woken or `poll` seconds have passed."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


async def _any_due(conn: Connection) -> bool:
    return await JobRepository.of(conn).any_due(utc_now())


async def _claim(db: Database, due: datetime) -> list[tuple[Job, uuid.UUID]]:
    claim = uuid.uuid4()
    lease = max(h.timeout for h in HANDLERS.values()) if HANDLERS else timedelta(0)

    async def work(conn: Connection) -> list[Job]:
        repo = JobRepository.of(conn)
        end = utc_now() + lease + LEASE_MARGIN
        return await repo.claim(due=due, lease_end=end, claim=claim, limit=BATCH)

    return [(job, claim) for job in await run(db, work, write=True)]


@dataclass(frozen=True, slots=True)
class _Outcome:
    job: Job
    claim: uuid.UUID
    status: str
    run_at: datetime
    error: str | None
    finished_at: datetime | None


async def _run_job(job: Job, claim: uuid.UUID, db: Database) -> _Outcome:
    rules = HANDLERS.get(job.kind)
    limit = rules.max_attempts if rules else UNKNOWN_KIND_ATTEMPTS
    try:
        if rules is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        async with asyncio.timeout(rules.timeout.total_seconds()):
            await rules.run(db, job)
    except Retry as retry:
        return _failed(job, claim, limit, utc_now() + retry.after, str(retry))
    except Exception as exc:  # a handler's failure is the job's, never the worker's
        log.warning("job %s (%s) attempt %d failed: %r", job.id, job.kind, job.attempts, exc)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        return _failed(job, claim, limit, utc_now() + backoff(job.attempts), error)
    now = utc_now()
    return _Outcome(job, claim, "done", now, None, now)


def _failed(job: Job, claim: uuid.UUID, limit: int, run_at: datetime, error: str) -> _Outcome:
    if job.attempts < limit:
        return _Outcome(job, claim, "pending", run_at, error, None)
    log.error("job %s (%s) is dead after %d attempts: %s", job.id, job.kind, job.attempts, error)
    return _Outcome(job, claim, "dead", run_at, error, utc_now())


async def _settle(db: Database, outcomes: list[_Outcome]) -> None:
    """Record the outcomes of a claimed batch in one transaction."""

    async def work(conn: Connection) -> list[bool]:
        repo = JobRepository.of(conn)
        return [
            await repo.settle(
                o.job, o.claim, status=o.status, run_at=o.run_at, error=o.error,
                finished_at=o.finished_at,
            )
            for o in outcomes
        ]  # fmt: skip

    for outcome, held in zip(outcomes, await run(db, work, write=True), strict=True):
        if not held:
            log.warning("job %s: its claim expired before it finished", outcome.job.id)
