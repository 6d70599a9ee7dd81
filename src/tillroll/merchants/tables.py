"""The merchants domain's table."""

from __future__ import annotations

from tillroll.kit.tables import INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col
from tillroll.merchants.schemas import MerchantSettings

MERCHANTS = Table(
    "merchants",
    col("id", UUID),
    col("number", INTEGER),
    col("name", TEXT),
    col("settings", TEXT, json=MerchantSettings),
    col("session_secret", TEXT),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("id",),
    unique=[("number",)],
)
