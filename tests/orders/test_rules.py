from __future__ import annotations

from typing import Any

import pytest

from tillroll.errors import FieldError
from tillroll.orders import rules


def item(quantity: int, shipped: int) -> dict[str, Any]:
    return {"quantity": quantity, "shipped": shipped}


@pytest.mark.parametrize(
    ("items", "shipments", "expected"),
    [
        ([item(2, 0), item(1, 0)], [], "PREPARED_SHIP"),
        ([item(2, 2), item(1, 0)], [{"status": "in_transit"}], "PARTIALLY_SHIPPED"),
        ([item(2, 2), item(0, 0)], [{"status": "in_transit"}], "SHIPPED"),
        ([item(2, 2)], [{"status": "delivered"}, {"status": "returned"}], "SHIPPED"),
        ([item(2, 2)], [{"status": "delivered"}, {"status": "delivered"}], "DELIVERED"),
        ([item(0, 0), item(0, 0)], [], "CANCELED"),
    ],
)
def test_status_is_derived(
    items: list[dict[str, Any]], shipments: list[dict[str, Any]], expected: str
) -> None:
    assert rules.status(items, shipments) == expected


@pytest.mark.parametrize(
    ("carrier", "number", "stored", "valid"),
    [
        ("UPS", "1zw098r40361231305", "1ZW098R40361231305", True),
        ("UPS", "1ZW098R4036123130", "1ZW098R4036123130", False),
        ("USPS", "9400 1000 0000 0000 0000 00", "9400100000000000000000", True),
        ("USPS", "EA123456789US", "EA123456789US", True),
        ("USPS", "EA12345678US", "EA12345678US", False),
        ("FedEx", None, None, True),
        ("DHL Express", "JD 0146", "JD0146", True),
    ],
)
def test_tracking_numbers(
    carrier: str, number: str | None, stored: str | None, valid: bool
) -> None:
    errors: list[FieldError] = []
    assert rules.tracking_number(carrier, number, errors) == stored
    assert (errors == []) is valid


def test_known_carriers_whatever_their_case() -> None:
    assert [rules.carrier_name(c) for c in ("ups", " FEDEX ", "Usps", "OnTrac")] == [
        "UPS", "FedEx", "USPS", "OnTrac"
    ]  # fmt: skip
    assert rules.tracking_url("FedEx", "123") == "https://www.fedex.com/fedextrack/?trknbr=123"
    assert rules.tracking_url("OnTrac", "123") is None
