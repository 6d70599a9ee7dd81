"""The branches domain's table."""

from __future__ import annotations

from tillroll.kit.address import Address
from tillroll.kit.tables import INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

BRANCHES = Table(
    "branches",
    col("merchant_id", UUID),
    col("id", UUID),
    col("number", INTEGER),
    col("code", TEXT),
    col("name", TEXT),
    col("address", TEXT, null=True, json=Address),
    col("phone", TEXT, null=True),
    col("email", TEXT, null=True),
    col("website", TEXT, null=True),
    col("timezone", TEXT),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "code"), ("merchant_id", "number")],
)
