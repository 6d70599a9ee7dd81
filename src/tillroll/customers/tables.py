"""The customers domain's table."""

from __future__ import annotations

from typing import Any

from tillroll.kit.address import Address
from tillroll.kit.tables import BOOLEAN, DATE, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

CUSTOMERS = Table(
    "customers",
    col("merchant_id", UUID),
    col("id", UUID),
    col("number", INTEGER),
    col("external_id", TEXT, null=True),
    col("member_number", TEXT, null=True),
    col("first_name", TEXT, null=True),
    col("last_name", TEXT, null=True),
    col("email", TEXT, null=True),
    col("phone", TEXT, null=True),
    col("gender", TEXT, null=True),
    col("birthday", DATE, null=True),
    col("country", TEXT, null=True),
    col("shipping_address", TEXT, null=True, json=Address),
    col("billing_address", TEXT, null=True, json=Address),
    col("registered", BOOLEAN),
    col("send_email_receipt", BOOLEAN),
    col("metadata", TEXT, null=True, json=dict[str, Any]),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
    unique=[
        ("merchant_id", "number"),
        ("merchant_id", "external_id"),
        ("merchant_id", "member_number"),
    ],
)
