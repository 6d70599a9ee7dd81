"""The jobs domain's table: background jobs and their state."""

from __future__ import annotations

from typing import Any

from tillroll.kit.tables import INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

JOBS = Table(
    "jobs",
    col("id", UUID),
    col("kind", TEXT),
    col("key", TEXT, null=True),
    col("merchant_id", UUID, null=True),
    col("payload", TEXT, json=dict[str, Any]),
    col("status", TEXT),
    col("attempts", INTEGER),
    col("run_at", TIMESTAMPTZ),
    col("claim", UUID, null=True),
    col("last_error", TEXT, null=True),
    col("created_at", TIMESTAMPTZ),
    col("finished_at", TIMESTAMPTZ, null=True),
    primary_key=("id",),
    unique=[("kind", "key")],
)
