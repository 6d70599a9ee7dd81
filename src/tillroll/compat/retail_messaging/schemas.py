"""The four retail-messaging documents, as clients send them.

Every field is optional at decode time: the facade checks the required ones itself, so one
answer names every missing field (a decoder stops at the first). Amounts and quantities are
strings in the seed's examples; JSON numbers are accepted too, decoded exactly (`Decimal`,
never a float). Timestamps are unix seconds, as a string or a number.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from tillroll.kit.schemas import Schema

Text = Annotated[str, Meta(max_length=2000)]
Number = Decimal  # "15.00" or 15.00, exact
UnixTime = Annotated[str, Meta(max_length=20)] | int
DocumentType = Literal["retail_receipts", "retail_shipments", "retail_updatereceipts", "notifyme"]


class Address(Schema):
    street_1: Text | None = None
    street_2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    postal_code: Text | None = None
    country: Text | None = None


class ReceiptItem(Schema):
    id: Text | None = None
    name: Text | None = None
    currency: Text | None = None
    price: Number | None = None
    thumb_url: Text | None = None
    item_url: Text | None = None
    quantity: Number | None = None
    metadata: dict[str, Text] | None = None


class RetailReceipt(Schema):
    receipt_id: Text | None = None
    items: Annotated[list[ReceiptItem], Meta(max_length=1000)] | None = None
    timestamp: UnixTime | None = None
    account_holder_name: Text | None = None
    recipient_name: Text | None = None
    receipt_name: Annotated[Text | None, Meta(description="The field table's name for it.")] = None
    structured_address: Address | None = None
    shipping_method: Text | None = None
    payment_method: Text | None = None
    subtotal: Number | None = None
    shipping_cost: Number | None = None
    total_tax: Number | None = None
    total_cost: Number | None = None
    currency: Text | None = None
    order_url: Text | None = None
    cancellation_url: Text | None = None


class ItemRef(Schema):
    id: Text | None = None
    quantity: Number | None = None


class RetailShipment(Schema):
    receipt_id: Text | None = None
    carrier: Text | None = None
    tracking_number: Text | None = None
    carrier_tracking_url: Text | None = None
    items: Annotated[list[ItemRef], Meta(max_length=1000)] | None = None
    ship_date: UnixTime | None = None
    origin: Address | None = None
    destination: Address | None = None
    weight: Number | None = None
    weight_unit: Text | None = None


class RetailUpdate(Schema):
    receipt_id: Text | None = None
    update_id: Text | None = None
    update_type: Text | None = None
    items: Annotated[list[ItemRef], Meta(max_length=1000)] | None = None
    timestamp: UnixTime | None = None
    updated_sub_total: Number | None = None
    updated_shipping_cost: Number | None = None
    updated_total_tax: Number | None = None
    updated_total: Number | None = None
    currency: Text | None = None


class NotifyMe(Schema):
    notification_id: Text | None = None
    name: Text | None = None
    url: Text | None = None
    thumb_url: Text | None = None
    category: Text | None = None
    currency: Text | None = None
    price: Number | None = None
    desc: Text | None = None
    metadata: dict[str, Text] | None = None


class Envelope(Schema):
    """`POST /compat/retail-messaging`: the document type and the document."""

    type: DocumentType
    data: msgspec.Raw


DOCUMENTS: dict[str, type[Schema]] = {
    "retail_receipts": RetailReceipt,
    "retail_shipments": RetailShipment,
    "retail_updatereceipts": RetailUpdate,
    "notifyme": NotifyMe,
}


class ViewItem(Schema):
    id: str
    name: str
    price: str
    quantity: str
    ordered: str
    shipped: str


class ViewChange(Schema):
    id: str
    quantity_before: str
    quantity_after: str


class ViewRevision(Schema):
    revision: int
    update_id: str | None
    update_type: str
    timestamp: str
    items: list[ViewChange]
    sub_total: str
    shipping_cost: str
    total_tax: str
    total: str


class ViewShipment(Schema):
    carrier: str
    tracking_number: str | None
    carrier_tracking_url: str | None
    items: list[ItemRef]
    ship_date: str
    status: str


class OrderView(Schema):
    """An order as the facade shows it; `status` is `""` (EMPTY_STRING) for a receipt
    without order details."""

    receipt_id: str
    status: str
    currency: str
    subtotal: str
    shipping_cost: str
    total_tax: str
    total_cost: str
    items: list[ViewItem]
    revisions: list[ViewRevision]
    shipments: list[ViewShipment]


class NotifyResult(Schema):
    """A `notifyme` answer: the product is available; `notifying` subscribers will hear."""

    notification_id: str
    product_id: str
    notifying: int
