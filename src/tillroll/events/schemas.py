"""The events domain's I/O shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec


class Event(msgspec.Struct, kw_only=True):
    """One event: what happened (`type`), when, and its payload (`data`)."""

    id: uuid.UUID
    type: str
    created_at: datetime
    data: dict[str, Any]
