"""The worker: due jobs run once each, failures retry with backoff until dead, and two
workers (two connections to one database, as two processes have) never share a job."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tillroll.jobs import worker
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import WAITING, Retry, enqueue, handler
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, open_database, run

ran: Counter[uuid.UUID] = Counter()
failures: dict[uuid.UUID, int] = {}  # job → how many runs fail before one succeeds


@handler("test.work", timeout=timedelta(seconds=2), max_attempts=3)
async def work(_db: Database, job: Job) -> None:
    ran[job.id] += 1
    await asyncio.sleep(float(job.payload.get("sleep", 0)))
    if job.attempts <= failures.get(job.id, 0):
        raise RuntimeError(f"failure {job.attempts}")


@handler("test.retry_later")
async def retry_later(_db: Database, job: Job) -> None:
    ran[job.id] += 1
    raise Retry(after=timedelta(minutes=5), reason="not yet")


async def _enqueue(db: Database, kind: str = "test.work", **payload: Any) -> uuid.UUID:
    return await run(db, lambda conn: enqueue(conn, kind, payload), write=True)


async def _state(db: Database, job_id: uuid.UUID) -> dict[str, Any]:
    sql = "SELECT status, attempts, run_at, last_error, finished_at, claim FROM jobs WHERE id = :id"
    row = await run(db, lambda conn: conn.fetchone(sql, {"id": job_id}), write=False)
    assert row is not None
    names = ["status", "attempts", "run_at", "last_error", "finished_at", "claim"]
    return {n: row[n] for n in names}


async def _make_due(db: Database, job_id: uuid.UUID) -> None:
    async def due(conn: Connection) -> None:
        await conn.execute(
            "UPDATE jobs SET run_at = :t WHERE id = :id",
            {"t": utc_now() - timedelta(seconds=1), "id": job_id},
        )

    await run(db, due, write=True)


async def test_a_due_job_runs_once(db: Database) -> None:
    job_id = await _enqueue(db)
    assert await worker.run_once(db) >= 1
    await worker.run_once(db)
    state = await _state(db, job_id)
    assert (ran[job_id], state["status"], state["attempts"], state["claim"]) == (1, "done", 1, None)
    assert state["finished_at"] is not None and state["last_error"] is None


async def test_a_job_not_yet_due_waits(db: Database) -> None:
    later = utc_now() + timedelta(hours=1)
    job_id = await run(db, lambda conn: enqueue(conn, "test.work", {}, run_at=later), write=True)
    await worker.run_once(db)
    assert ran[job_id] == 0 and (await _state(db, job_id))["status"] == "pending"


async def test_a_failure_backs_off_then_succeeds(db: Database) -> None:
    job_id = await _enqueue(db)
    failures[job_id] = 1
    before = utc_now()
    await worker.run_once(db)
    state = await _state(db, job_id)
    assert (state["status"], state["attempts"], state["last_error"]) == (
        "pending",
        1,
        "RuntimeError: failure 1",
    )
    assert before + worker.BACKOFF_BASE / 2 <= state["run_at"] <= utc_now() + worker.BACKOFF_BASE
    await worker.run_once(db)
    assert ran[job_id] == 1  # not due yet
    await _make_due(db, job_id)
    await worker.run_once(db)
    assert (ran[job_id], (await _state(db, job_id))["status"]) == (2, "done")


async def test_a_job_dies_after_its_attempts(db: Database) -> None:
    job_id = await _enqueue(db)
    failures[job_id] = 99
    for _ in range(3):
        await _make_due(db, job_id)
        await worker.run_once(db)
    state = await _state(db, job_id)
    assert (ran[job_id], state["status"], state["attempts"]) == (3, "dead", 3)
    assert state["finished_at"] is not None
    await _make_due(db, job_id)
    await worker.run_once(db)
    assert ran[job_id] == 3


async def test_a_handler_past_its_timeout_fails(db: Database) -> None:
    job_id = await _enqueue(db, sleep=5)
    await worker.run_once(db)
    state = await _state(db, job_id)
    assert (state["status"], state["last_error"]) == ("pending", "TimeoutError: ")


async def test_retry_reschedules_explicitly(db: Database) -> None:
    job_id = await _enqueue(db, "test.retry_later")
    await worker.run_once(db)
    state = await _state(db, job_id)
    assert (ran[job_id], state["status"], state["last_error"]) == (1, "pending", "not yet")
    assert timedelta(minutes=4) < state["run_at"] - utc_now() <= timedelta(minutes=5)


async def test_a_kind_without_handler_fails_and_retries(db: Database) -> None:
    job_id = await _enqueue(db, "test.nobody_handles")
    await worker.run_once(db)
    state = await _state(db, job_id)
    assert state["status"] == "pending"
    assert state["last_error"] == "LookupError: no handler for job kind 'test.nobody_handles'"


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    delays = [worker.backoff(n) for n in range(1, 30)]
    assert worker.BACKOFF_BASE / 2 <= delays[0] <= worker.BACKOFF_BASE
    assert worker.BACKOFF_BASE * 4 <= delays[3] <= worker.BACKOFF_BASE * 8
    assert max(delays) <= worker.BACKOFF_CAP
    assert len({worker.backoff(5) for _ in range(20)}) > 1


@pytest.fixture
async def second(db: Database) -> AsyncIterator[Database]:
    """Another connection set to the same database, as another process holds."""
    database = open_database(db.url, pool_size=5)
    await database.connect()
    yield database
    await database.close()


async def test_two_workers_never_share_a_job(db: Database, second: Database) -> None:
    ids = [await _enqueue(db, sleep=0.02) for _ in range(60)]
    await asyncio.gather(worker.run_once(db), worker.run_once(second), worker.run_once(db))
    assert [ran[i] for i in ids] == [1] * 60
    states = [await _state(db, i) for i in ids]
    assert {(s["status"], s["attempts"]) for s in states} == {("done", 1)}


async def test_a_committed_job_wakes_the_idle_worker(db: Database) -> None:
    """With a poll of a minute, a job due now still runs within moments of its commit."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.serve(db, stop, poll=60))
    await asyncio.sleep(0.2)  # the worker has looked once and is idle
    job_id = await _enqueue(db)
    for _ in range(500):
        if ran[job_id]:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert ran[job_id] == 1


async def test_a_rolled_back_enqueue_wakes_nobody(db: Database) -> None:
    async def enqueue_then_fail(conn: Connection) -> None:
        await enqueue(conn, "test.work", {})
        assert conn.committed  # the wake waits for the commit
        raise RuntimeError("rolled back")

    woken: list[bool] = []
    event = asyncio.Event()
    waiting = (asyncio.get_running_loop(), event)
    WAITING.add(waiting)
    try:
        with pytest.raises(RuntimeError):
            await run(db, enqueue_then_fail, write=True)
        await asyncio.sleep(0.05)
        woken.append(event.is_set())
        await _enqueue(db, note="commits")
        await asyncio.sleep(0.05)
        woken.append(event.is_set())
    finally:
        WAITING.discard(waiting)
    assert woken == [False, True]


async def test_serve_runs_jobs_until_stopped(db: Database) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.serve(db, stop, poll=0.02))
    job_id = await _enqueue(db)
    for _ in range(200):
        if ran[job_id]:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert ran[job_id] == 1
