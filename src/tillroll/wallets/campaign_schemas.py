"""Campaign I/O, and the wallet fields a receipt shows (msgspec)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.money import MAX_AMOUNT
from tillroll.kit.schemas import Schema

Aware = Annotated[datetime, Meta(tz=True, description="ISO 8601 with a UTC offset.")]
CampaignKind = Literal["percent_back", "points_per_amount"]
Title = Annotated[str, Meta(min_length=1, max_length=200)]
Percent = Annotated[
    str,
    Meta(pattern=r"^\d{1,3}(\.\d{1,2})?$", examples=["5", "2.5"],
         description="percent_back: the share of eligible spend credited, in percent."),
]  # fmt: skip
Points = Annotated[int, Meta(ge=1, le=MAX_AMOUNT, description="points_per_amount: N points…")]
PerAmount = Annotated[
    int, Meta(ge=1, le=MAX_AMOUNT, description="…per M minor units of eligible spend.")
]
Spend = Annotated[int, Meta(ge=0, le=MAX_AMOUNT, description="Minor units of eligible spend.")]
Days = Annotated[int, Meta(ge=1, le=36500)]
WalletTitle = Annotated[str, Meta(min_length=1, max_length=100)]
Categories = Annotated[
    list[Annotated[str, Meta(min_length=1, max_length=300)]],
    Meta(max_length=100, description="Line categories (a category and what is under it: "
         "`Clothing` covers `Clothing > Shirts`); null: every line."),
]  # fmt: skip
Branches = Annotated[
    list[uuid.UUID], Meta(max_length=100, description="Branches it applies in; null: all.")
]


class CampaignCreate(Schema):
    title: Title
    kind: CampaignKind
    percent: Percent | None = None
    points: Points | None = None
    per_amount: PerAmount | None = None
    starts_at: Annotated[Aware | None, Meta(description="Inclusive; null: always.")] = None
    ends_at: Annotated[Aware | None, Meta(description="Exclusive; null: never.")] = None
    branch_ids: Branches | None = None
    categories: Categories | None = None
    min_spend: Spend = 0
    credit_lifetime_days: Annotated[
        Days | None, Meta(description="What it earns expires after this; null: the wallet's.")
    ] = None
    wallet_title: Annotated[
        WalletTitle | None, Meta(description="Title of a wallet it opens on first earn.")
    ] = None


class CampaignUpdate(Schema):
    title: Title | UnsetType = UNSET
    kind: CampaignKind | UnsetType = UNSET
    percent: Percent | UnsetType | None = UNSET
    points: Points | UnsetType | None = UNSET
    per_amount: PerAmount | UnsetType | None = UNSET
    starts_at: Aware | UnsetType | None = UNSET
    ends_at: Aware | UnsetType | None = UNSET
    branch_ids: Branches | UnsetType | None = UNSET
    categories: Categories | UnsetType | None = UNSET
    min_spend: Spend | UnsetType = UNSET
    credit_lifetime_days: Days | UnsetType | None = UNSET
    wallet_title: WalletTitle | UnsetType | None = UNSET


class Campaign(Schema):
    id: uuid.UUID
    title: str
    kind: CampaignKind
    percent: str | None
    points: int | None
    per_amount: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    branch_ids: list[uuid.UUID] | None
    categories: list[str] | None
    min_spend: int
    credit_lifetime_days: int | None
    wallet_title: str | None
    archived_at: Annotated[datetime | None, Meta(description="Set: it earns nothing more.")]
    created_at: datetime
    updated_at: datetime


# --- what a receipt shows (Spaaza's wallet fields) ------------------------------------------


class Contribution(Schema):
    amount: Annotated[int, Meta(description="Minor units or points; negative: clawed back.")]
    campaign_id: Annotated[
        uuid.UUID | None, Meta(description="Null: a wallet voucher restored by a return.")
    ]
    campaign_title: str


class ReceiptWallet(Schema):
    """What the receipt added to (or took from) one of the customer's wallets."""

    wallet_id: uuid.UUID
    total: Annotated[int, Meta(description="The wallet's balance right after this receipt.")]
    title: str
    contributions: list[Contribution]


class BasketVoucher(Schema):
    campaign_title: str
    voucher_text: str
    amount: int
    type: Annotated[
        Literal["wallet", "loyalty"],
        Meta(description="`wallet`: a redemption code (`REDEEM+…`) spent from the wallet."),
    ]
