"""The products domain's table."""

from __future__ import annotations

from typing import Any

from tillroll.kit.tables import BOOLEAN, TEXT, TIMESTAMPTZ, UUID, Table, col

PRODUCTS = Table(
    "products",
    col("merchant_id", UUID),
    col("id", UUID),
    col("external_id", TEXT),
    col("barcode", TEXT, null=True),
    col("name", TEXT),
    col("description", TEXT, null=True),
    col("category", TEXT, null=True),
    col("brand", TEXT, null=True),
    col("image_url", TEXT, null=True),
    col("metadata", TEXT, null=True, json=dict[str, Any]),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    col("available", BOOLEAN),  # in stock (migration 0012, back-in-stock notifications)
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "external_id")],
)
