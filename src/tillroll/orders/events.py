"""The orders domain's events: every change of an order is one a merchant can subscribe to.

Every emission of the domain goes through `announce` (one place per service)."""

from __future__ import annotations

import uuid

import msgspec

from tillroll.kit.db import Connection
from tillroll.kit.schemas import Schema


class StatusChange(Schema):
    receipt_id: uuid.UUID
    status_before: str
    status: str


class TotalLowered(Schema):
    receipt_id: uuid.UUID
    revision: int
    currency: str
    total_before: int
    total_after: int
    lowered_by: int


async def announce(
    conn: Connection, merchant_id: uuid.UUID, name: str, data: msgspec.Struct
) -> None:
    """Record event `name` in the caller's transaction (wired to the events core)."""
