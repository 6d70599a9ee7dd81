from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.address import Address
from tillroll.kit.schemas import Schema

Code = Annotated[str, Meta(min_length=1, max_length=64, description="Your code for the store.")]
Name = Annotated[str, Meta(min_length=1, max_length=200)]


class BranchCreate(Schema):
    code: Code
    name: Name
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    timezone: Annotated[str, Meta(description="IANA time zone of the store.")] = "UTC"


class BranchUpdate(Schema):
    """Fields to change; omitted fields keep their value."""

    code: Code | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    address: Address | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    website: str | UnsetType | None = UNSET
    timezone: str | UnsetType = UNSET


class Branch(Schema):
    id: uuid.UUID
    number: Annotated[int, Meta(description="Sequential integer id within the merchant.")]
    code: str
    name: str
    address: Address | None
    phone: str | None
    email: str | None
    website: str | None
    timezone: str
    created_at: datetime
    updated_at: datetime


class BranchSummary(Schema):
    """What other domains show of a branch (a receipt's `branch`)."""

    id: uuid.UUID
    number: int
    code: str
    name: str
