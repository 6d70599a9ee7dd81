"""What Spaaza clients send: the query parameters and the add-basket document.

Unknown fields and parameters are ignored, as Spaaza does (`forbid_unknown_fields=False`);
a known one with a malformed value is refused. Money arrives as JSON numbers (or strings) and
is decoded to `Decimal` exactly, never through floats, and bounded as it is decoded (NaN,
infinities, `1E+999990` and thousand-digit numbers are refused in microseconds).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from tillroll.errors import InvalidInput
from tillroll.kit import parse

Aware = Annotated[datetime, Meta(tz=True)]
Count = Annotated[int, Meta(ge=0, le=2**63 - 1)]
Id = Annotated[int, Meta(ge=0, le=2**63 - 1)]


class Lenient(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """A Spaaza input: unknown fields are ignored; decimals are bounded as they are decoded."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                bound(name, value)


def bound(name: str, value: Decimal, **bounds: int) -> None:
    """Refuse NaN, infinities and oversized decimals while decoding (`kit.parse.bounded`)."""
    try:
        parse.bounded(value, field=name, **bounds)
    except InvalidInput as exc:
        raise ValueError(f"field `{name}`: {exc.errors[0].message}") from None


class ShopperQuery(Lenient):
    shopper_id: Id


class GetReceiptsQuery(Lenient):
    chain_id: Id
    user_id: Id | None = None
    min_created_datetime: Aware | None = None
    max_created_datetime: Aware | None = None
    min_created_datetime_relative: str | None = None
    max_created_datetime_relative: str | None = None
    branch_business_id: Id | None = None
    branch_business_owner_code: str | None = None
    retailer_basket_code: str | None = None
    number_results: Count | None = None
    results_offset: Count = 0


class Entity(Lenient):
    entity_type: str = "chain"
    entity_id: Id | None = None
    branch_business_owner_code: str | None = None
    branch_business_id: Id | None = None
    employee_code: str | None = None
    employee_name: str | None = None


class User(Lenient):
    member_programme: str | None = None
    member_number: str | None = None
    user_id: Id | None = None
    authentication_point_identifier: str | None = None


class Currency(Lenient):
    currency_code: str | None = None
    currency_id: int | None = None


class PaymentMethod(Lenient):
    payment_method: str
    payment_amount: Decimal


class Tax(Lenient):
    tax_rate: Decimal
    tax_total: Decimal


class Item(Lenient):
    item_name: str | None = None
    item_quantity: Decimal = Decimal(1)
    item_price: Decimal | None = None
    item_original_price: Decimal | None = None
    item_subtotal: Decimal | None = None
    item_quantity_unit: str | None = None
    retailer_item_code: str | None = None
    item_barcode: str | None = None
    retailer_product_code: str | None = None
    item_description: str | None = None
    item_colour: str | None = None
    item_size: str | None = None
    item_brand: str | None = None
    item_gender: str | None = None
    item_season: str | None = None
    item_category: str | None = None
    item_image_url: str | None = None
    item_type: str | None = None
    return_item: bool = False
    original_retailer_basket_code: str | None = None
    original_retailer_item_code: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        bound("item_quantity", self.item_quantity, integer_digits=12, places=6)  # as native


class Basket(Lenient):
    retailer_basket_code: str
    basket_items: Annotated[list[Item], Meta(min_length=1)]
    basket_platform_type: str = "in_store"
    basket_total_price: Decimal | None = None
    basket_timestamp_iso8601: datetime | None = None
    basket_timezone_name: str | None = None
    basket_notes: str | None = None
    shipping_charge: Decimal | None = None
    payment_methods: list[PaymentMethod] | None = None
    basket_currency: Currency | None = None
    basket_tax: list[Tax] | None = None


class AddBasket(Lenient):
    basket: Basket
    entity: Entity | None = None
    user: User | None = None
