"""enqueue: a job row in the caller's transaction, deduplicated by (kind, key)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from tests.conftest import Tenant
from tillroll.jobs.service import HANDLERS, enqueue, handler
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, run


async def _job(db: Database, job_id: uuid.UUID) -> dict[str, object]:
    sql = (
        "SELECT kind, key, merchant_id, payload, status, attempts, run_at FROM jobs WHERE id = :id"
    )
    row = await run(db, lambda conn: conn.fetchone(sql, {"id": job_id}), write=False)
    assert row is not None
    return {
        n: row[n] for n in ["kind", "key", "merchant_id", "payload", "status", "attempts", "run_at"]
    }


async def test_a_job_is_pending_with_its_payload(db: Database, tenant: Tenant) -> None:
    later = utc_now() + timedelta(hours=1)

    async def work(conn: Connection) -> uuid.UUID:
        return await enqueue(
            conn, "test.pending", {"a": 1, "id": tenant.id}, merchant_id=tenant.id, run_at=later
        )

    job = await _job(db, await run(db, work, write=True))
    assert json.loads(str(job["payload"])) == {"a": 1, "id": str(tenant.id)}
    assert (job["kind"], job["key"], job["merchant_id"]) == ("test.pending", None, tenant.id)
    assert (job["status"], job["attempts"], job["run_at"]) == ("pending", 0, later)


async def test_a_key_is_enqueued_once(db: Database) -> None:
    key = str(uuid.uuid4())

    async def twice(conn: Connection) -> tuple[uuid.UUID, uuid.UUID]:
        first = await enqueue(conn, "test.keyed", {"n": 1}, key=key)
        return first, await enqueue(conn, "test.keyed", {"n": 2}, key=key)

    first, second = await run(db, twice, write=True)
    again = await run(db, lambda conn: enqueue(conn, "test.keyed", {"n": 3}, key=key), write=True)
    other = await run(db, lambda conn: enqueue(conn, "test.other", {}, key=key), write=True)
    assert first == second == again != other
    count = "SELECT count(*) FROM jobs WHERE key = :key"
    assert await run(db, lambda conn: conn.fetchval(count, {"key": key}), write=False) == 2


def test_a_kind_has_one_handler() -> None:
    @handler("test.one_handler")
    async def first(db: Database, job: object) -> None:
        """Never run."""

    try:
        with pytest.raises(AssertionError, match="two handlers"):
            handler("test.one_handler")(first)
    finally:
        del HANDLERS["test.one_handler"]
