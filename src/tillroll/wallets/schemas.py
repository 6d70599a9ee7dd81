"""Wallet I/O: wallets, ledger entries, lots and redemption codes (msgspec)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from tillroll.kit.money import MAX_AMOUNT
from tillroll.kit.schemas import Limit, Schema

Aware = Annotated[datetime, Meta(tz=True, description="ISO 8601 with a UTC offset.")]
WalletKind = Literal["credit", "points"]
Reason = Literal[
    "manual",
    "purchase_earn",
    "campaign",
    "signup",
    "referral",
    "redemption",
    "redemption_cancel",
    "expiry",
    "refund_clawback",
    "adjustment",
]
POSTABLE: frozenset[str] = frozenset(
    {"manual", "purchase_earn", "campaign", "signup", "referral", "adjustment"}
)
"""Reasons a client may post; the others are written by Tillroll itself."""
Amount = Annotated[int, Meta(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Signed, minor units.")]
Positive = Annotated[int, Meta(ge=1, le=MAX_AMOUNT, description="Minor units (or points).")]
Note = Annotated[str, Meta(max_length=500)]


class WalletCreate(Schema):
    kind: WalletKind
    currency: Annotated[
        str | None, Meta(description="ISO 4217; a credit wallet's (default: the merchant's).")
    ] = None
    title: (
        Annotated[
            str, Meta(min_length=1, max_length=100, description='Display title, e.g. "ACME Bucks".')
        ]
        | None
    ) = None
    lifetime_days: Annotated[
        Annotated[int, Meta(ge=1, le=36500)] | None,
        Meta(description="Credits expire this many days after the grant, at the same clock "
             "time in the merchant's zone; null: never."),
    ] = None  # fmt: skip
    allow_overdraft: bool = False
    code_lifetime_hours: Annotated[
        Annotated[int, Meta(ge=1, le=87600)] | None,
        Meta(description="An unused redemption code expires after this; null: "
             "never."),
    ] = None  # fmt: skip


class Expiring(Schema):
    expires_at: datetime
    amount: int


class Wallet(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: WalletKind
    currency: str | None
    title: str
    lifetime_days: int | None
    allow_overdraft: bool
    code_lifetime_hours: int | None
    balance: Annotated[int, Meta(description="Balance now: never counts a lot expired now.")]
    available: Annotated[int, Meta(description="What a debit may take now (overdraft aside).")]
    held: Annotated[int, Meta(description="Held by the active redemption code.")]
    expiring_soon: Annotated[
        list[Expiring], Meta(description="Unspent credit expiring within `expiring_days`.")
    ]
    created_at: datetime
    updated_at: datetime


class WalletQuery(Schema):
    expiring_days: Annotated[int, Meta(ge=1, le=3650)] = 30


class EntryCreate(Schema):
    amount: Annotated[Amount, Meta(description="Positive credits, negative debits; not 0.")]
    reason: Annotated[
        Reason, Meta(description="manual, purchase_earn, campaign, signup, referral, adjustment.")
    ] = "manual"
    note: Note | None = None
    receipt_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    expires_at: Annotated[
        Aware | None, Meta(description="A credit's expiry instead of the wallet lifetime.")
    ] = None


class Entry(Schema):
    id: uuid.UUID
    wallet_id: uuid.UUID
    seq: Annotated[int, Meta(description="1, 2, 3… within the wallet.")]
    amount: int
    balance_after: int
    reason: Reason
    note: str | None
    receipt_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    redemption_id: uuid.UUID | None
    reverses: uuid.UUID | None
    lot_id: uuid.UUID | None
    actor: str | None
    created_at: datetime


class EntryQuery(Schema):
    limit: Limit = 50
    cursor: str | None = None
    reason: list[Reason] | None = None
    created_from: Annotated[Aware | None, Meta(description="Inclusive lower bound.")] = None
    created_to: Annotated[Aware | None, Meta(description="Exclusive upper bound.")] = None


LotStatus = Literal["active", "spent", "expired"]


class Lot(Schema):
    id: uuid.UUID
    entry_id: uuid.UUID
    amount: int
    remaining: int
    granted_at: datetime
    expires_at: datetime | None
    status: LotStatus


class RedemptionCreate(Schema):
    amount: Positive
    wallet: Annotated[
        uuid.UUID | None, Meta(description="Which wallet; default: the customer's credit wallet.")
    ] = None


class ConsumeBody(Schema):
    customer_id: Annotated[
        uuid.UUID | None, Meta(description="When given, the code must be this customer's.")
    ] = None
    receipt_id: uuid.UUID | None = None


RedemptionStatus = Literal["active", "consumed", "cancelled", "expired"]


class Redemption(Schema):
    id: uuid.UUID
    wallet_id: uuid.UUID
    customer_id: uuid.UUID
    code: Annotated[str, Meta(description="`REDEEM+` and 20 random digits.")]
    amount: int
    status: RedemptionStatus
    receipt_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    closed_at: datetime | None
