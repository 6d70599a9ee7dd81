"""The receipt events: `receipt.created` (one per stored receipt, a batch in one statement)
and `receipt.claimed`. Their payload is a summary; `GET /v1/receipts/{id}` has the rest."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from tillroll.events.catalog import EventType
from tillroll.receipts.schemas import BasketDiscount, Receipt, ReceiptType


class ReceiptEvent(msgspec.Struct, kw_only=True):
    """A receipt in brief (`number` is absent: it is given at commit)."""

    id: uuid.UUID
    external_id: str
    type: ReceiptType
    issued_at: datetime
    currency: str
    total: int
    is_return: bool
    branch_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    claimed_at: datetime | None
    vouchers: list[BasketDiscount] = msgspec.field(default_factory=list)
    """The basket discounts of kind `voucher` that carry a code."""


def summary(receipt: Receipt) -> ReceiptEvent:
    return ReceiptEvent(
        id=receipt.id,
        external_id=receipt.external_id,
        type=receipt.type,
        issued_at=receipt.issued_at,
        currency=receipt.currency,
        total=receipt.total,
        is_return=receipt.is_return,
        branch_id=receipt.branch.id if receipt.branch else None,
        customer_id=receipt.customer.id if receipt.customer else None,
        claimed_at=receipt.claimed_at,
        vouchers=[d for d in receipt.discounts if d.kind == "voucher" and d.code],
    )


RECEIPT_CREATED = EventType("receipt.created", ReceiptEvent, "A receipt was stored.")
RECEIPT_CLAIMED = EventType(
    "receipt.claimed", ReceiptEvent, "An anonymous receipt was attached to a customer."
)
