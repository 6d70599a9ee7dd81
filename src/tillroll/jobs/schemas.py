"""The jobs domain's shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec


class Job(msgspec.Struct, kw_only=True):
    """A claimed job, as its handler gets it: `attempts` counts this run (1 on the first)."""

    id: uuid.UUID
    kind: str
    key: str | None
    merchant_id: uuid.UUID | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
