"""The order rules: pure functions on plain rows (status, totals, addresses, carriers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tillroll.errors import FieldError
from tillroll.orders.schemas import OriginAddress, ShippingAddress, Totals

WHOLE = 1_000_000  # receipt quantities are in micro-units
GENDERS = ("M", "F", "")
_US_STATE = re.compile(r"[A-Z]{2}")
_US_ZIP = re.compile(r"\d{5}(-\d{4})?")


def status(items: Sequence[dict[str, Any]], shipments: Sequence[dict[str, Any]]) -> str:
    """The order status, derived: never set by hand."""
    live = sum(i["quantity"] for i in items)
    if live == 0:
        return "CANCELED"
    if sum(i["shipped"] for i in items) == 0:
        return "PREPARED_SHIP"
    if any(i["shipped"] < i["quantity"] for i in items):
        return "PARTIALLY_SHIPPED"
    if shipments and all(s["status"] == "delivered" for s in shipments):
        return "DELIVERED"
    return "SHIPPED"


def check_totals(
    loc: str, totals: Totals, *, tax_included: bool, discount: int
) -> list[FieldError]:
    """total = subtotal + shipping_total (+ tax_total when prices exclude tax) − discount."""
    tax = 0 if tax_included else totals.tax_total
    expected = totals.subtotal + totals.shipping_total + tax - discount
    if totals.total == expected:
        return []
    added = "" if tax_included else f" + tax_total {tax}"
    return [
        FieldError(
            f"{loc}total",
            f"is {totals.total} but subtotal {totals.subtotal} + shipping_total "
            f"{totals.shipping_total}{added} − discount_total {discount} = {expected}",
        )
    ]


def check_address(
    loc: str, address: ShippingAddress | OriginAddress, errors: list[FieldError]
) -> None:
    """A US address has a two-letter state and a 5-digit (or ZIP+4) postal code; other
    countries' formats are their own."""
    if address.country != "US":
        return
    if not _US_STATE.fullmatch(address.state):
        errors.append(FieldError(f"{loc}.state", f"{address.state!r} is not a 2-letter US state"))
    if not _US_ZIP.fullmatch(address.postal_code):
        errors.append(
            FieldError(f"{loc}.postal_code", f"{address.postal_code!r} is not a 5-digit ZIP code")
        )


def check_metadata(loc: str, metadata: dict[str, str] | None, errors: list[FieldError]) -> None:
    gender = (metadata or {}).get("gender")
    if gender is not None and gender not in GENDERS:
        errors.append(FieldError(f"{loc}.gender", f'{gender!r} is not M, F or "" (neutral)'))


CARRIERS = {"ups": "UPS", "fedex": "FedEx", "usps": "USPS"}
_TRACKING = {
    "UPS": (re.compile(r"1Z[0-9A-Z]{16}"), "1Z followed by 16 letters or digits"),
    "USPS": (
        re.compile(r"\d{20,22}|\d{26}|\d{30}|[A-Z]{2}\d{9}[A-Z]{2}"),
        "20–22, 26 or 30 digits, or an international AA123456789US",
    ),
}
_TRACKING_URL = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
}


def carrier_name(text: str) -> str:
    """`ups`, `Ups` → `UPS` (the known carriers, whatever their case); others as given."""
    text = text.strip()
    return CARRIERS.get(text.lower(), text)


def tracking_number(carrier: str, number: str | None, errors: list[FieldError]) -> str | None:
    """The tracking number without spaces (upper case for the known carriers); required and
    checked for UPS and USPS."""
    if number is not None:
        number = "".join(number.split())
        number = number.upper() if carrier in _TRACKING_URL else number
    check = _TRACKING.get(carrier)
    if check is None:
        return number or None
    if not number:
        errors.append(FieldError("tracking_number", f"is required for {carrier}"))
    elif not check[0].fullmatch(number):
        errors.append(
            FieldError("tracking_number", f"{number[:64]!r} is not a {carrier} number: {check[1]}")
        )
    return number


def tracking_url(carrier: str, number: str | None) -> str | None:
    """The carrier's tracking page for `number` (known carriers only)."""
    template = _TRACKING_URL.get(carrier)
    return template.format(number) if template and number else None
