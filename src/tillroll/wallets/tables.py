"""The wallets domain's tables (migration 0010; loyalty levels 0018, changed 0023)."""

from __future__ import annotations

import uuid

from tillroll.kit.tables import BIGINT, BOOLEAN, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col
from tillroll.wallets.levels_schemas import Level

WALLETS = Table(
    "wallets",
    col("merchant_id", UUID),
    col("id", UUID),
    col("customer_id", UUID),
    col("kind", TEXT),
    col("currency", TEXT, null=True),
    col("title", TEXT),
    col("lifetime_days", INTEGER, null=True),
    col("allow_overdraft", BOOLEAN),
    col("code_lifetime_hours", INTEGER, null=True),
    col("balance", BIGINT),
    col("debt", BIGINT),
    col("entry_count", BIGINT),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    col("next_expiry", TIMESTAMPTZ, null=True),  # migration 0018
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "customer_id", "kind")],
)

ENTRIES = Table(
    "wallet_entries",
    col("merchant_id", UUID),
    col("id", UUID),
    col("wallet_id", UUID),
    col("seq", BIGINT),
    col("amount", BIGINT),
    col("balance_after", BIGINT),
    col("reason", TEXT),
    col("note", TEXT, null=True),
    col("receipt_id", UUID, null=True),
    col("campaign_id", UUID, null=True),
    col("redemption_id", UUID, null=True),
    col("reverses", UUID, null=True),
    col("lot_id", UUID, null=True),
    col("actor", TEXT, null=True),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "wallet_id", "seq"), ("merchant_id", "reverses")],
)

LOTS = Table(
    "wallet_lots",
    col("merchant_id", UUID),
    col("id", UUID),
    col("wallet_id", UUID),
    col("entry_id", UUID),
    col("amount", BIGINT),
    col("remaining", BIGINT),
    col("granted_at", TIMESTAMPTZ),
    col("expires_at", TIMESTAMPTZ, null=True),
    col("swept", BOOLEAN),
    primary_key=("merchant_id", "id"),
)

DRAWS = Table(
    "wallet_draws",
    col("merchant_id", UUID),
    col("entry_id", UUID),
    col("lot_id", UUID),
    col("amount", BIGINT),
    primary_key=("merchant_id", "entry_id", "lot_id"),
)

REDEMPTIONS = Table(
    "wallet_redemptions",
    col("merchant_id", UUID),
    col("id", UUID),
    col("wallet_id", UUID),
    col("customer_id", UUID),
    col("code", TEXT),
    col("amount", BIGINT),
    col("status", TEXT),
    col("hold_entry_id", UUID),
    col("receipt_id", UUID, null=True),
    col("created_at", TIMESTAMPTZ),
    col("expires_at", TIMESTAMPTZ, null=True),
    col("closed_at", TIMESTAMPTZ, null=True),
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id", "code")],
)

PROGRAMMES = Table(
    "loyalty_programmes",
    col("merchant_id", UUID),
    col("id", UUID),
    col("number", INTEGER),
    col("name", TEXT),
    col("description", TEXT, null=True),
    col("review_months", INTEGER),
    col("starts_at", TIMESTAMPTZ),
    col("levels", TEXT, json=list[Level]),
    col("last_review", INTEGER),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    col("earlier_review", TIMESTAMPTZ, null=True),  # migration 0023
    primary_key=("merchant_id", "id"),
    unique=[("merchant_id",), ("merchant_id", "number")],
)

MEMBERS = Table(
    "loyalty_members",
    col("merchant_id", UUID),
    col("programme_id", UUID),
    col("customer_id", UUID),
    col("level", INTEGER),
    col("points", BIGINT),
    col("reached_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "programme_id", "customer_id"),
)

# --- campaigns and what receipts earned by them (migration 0017) -------------------------

CAMPAIGNS = Table(
    "campaigns",
    col("merchant_id", UUID),
    col("id", UUID),
    col("title", TEXT),
    col("kind", TEXT),
    col("percent", TEXT, null=True),
    col("points", BIGINT, null=True),
    col("per_amount", BIGINT, null=True),
    col("starts_at", TIMESTAMPTZ, null=True),
    col("ends_at", TIMESTAMPTZ, null=True),
    col("branch_ids", TEXT, null=True, json=list[uuid.UUID]),
    col("categories", TEXT, null=True, json=list[str]),
    col("min_spend", BIGINT),
    col("credit_lifetime_days", INTEGER, null=True),
    col("wallet_title", TEXT, null=True),
    col("archived_at", TIMESTAMPTZ, null=True),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
)

EARNINGS = Table(
    "wallet_earnings",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("line_no", INTEGER),
    col("campaign_id", UUID),
    col("cause", TEXT),
    col("wallet_id", UUID),
    col("entry_id", UUID),
    col("of_receipt_id", UUID),
    col("of_line_no", INTEGER),
    col("quantity_micro", BIGINT),
    col("amount", BIGINT),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "receipt_id", "line_no", "campaign_id", "cause"),
)

RESTORES = Table(
    "wallet_voucher_restores",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("line_no", INTEGER),
    col("redemption_id", UUID),
    col("wallet_id", UUID),
    col("entry_id", UUID, null=True),
    col("value", BIGINT),
    col("amount", BIGINT),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "receipt_id", "line_no", "redemption_id"),
)
"""What each return line gave back of a wallet voucher used on its original receipt:
`value` the line's returned value, `amount` the voucher credit it restored (per line, so a
replayed return restores nothing twice)."""
