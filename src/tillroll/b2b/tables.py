"""The b2b domain's tables (migrations 0013, 0021 and 0024)."""

from __future__ import annotations

from typing import Any

from tillroll.kit.tables import BIGINT, BOOLEAN, DATE, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

_KEYS = (col("merchant_id", UUID), col("id", UUID), col("number", INTEGER))
_STAMPS = (col("created_at", TIMESTAMPTZ), col("updated_at", TIMESTAMPTZ))
_PAYER = (
    col("customer_id", UUID),
    col("payer_name", TEXT),
    col("payer_customer_id", UUID, null=True),
    col("payment_type", TEXT),
    col("reference_number", TEXT),
    col("transaction_type", TEXT),
)
_EXTERNAL = (col("external_id", TEXT, null=True), col("external_customer_id", TEXT, null=True))

INVOICES = Table(
    "invoices",
    *_KEYS,
    col("invoice_number", TEXT),
    col("customer_id", UUID),
    col("currency", TEXT),
    col("amount", BIGINT),
    col("open_balance", BIGINT),
    col("due_date", DATE, null=True),
    col("external_id", TEXT, null=True),
    col("source", TEXT),
    *_STAMPS,
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "number"), ("merchant_id", "invoice_number")],
)

PAYMENTS = Table(
    "payments",
    *_KEYS,
    *_PAYER,
    col("memo", TEXT),
    *_EXTERNAL,
    col("currency", TEXT),
    col("total", BIGINT),
    col("processing_status", INTEGER),
    col("applied", BOOLEAN),
    *_STAMPS,
    col("funding_status", INTEGER),
    col("channel_id", INTEGER, null=True),
    col("customer_ref", TEXT),
    col("customer_name", TEXT),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "number")],
)

RECEIPTS = Table(
    "payment_receipts",
    *_KEYS,
    col("payment_id", UUID),
    col("payment_number", INTEGER),
    *_PAYER,
    col("memo", TEXT),
    *_EXTERNAL,
    col("currency", TEXT),
    col("total", BIGINT),
    col("payment_status", INTEGER),
    *_STAMPS,
    col("deleted_at", TIMESTAMPTZ, null=True),
    col("customer_ref", TEXT),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "number"), ("merchant_id", "payment_id")],
)

LINES = Table(
    "payment_receipt_lines",
    *_KEYS,
    col("receipt_id", UUID),
    col("receipt_number", INTEGER),
    col("payment_id", UUID),
    col("payment_number", INTEGER),
    col("invoice_id", UUID),
    col("invoice_seq", INTEGER),
    col("invoice_number", TEXT),
    *_PAYER,
    *_EXTERNAL,
    col("currency", TEXT),
    col("amount", BIGINT),
    col("payment_status", INTEGER),
    *_STAMPS,
    col("deleted_at", TIMESTAMPTZ, null=True),
    col("customer_ref", TEXT),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "number")],
)

AUDIT = Table(
    "payment_audit",
    col("merchant_id", UUID),
    col("id", UUID),
    col("at", TIMESTAMPTZ),
    col("actor", TEXT),
    col("action", TEXT),
    col("object_type", TEXT),
    col("object_id", UUID),
    col("changes", TEXT, json=dict[str, Any]),
    primary_key=("merchant_id", "id"),
)
