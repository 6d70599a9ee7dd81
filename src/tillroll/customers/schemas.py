from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.address import Address, Country
from tillroll.kit.schemas import Schema

Ref = Annotated[str, Meta(min_length=1, max_length=128)]
Gender = Literal["M", "F", "X"]


class CustomerFields(Schema):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    gender: Annotated[Gender | None, Meta(description="`M`, `F` or `X`.")] = None
    birthday: date | None = None
    country: Country | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    registered: Annotated[bool, Meta(description="Registered member (merchant-defined).")] = False
    send_email_receipt: Annotated[bool, Meta(description="E-mail receipts to this customer.")] = (
        False
    )
    metadata: dict[str, Any] | None = None


class CustomerCreate(CustomerFields):
    external_id: Annotated[Ref | None, Meta(description="Your id for the customer.")] = None
    member_number: Annotated[Ref | None, Meta(description="Loyalty card number.")] = None


class CustomerUpdate(Schema):
    """Fields to change; omitted fields keep their value, null clears."""

    external_id: Ref | UnsetType | None = UNSET
    member_number: Ref | UnsetType | None = UNSET
    first_name: str | UnsetType | None = UNSET
    last_name: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    gender: Gender | UnsetType | None = UNSET
    birthday: date | UnsetType | None = UNSET
    country: Country | UnsetType | None = UNSET
    shipping_address: Address | UnsetType | None = UNSET
    billing_address: Address | UnsetType | None = UNSET
    registered: bool | UnsetType = UNSET
    send_email_receipt: bool | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET


class Customer(Schema):
    id: uuid.UUID
    number: Annotated[int, Meta(description="Sequential integer id within the merchant.")]
    external_id: str | None
    member_number: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    gender: Gender | None
    birthday: date | None
    country: str | None
    shipping_address: Address | None
    billing_address: Address | None
    registered: bool
    send_email_receipt: bool
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class CustomerSummary(Schema):
    """What other domains show of a customer (a receipt's `customer`)."""

    id: uuid.UUID
    number: int
    external_id: str | None
    member_number: str | None


class LoyaltyStatus(Schema):
    """Where the customer stands in the merchant's loyalty programme (Spaaza's shape)."""

    programme_id: uuid.UUID
    programme_number: int
    level: Annotated[int, Meta(description="1 is the entry level.")]
    name: str
    description: str | None
    points_earned: Annotated[int, Meta(description="Points earned in the current period.")]
    points_to_proceed_next_level: Annotated[
        int | None, Meta(description="More points this period to reach the next level at the "
                         "next review; null at the top level.")
    ]  # fmt: skip
    points_to_remain_current_level: Annotated[
        int, Meta(description="More points this period to keep this level at the next review.")
    ]
    maintenance_points_level: Annotated[
        int, Meta(description="Points within a period that keep this level.")
    ]
    last_review_date: datetime | None
    next_review_date: datetime
    date_reached: datetime


class CustomerView(Customer):
    """A customer as the API answers it: its row and its loyalty status."""

    loyalty_status: Annotated[
        LoyaltyStatus | None, Meta(description="Null when the merchant has no loyalty programme.")
    ] = None
