from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.schemas import Schema

Sku = Annotated[str, Meta(min_length=1, max_length=128, description="Your SKU for the product.")]
Name = Annotated[str, Meta(min_length=1, max_length=300)]


class ProductCreate(Schema):
    external_id: Sku
    name: Name
    barcode: str | None = None
    description: str | None = None
    category: Annotated[str | None, Meta(description="e.g. `Clothing > Shirts`.")] = None
    brand: str | None = None
    image_url: str | None = None
    metadata: dict[str, Any] | None = None
    available: Annotated[bool, Meta(description="In stock (false: shoppers may subscribe).")] = True


class ProductUpdate(Schema):
    external_id: Sku | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    barcode: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    category: str | UnsetType | None = UNSET
    brand: str | UnsetType | None = UNSET
    image_url: str | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET
    available: Annotated[
        bool | UnsetType, Meta(description="Turning it on notifies the product's subscribers.")
    ] = UNSET


class Product(Schema):
    id: uuid.UUID
    external_id: str
    name: str
    barcode: str | None
    description: str | None
    category: str | None
    brand: str | None
    image_url: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    available: bool
