"""The value receipt events (docs/events.md, "Value receipts")."""

from __future__ import annotations

import uuid
from datetime import datetime

from tillroll.events.catalog import EventType
from tillroll.kit.schemas import Schema


class ValueReceiptEvent(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    currency: str
    start: datetime
    end: datetime
    total_delivered_value: int
    is_published: bool


VALUE_RECEIPT_CREATED = EventType(
    "value_receipt.created", ValueReceiptEvent, "A value receipt was created (a draft)."
)
VALUE_RECEIPT_SEALED = EventType(
    "value_receipt.sealed", ValueReceiptEvent, "A value receipt was sealed: posted, immutable."
)
VALUE_RECEIPT_PUBLISHED = EventType(
    "value_receipt.published", ValueReceiptEvent, "A value receipt's share link was made public."
)
