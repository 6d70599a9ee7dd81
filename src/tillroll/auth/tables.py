"""The auth domain's tables: API keys, and failed attempts per address and minute."""

from __future__ import annotations

from tillroll.kit.tables import INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

API_KEYS = Table(
    "api_keys",
    col("merchant_id", UUID),
    col("id", UUID),
    col("name", TEXT),
    col("prefix", TEXT),
    col("key_hash", TEXT),
    col("scopes", TEXT),
    col("created_at", TIMESTAMPTZ),
    col("last_used_at", TIMESTAMPTZ, null=True),
    col("revoked_at", TIMESTAMPTZ, null=True),
    primary_key=("merchant_id", "id"),
    unique=[("key_hash",)],
)

AUTH_FAILURES = Table(
    "auth_failures",
    col("address", TEXT),
    col("minute", INTEGER),
    col("failures", INTEGER),
    primary_key=("address",),
)
