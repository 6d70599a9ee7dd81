"""All SQL of jobs.

A job is due when `status = 'pending' AND run_at <= now`. A claim sets `claim` (a fresh id)
and moves `run_at` to the end of the lease, so no other worker sees the job due while it
runs, and a worker that dies mid-job leaves it due again when the lease ends. Finishing or
failing a job only applies while the claim is still the worker's own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tillroll.jobs.schemas import Job
from tillroll.jobs.tables import JOBS
from tillroll.kit.repository import Repository

_FIELDS = ["id", "kind", "key", "merchant_id", "payload", "attempts", "created_at"]
_read = JOBS.reader(_FIELDS)
_INSERT = (
    f"INSERT INTO jobs ({JOBS.select()}) VALUES ({', '.join(':' + n for n in JOBS.names)}) "
    "ON CONFLICT (kind, key) DO NOTHING RETURNING id"
)


class JobRepository(Repository):
    async def insert(self, row: dict[str, Any]) -> uuid.UUID:
        """Insert a pending job; with a `key` already enqueued for its kind, the existing id."""
        inserted = await self.conn.fetchval(_INSERT, row)
        if inserted is not None:
            return uuid.UUID(str(inserted))
        existing = await self.conn.fetchval(
            "SELECT id FROM jobs WHERE kind = :kind AND key = :key", row
        )
        return uuid.UUID(str(existing))

    async def any_due(self, now: datetime) -> bool:
        row = await self.conn.fetchone(
            "SELECT 1 FROM jobs WHERE status = 'pending' AND run_at <= :now LIMIT 1",
            {"now": now},
        )
        return row is not None

    async def claim(
        self, *, due: datetime, lease_end: datetime, claim: uuid.UUID, limit: int
    ) -> list[Job]:
        """Claim up to `limit` jobs due at `due`, oldest due first (skipping rows another
        worker holds locked, on PostgreSQL)."""
        rows = await self.conn.fetchall(
            "UPDATE jobs SET run_at = :lease_end, claim = :claim, attempts = attempts + 1 "
            "WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= :due "
            f"ORDER BY run_at, id LIMIT :limit{self.conn.for_update(skip_locked=True)}) "
            f"RETURNING {JOBS.select(_FIELDS)}",
            {"lease_end": lease_end, "claim": claim, "due": due, "limit": limit},
        )
        return sorted((Job(**_read(r)) for r in rows), key=lambda j: j.id)

    async def settle(
        self,
        job: Job,
        claim: uuid.UUID,
        *,
        status: str,
        run_at: datetime,
        error: str | None,
        finished_at: datetime | None,
    ) -> bool:
        """Record a run's outcome, if the claim is still ours; whether it was."""
        row = await self.conn.fetchone(
            "UPDATE jobs SET status = :status, run_at = :run_at, last_error = :error, "
            "finished_at = :finished_at, claim = NULL WHERE id = :id AND claim = :claim "
            "RETURNING id",
            {
                "status": status,
                "run_at": run_at,
                "error": error,
                "finished_at": finished_at,
                "id": job.id,
                "claim": claim,
            },
        )
        return row is not None
