"""The Spaaza facade's own tables: each receipt's pre-rendered cells of get-receipts.csv,
and the chain's receipt webhook (`webhook_config_*`)."""

from __future__ import annotations

from tillroll.kit.tables import TEXT, TIMESTAMPTZ, UUID, Table, col

CELLS = Table(
    "spaaza_receipt_cells",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("head", TEXT),
    col("tail", TEXT),
    primary_key=("merchant_id", "receipt_id"),
)

WEBHOOK = Table(
    "spaaza_webhook_config",
    col("merchant_id", UUID),
    col("url", TEXT),
    col("basic_auth_user", TEXT, null=True),
    col("basic_auth_pass", TEXT, null=True),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id",),
)
