"""The documents domain's event types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from tillroll.events.catalog import EventType


class ReceiptEmail(msgspec.Struct, kw_only=True):
    """Where a receipt's e-mail stands."""

    receipt_id: uuid.UUID
    status: Literal["queued", "sent", "failed"]
    recipient: str
    attempts: int
    last_error: str | None
    updated_at: datetime
    sent_at: datetime | None


RECEIPT_EMAILED = EventType(
    "receipt.emailed", ReceiptEmail, "A receipt was e-mailed to its customer."
)
RECEIPT_EMAIL_FAILED = EventType(
    "receipt.email_failed",
    ReceiptEmail,
    "E-mailing a receipt failed for good (refused, or out of retries); `last_error` says why.",
)
