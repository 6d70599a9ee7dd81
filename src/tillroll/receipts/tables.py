"""The receipts domain's tables: a receipt and its lines (a nested record)."""

from __future__ import annotations

from typing import Any

from tillroll.kit.tables import BIGINT, BOOLEAN, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col
from tillroll.receipts.schemas import BasketDiscount, Employee, Payment, TaxLine

RECEIPTS = Table(
    "receipts",
    col("merchant_id", UUID),
    col("id", UUID),
    col("number", BIGINT),
    col("external_id", TEXT),
    col("type", TEXT),
    col("issued_at", TIMESTAMPTZ),
    col("branch_id", UUID, null=True),
    col("customer_id", UUID, null=True),
    col("employee", TEXT, null=True, json=Employee),
    col("currency", TEXT),
    col("prices_include_tax", BOOLEAN),
    col("subtotal", BIGINT),
    col("tax_total", BIGINT),
    col("shipping_total", BIGINT),
    col("discount_total", BIGINT),
    col("total", BIGINT),
    col("taxes", TEXT, json=list[TaxLine]),
    col("payments", TEXT, json=list[Payment]),
    col("discounts", TEXT, json=list[BasketDiscount]),
    col("notes", TEXT, null=True),
    col("metadata", TEXT, null=True, json=dict[str, Any]),
    col("is_return", BOOLEAN),
    col("body_hash", TEXT),
    col("created_at", TIMESTAMPTZ),
    col("claimed_at", TIMESTAMPTZ, null=True),
    col("csv_cells", TEXT, null=True),  # the export's own cells, rendered at ingest (0014)
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "external_id"), ("merchant_id", "number")],
)

LINES = Table(
    "receipt_lines",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("line_no", INTEGER),
    col("sku", TEXT, null=True),
    col("barcode", TEXT, null=True),
    col("product_id", UUID, null=True),
    col("name", TEXT),
    col("description", TEXT, null=True),
    col("category", TEXT, null=True),
    col("quantity", TEXT),
    col("quantity_micro", BIGINT),
    col("unit", TEXT),
    col("original_price", BIGINT, null=True),
    col("discount", BIGINT),
    col("vouchers", BIGINT),
    col("total", BIGINT),
    col("tax_rate", TEXT, null=True),
    col("metadata", TEXT, null=True, json=dict[str, Any]),
    col("return_of_receipt_id", UUID, null=True),
    col("return_of_line_no", INTEGER, null=True),
    col("unit_price", TEXT),  # exact decimal string of minor units (migration 0005)
    primary_key=("merchant_id", "receipt_id", "line_no"),
)
