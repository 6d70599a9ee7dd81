"""The orders domain's tables: an online receipt's order, its items, revisions, shipments
with their tracking timeline, and the back-in-stock subscriptions."""

from __future__ import annotations

from tillroll.kit.tables import BIGINT, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col
from tillroll.orders.schemas import (
    ItemChange,
    OriginAddress,
    ShipmentItem,
    ShippingAddress,
    Totals,
)

ORDERS = Table(
    "orders",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("status", TEXT),
    col("account_holder_name", TEXT),
    col("recipient_name", TEXT),
    col("shipping_address", TEXT, json=ShippingAddress),
    col("shipping_method", TEXT, null=True),
    col("payment_method", TEXT, null=True),
    col("order_url", TEXT, null=True),
    col("cancellation_url", TEXT, null=True),
    col("revision", INTEGER),
    col("subtotal", BIGINT),
    col("shipping_total", BIGINT),
    col("tax_total", BIGINT),
    col("total", BIGINT),
    col("body_hash", TEXT),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "receipt_id"),
)

ORDER_ITEMS = Table(
    "order_items",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("line_no", INTEGER),
    col("item_id", TEXT),
    col("ordered", BIGINT),
    col("quantity", BIGINT),
    col("shipped", BIGINT),
    col("item_url", TEXT, null=True),
    col("thumb_url", TEXT, null=True),
    col("metadata", TEXT, null=True, json=dict[str, str]),
    primary_key=("merchant_id", "receipt_id", "line_no"),
    unique=[("merchant_id", "receipt_id", "item_id")],
)

REVISIONS = Table(
    "order_revisions",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("revision", INTEGER),
    col("update_id", TEXT, null=True),
    col("update_type", TEXT),
    col("changes", TEXT, json=list[ItemChange]),
    col("totals_before", TEXT, null=True, json=Totals),
    col("totals_after", TEXT, json=Totals),
    col("actor", TEXT),
    col("happened_at", TIMESTAMPTZ),
    col("recorded_at", TIMESTAMPTZ),
    col("body_hash", TEXT),
    primary_key=("merchant_id", "receipt_id", "revision"),
    unique=[("merchant_id", "receipt_id", "update_id")],
)

SHIPMENTS = Table(
    "shipments",
    col("merchant_id", UUID),
    col("id", UUID),
    col("receipt_id", UUID),
    col("carrier", TEXT),
    col("tracking_number", TEXT, null=True),
    col("tracking_url", TEXT, null=True),
    col("items", TEXT, json=list[ShipmentItem]),
    col("ship_date", TIMESTAMPTZ),
    col("origin", TEXT, json=OriginAddress),
    col("destination", TEXT, json=ShippingAddress),
    col("weight", TEXT),
    col("weight_unit", TEXT),
    col("status", TEXT),
    col("status_at", TIMESTAMPTZ),
    col("delivered_at", TIMESTAMPTZ, null=True),
    col("body_hash", TEXT),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
)

SHIPMENT_EVENTS = Table(
    "shipment_events",
    col("merchant_id", UUID),
    col("shipment_id", UUID),
    col("seq", INTEGER),
    col("status", TEXT),
    col("raw_text", TEXT, null=True),
    col("occurred_at", TIMESTAMPTZ),
    col("recorded_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "shipment_id", "seq"),
)

SUBSCRIPTIONS = Table(
    "stock_subscriptions",
    col("merchant_id", UUID),
    col("id", UUID),
    col("product_id", UUID),
    col("customer_id", UUID, null=True),
    col("email", TEXT, null=True),
    col("open_key", TEXT, null=True),
    col("status", TEXT),
    col("created_at", TIMESTAMPTZ),
    col("closed_at", TIMESTAMPTZ, null=True),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "product_id", "open_key")],
)

STOCK_SETTINGS = Table(
    "stock_settings",
    col("merchant_id", UUID),
    col("landing_url", TEXT),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id",),
)
