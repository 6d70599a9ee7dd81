"""The postal address shared by branches, customers and shipments."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from tillroll.errors import FieldError
from tillroll.kit.schemas import Schema
from tillroll.kit.validate import check_country

Country = Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.")]


class Address(Schema):
    lines: Annotated[list[Annotated[str, Meta(max_length=200)]], Meta(max_length=4)] = []
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: Country | None = None
    lat: Annotated[float, Meta(ge=-90, le=90)] | None = None
    lon: Annotated[float, Meta(ge=-180, le=180)] | None = None


def check_address(loc: str, address: Address | None, errors: list[FieldError]) -> None:
    if address is not None:
        check_country(f"{loc}.country", address.country, errors)
