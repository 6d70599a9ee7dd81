"""The Spaaza facade's own table: each receipt's pre-rendered cells of get-receipts.csv."""

from __future__ import annotations

from tillroll.kit.tables import TEXT, UUID, Table, col

CELLS = Table(
    "spaaza_receipt_cells",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("head", TEXT),
    col("tail", TEXT),
    primary_key=("merchant_id", "receipt_id"),
)
