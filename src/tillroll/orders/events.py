"""The orders domain's event types: every change of an order is an event a merchant can
subscribe to (a shipment created through the API notifies, unlike on peer platforms)."""

from __future__ import annotations

import uuid
from typing import Any

from tillroll.events.catalog import EventType
from tillroll.kit.schemas import Schema
from tillroll.orders.schemas import Order, Revision, Shipment


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


class BackInStock(Schema):
    """One subscriber's notification that a product is available again."""

    subscription_id: uuid.UUID
    product_id: uuid.UUID
    customer_id: uuid.UUID | None
    email: str | None
    name: str
    url: str | None
    thumb_url: str | None
    price: int | None
    currency: str | None
    metadata: dict[str, Any] | None
    landing_url: str | None


ORDER_PLACED = EventType("order.placed", Order, "An online receipt's order details were attached.")
ORDER_REVISED = EventType("order.revised", Revision, "An order update made a new revision.")
ORDER_TOTAL_LOWERED = EventType(
    "order.total_lowered", TotalLowered, "An order update lowered what the customer pays."
)
ORDER_STATUS_CHANGED = EventType(
    "order.status_changed", StatusChange, "An order's derived status changed."
)
SHIPMENT_CREATED = EventType("shipment.created", Shipment, "Some of an order's items shipped.")
SHIPMENT_TRACKED = EventType(
    "shipment.tracked", Shipment, "A carrier event was added to a shipment's timeline."
)
PRODUCT_BACK_IN_STOCK = EventType(
    "product.back_in_stock", BackInStock, "A subscribed product is available again (one each)."
)
