"""Orders: what an online receipt carries to be shipped, amended and tracked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from tillroll.kit.address import Country
from tillroll.kit.schemas import Schema
from tillroll.receipts.schemas import Amount, Aware, DecimalText, OrderStatus, Positive

Short = Annotated[str, Meta(min_length=1, max_length=200)]
Url = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"^https?://")]
Quantity = Annotated[int, Meta(ge=0, le=1_000_000)]
Metadata = Annotated[
    dict[Annotated[str, Meta(max_length=64)], Annotated[str, Meta(max_length=500)]],
    Meta(
        max_length=50,
        description='`brand`, `size`, `color`, `gender` (`M`, `F` or `""`) and free keys.',
    ),
]
UpdateType = Literal["cancel_item", "update_quantity"]
TrackingStatus = Literal[
    "info_received", "in_transit", "out_for_delivery", "delivered", "exception", "returned"
]
WeightUnit = Literal["LBS", "KGS"]


class ShippingAddress(Schema):
    street_1: Short
    city: Short
    state: Annotated[str, Meta(min_length=1, max_length=64)]
    postal_code: Annotated[str, Meta(min_length=1, max_length=16)]
    country: Country
    street_2: Annotated[str, Meta(max_length=200)] | None = None


class OriginAddress(Schema):
    """Where a shipment leaves from: street lines are optional."""

    city: Short
    state: Annotated[str, Meta(min_length=1, max_length=64)]
    postal_code: Annotated[str, Meta(min_length=1, max_length=16)]
    country: Country
    street_1: Annotated[str, Meta(max_length=200)] | None = None
    street_2: Annotated[str, Meta(max_length=200)] | None = None


class Totals(Schema):
    subtotal: Amount
    shipping_total: Amount
    tax_total: Amount
    total: Amount


class OrderItemIn(Schema):
    """Order details of one receipt line."""

    line_no: Annotated[int, Meta(ge=1, le=1000)]
    item_id: (
        Annotated[str, Meta(min_length=1, max_length=128, description="Default: the line's sku.")]
        | None
    ) = None
    item_url: Url | None = None
    thumb_url: Url | None = None
    metadata: Metadata | None = None


class OrderCreate(Schema):
    account_holder_name: Short
    recipient_name: Short
    shipping_address: ShippingAddress
    shipping_method: Short | None = None
    payment_method: Annotated[str, Meta(max_length=64, examples=["Visa 1234"])] | None = None
    order_url: Url | None = None
    cancellation_url: Url | None = None
    items: Annotated[list[OrderItemIn], Meta(max_length=1000)] = []


class OrderItem(Schema):
    line_no: int
    item_id: str
    name: str
    unit_price: str
    ordered: Annotated[int, Meta(description="As on the receipt.")]
    quantity: Annotated[int, Meta(description="Live quantity after the updates.")]
    shipped: int
    item_url: str | None
    thumb_url: str | None
    metadata: dict[str, str] | None


class Order(Schema):
    receipt_id: uuid.UUID
    status: OrderStatus
    account_holder_name: str
    recipient_name: str
    shipping_address: ShippingAddress
    shipping_method: str | None
    payment_method: str | None
    order_url: str | None
    cancellation_url: str | None
    currency: str
    revision: Annotated[int, Meta(description="The current revision (0: as placed).")]
    totals: Totals
    items: list[OrderItem]
    created_at: datetime
    updated_at: datetime


class UpdateItem(Schema):
    line_no: Annotated[int, Meta(ge=1, le=1000)]
    quantity: Annotated[
        Quantity | None,
        Meta(
            description="cancel_item: how many to cancel (default: all unshipped); "
            "update_quantity: the new quantity (default: unchanged)."
        ),
    ] = None


class OrderUpdate(Schema):
    update_type: UpdateType
    items: Annotated[list[UpdateItem], Meta(min_length=1, max_length=1000)]
    timestamp: Aware
    update_id: Annotated[str, Meta(min_length=1, max_length=128)] | None = None
    subtotal: Positive | None = None
    shipping_total: Positive | None = None
    tax_total: Positive | None = None
    total: Positive | None = None


class ItemChange(Schema):
    line_no: int
    item_id: str
    quantity_before: int
    quantity_after: int


class Revision(Schema):
    receipt_id: uuid.UUID
    revision: int
    update_id: str | None
    update_type: Annotated[str, Meta(description="`placed`, `cancel_item` or `update_quantity`")]
    changes: list[ItemChange]
    totals_before: Totals | None
    totals_after: Totals
    actor: Annotated[str, Meta(description="Who: `key:<api key id>`.")]
    happened_at: datetime
    recorded_at: datetime


class ShipmentItem(Schema):
    line_no: Annotated[int, Meta(ge=1, le=1000)]
    quantity: Annotated[int, Meta(ge=1, le=1_000_000)]


class ShipmentCreate(Schema):
    carrier: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=64,
            description="`UPS`, `FedEx`, `USPS`, or any other carrier's name as the buyer sees it.",
        ),
    ]
    items: Annotated[list[ShipmentItem], Meta(min_length=1, max_length=1000)]
    ship_date: Aware
    origin: OriginAddress
    destination: ShippingAddress
    tracking_number: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    tracking_url: Url | None = None
    weight: DecimalText = "1"
    weight_unit: Annotated[WeightUnit, Meta(description="Case-sensitive.")] = "LBS"


class TrackingEvent(Schema):
    seq: int
    status: TrackingStatus
    raw_text: str | None
    occurred_at: datetime
    recorded_at: datetime


class Shipment(Schema):
    id: uuid.UUID
    receipt_id: uuid.UUID
    carrier: str
    tracking_number: str | None
    tracking_url: str | None
    items: list[ShipmentItem]
    ship_date: datetime
    origin: OriginAddress
    destination: ShippingAddress
    weight: str
    weight_unit: str
    status: TrackingStatus
    delivered_at: datetime | None
    events: list[TrackingEvent]
    created_at: datetime


class Revisions(Schema):
    data: list[Revision]


class Shipments(Schema):
    data: list[Shipment]


class TrackingEventIn(Schema):
    status: TrackingStatus
    raw_text: Annotated[str, Meta(max_length=1000, description="The carrier's words.")] | None = (
        None
    )
    occurred_at: Aware | None = None


class SubscriptionCreate(Schema):
    """Who wants to know: a customer or an e-mail address (one of them)."""

    customer_id: uuid.UUID | None = None
    email: Annotated[str, Meta(min_length=3, max_length=320)] | None = None


SubscriptionStatus = Literal["open", "notified", "cancelled"]


class Subscription(Schema):
    id: uuid.UUID
    product_id: uuid.UUID
    customer_id: uuid.UUID | None
    email: str | None
    status: SubscriptionStatus
    created_at: datetime
    closed_at: datetime | None


class Restock(Schema):
    """What the notifications carry besides the product's name, image and metadata."""

    url: Url | None = None
    price: Positive | None = None
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] | None = None


class RestockResult(Schema):
    product_id: uuid.UUID
    available: bool
    notifying: Annotated[int, Meta(description="Open subscriptions the worker will notify.")]


class StockSettings(Schema):
    landing_url: Annotated[
        Url, Meta(description="Where a notified shopper is sent (product page, pre-filled cart).")
    ]
