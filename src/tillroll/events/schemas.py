"""The events domain's I/O shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from msgspec import Meta

from tillroll.kit.schemas import Limit, Schema


class Event(Schema):
    """One event: what happened (`type`), when, and its payload (`data`)."""

    id: uuid.UUID
    type: str
    created_at: datetime
    data: dict[str, Any]


class EventQuery(Schema):
    """Which events: of these types (repeat `type`; any when none), created in a window."""

    type: list[Annotated[str, Meta(max_length=100)]] = []
    created_from: Annotated[datetime | None, Meta(description="At or after (ISO 8601).")] = None
    created_to: Annotated[datetime | None, Meta(description="Before (ISO 8601).")] = None
    limit: Limit = 50
    cursor: str | None = None
