"""The values domain's tables: value metrics, signals, their stored delivered value, value
receipts with their lines, and the merchant's embed settings."""

from __future__ import annotations

from typing import Any

from tillroll.kit.tables import BIGINT, BOOLEAN, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

VALUE_METRICS = Table(
    "value_metrics",
    col("merchant_id", UUID),
    col("id", UUID),
    col("slug", TEXT),
    col("version", INTEGER),
    col("name", TEXT),
    col("event_name", TEXT),
    col("expression", TEXT),
    col("variables", TEXT, json=list[dict[str, Any]]),
    col("unit", TEXT, json=dict[str, Any]),
    col("currency", TEXT),
    col("value_per_unit", TEXT, null=True),
    col("description", TEXT, null=True),
    col("archived_at", TIMESTAMPTZ, null=True),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "slug")],
)

SIGNALS = Table(
    "value_signals",
    col("merchant_id", UUID),
    col("id", UUID),
    col("event_name", TEXT),
    col("customer_id", UUID),
    col("external_customer_id", TEXT, null=True),
    col("product_id", UUID, null=True),
    col("order_id", TEXT, null=True),
    col("occurred_at", TIMESTAMPTZ),
    col("data", TEXT, null=True, json=dict[str, Any]),
    col("idempotency_key", TEXT, null=True),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "idempotency_key")],
)

SIGNAL_VALUES = Table(
    "value_signal_values",
    col("merchant_id", UUID),
    col("signal_id", UUID),
    col("metric_id", UUID),
    col("customer_id", UUID),
    col("product_id", UUID, null=True),
    col("order_id", TEXT, null=True),
    col("occurred_at", TIMESTAMPTZ),
    col("day", INTEGER),
    col("quantity_micro", BIGINT),
    primary_key=("merchant_id", "signal_id", "metric_id"),
)

VALUE_RECEIPTS = Table(
    "value_receipts",
    col("merchant_id", UUID),
    col("id", UUID),
    col("status", TEXT),
    col("customer_id", UUID),
    col("product_id", UUID, null=True),
    col("order_id", TEXT, null=True),
    col("currency", TEXT),
    col("start_at", TIMESTAMPTZ),
    col("end_at", TIMESTAMPTZ),
    col("total_delivered_value", BIGINT),
    col("series", TEXT, json=list[list[Any]]),
    col("share_token", TEXT),
    col("is_published", BOOLEAN),
    col("published_at", TIMESTAMPTZ, null=True),
    col("publish_expires_at", TIMESTAMPTZ, null=True),
    col("archived_at", TIMESTAMPTZ, null=True),
    col("sealed_at", TIMESTAMPTZ, null=True),
    col("generated_at", TIMESTAMPTZ),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "share_token")],
)

VALUE_RECEIPT_LINES = Table(
    "value_receipt_lines",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("line_no", INTEGER),
    col("metric_id", UUID),
    col("slug", TEXT),
    col("version", INTEGER),
    col("name", TEXT),
    col("unit", TEXT, json=dict[str, Any]),
    col("occurrences", BIGINT),
    col("quantity_micro", BIGINT),
    col("value", BIGINT, null=True),
    primary_key=("merchant_id", "receipt_id", "line_no"),
)

EMBED_SETTINGS = Table(
    "value_embed_settings",
    col("merchant_id", UUID),
    col("secret", TEXT),
    col("issuer", TEXT),
    col("audience", TEXT, null=True),
    col("ttl_seconds", INTEGER),
    col("login_url", TEXT, null=True),
    col("refresh_url", TEXT, null=True),
    col("allowed_origins", TEXT, json=list[str]),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id",),
)
