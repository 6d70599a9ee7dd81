"""The Paid facade's own table: Paid orders, the scope a value receipt's `orderId` names
(Tillroll's native orders are online receipts; a Paid order is a customer's contract)."""

from __future__ import annotations

from typing import Any

from tillroll.kit.tables import BIGINT, TEXT, TIMESTAMPTZ, UUID, Table, col

ORDERS = Table(
    "paid_orders",
    col("merchant_id", UUID),
    col("id", UUID),
    col("number", BIGINT),
    col("customer_id", UUID),
    col("name", TEXT),
    col("external_id", TEXT, null=True),
    col("creation_state", TEXT),
    col("start_date", TIMESTAMPTZ),
    col("end_date", TIMESTAMPTZ, null=True),
    col("subscription_terms", BIGINT, null=True),
    col("payment_terms", TEXT, null=True),
    col("purchase_order_reference", TEXT, null=True),
    col("metadata", TEXT, null=True, json=dict[str, Any]),
    col("lines", TEXT, json=list[dict[str, Any]]),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "external_id")],
)
