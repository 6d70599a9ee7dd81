"""The events domain's table: the outbox."""

from __future__ import annotations

from typing import Any

from tillroll.kit.tables import TEXT, TIMESTAMPTZ, UUID, Table, col

EVENTS = Table(
    "events",
    col("merchant_id", UUID),
    col("id", UUID),
    col("type", TEXT),
    col("data", TEXT, json=dict[str, Any]),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
)
