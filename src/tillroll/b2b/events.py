"""The b2b event types. Each carries the audit entry of its change: who, when, what."""

from __future__ import annotations

from tillroll.b2b.schemas import AuditEntry
from tillroll.events.catalog import EventType

_TYPES = {
    "invoice.created": "An invoice was created; its open balance is its amount.",
    "invoice.updated": "An invoice's non-financial fields changed (from → to).",
    "payment.recorded": "A payment was recorded: its receipt and lines, the balances moved.",
    "payment.updated": "A payment's descriptive fields changed (its receipt and lines too).",
    "payment.status_changed": "A payment's processing status changed; balances followed.",
    "payment.reallocated": "A payment's invoices or amounts changed (from → to); balances too.",
    "payment.applied": "A payment was applied to its invoices' balances again.",
    "payment.reverted": "A payment's amounts were given back to its invoices' balances.",
    "payment_receipt.deleted": "A receipt and its lines were deleted; balances given back.",
    "payment_receipt_line.deleted": "A receipt line was deleted; its invoice got it back.",
}
EVENTS: dict[str, EventType] = {
    name: EventType(name, AuditEntry, text) for name, text in _TYPES.items()
}
"""Action name → its event type (the audit entry's `action` is the event's name)."""
