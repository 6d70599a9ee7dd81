"""Spaaza baskets → native receipts: the add-basket body as a native receipt, and native
field errors named by the basket's own paths. Money crosses through `translate.minor`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tillroll.compat.spaaza.schemas import AddBasket, Item
from tillroll.compat.spaaza.translate import minor
from tillroll.errors import FieldError, InvalidInput
from tillroll.kit import parse
from tillroll.kit.money import EXPONENTS
from tillroll.receipts.rules import decimal_text, round_half_even

ITEM_FIELDS = {
    "total": "item_subtotal", "unit_price": "item_price", "quantity": "item_quantity",
    "name": "item_name", "original_price": "item_original_price", "unit": "item_quantity_unit",
    "return_of": "original_retailer_item_code", "sku": "retailer_item_code",
    "barcode": "item_barcode", "description": "item_description", "category": "item_category",
}  # fmt: skip
BASKET_FIELDS = {
    "external_id": "basket.retailer_basket_code", "issued_at": "basket.basket_timestamp_iso8601",
    "currency": "basket.basket_currency.currency_code", "subtotal": "basket.basket_items",
    "total": "basket.basket_total_price", "tax_total": "basket.basket_tax",
    "taxes": "basket.basket_tax", "payments": "basket.payment_methods",
    "shipping_total": "basket.shipping_charge", "notes": "basket.basket_notes",
    "type": "basket.basket_platform_type", "customer.member_number": "user.member_number",
    "customer.external_id": "user.authentication_point_identifier", "customer.id": "user.user_id",
    "customer": "user", "branch": "entity.branch_business_owner_code",
    "employee": "entity.employee_code",
}  # fmt: skip


def basket_loc(loc: str) -> str:
    """A native field path (`lines[2].total`) as the basket's
    (`basket.basket_items[2].item_subtotal`)."""
    if loc.startswith("lines["):
        index, _, rest = loc.partition("]")
        name, dot, tail = rest.lstrip(".").partition(".")
        spaaza = ITEM_FIELDS.get(name, name)
        return f"basket.basket_items[{index[6:]}]" + (f".{spaaza}{dot}{tail}" if name else "")
    for native in sorted(BASKET_FIELDS, key=len, reverse=True):
        if loc == native or loc.startswith((native + ".", native + "[")):
            return BASKET_FIELDS[native] + loc[len(native) :]
    return loc


def _text(value: Decimal) -> str:
    """An exact decimal as plain text (`1.050` → `1.05`, `1E+2` → `100`)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True, slots=True)
class ReturnTarget:
    """Where a returned item goes back to: a line of an original receipt, or nowhere known."""

    line_no: int | None


def _micro(value: Decimal, places: int, loc: str) -> int:
    """`value` × 10^places in millionths, exactly: `(1.859, 2)` → 185_900_000. More than 6
    decimals or 12 integer digits (after the shift) is invalid input naming `loc`."""
    shifted = parse.bounded(value.scaleb(places), field=loc, integer_digits=12, places=6)
    return int(shifted.scaleb(6))


def item_line(item: Item, index: int, currency: str, target: ReturnTarget | None) -> dict[str, Any]:
    """One basket item as a native line (prices include tax, as Spaaza's do).

    The unit price is exact (`1.859` EUR per litre is `"185.9"` minor units). The line total
    is `item_subtotal`, or `item_price × item_quantity` rounded half-even; when the subtotal
    is lower, the difference is the line's discount. A returned item is a line with a negative
    quantity pointing at its original, or (original not found) a negatively priced item.
    """
    loc = f"basket.basket_items[{index}]"
    if item.item_price is None:
        raise InvalidInput.field(f"{loc}.item_price", "required field missing")
    price = _micro(item.item_price, EXPONENTS[currency], f"{loc}.item_price")
    quantity = _micro(item.item_quantity, 0, f"{loc}.item_quantity")
    if item.return_item:
        price, quantity = abs(price), abs(quantity)
    gross = round_half_even(price * quantity)
    if item.item_subtotal is not None:
        subtotal = minor(item.item_subtotal, currency, f"{loc}.item_subtotal")
        total = abs(subtotal) if item.return_item else subtotal
    else:
        total = gross
    discount = max(gross - total, 0)
    metadata: dict[str, Any] = {
        key: value
        for key, value in (
            ("colour", item.item_colour), ("size", item.item_size), ("brand", item.item_brand),
            ("gender", item.item_gender), ("season", item.item_season),
            ("image_url", item.item_image_url), ("item_type", item.item_type),
            ("retailer_product_code", item.retailer_product_code),
        )
        if value is not None
    }  # fmt: skip
    line: dict[str, Any] = {
        "name": item.item_name or item.retailer_item_code or "Item",
        "sku": item.retailer_item_code,
        "barcode": item.item_barcode,
        "description": item.item_description,
        "category": item.item_category,
        "quantity": decimal_text(quantity, 6),
        "unit": item.item_quantity_unit or "item",
        "unit_price": decimal_text(price, 6),
        "total": total,
        "discount": discount,
    }
    if item.item_original_price is not None:
        original = minor(abs(item.item_original_price), currency, f"{loc}.item_original_price")
        line["original_price"] = original
    if target is not None and target.line_no is not None:
        line["quantity"] = decimal_text(-quantity, 6)
        line["total"] = -total
        line["return_of"] = {
            "receipt_external_id": item.original_retailer_basket_code,
            "line_no": target.line_no,
        }
    elif target is not None:  # Spaaza ≥ 1.5.5: a negatively priced item, excluded from Spaaza
        line["unit_price"], line["total"] = decimal_text(-price, 6), -total
        line["discount"] = 0
        metadata["excluded_from_spaaza"] = True
    line["metadata"] = metadata or None
    return line


def issued_at(body: AddBasket) -> datetime:
    moment = body.basket.basket_timestamp_iso8601
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is not None:
        return moment
    name = body.basket.basket_timezone_name
    if not name:
        raise InvalidInput.field(
            "basket.basket_timestamp_iso8601",
            "has no UTC offset; add one or give basket.basket_timezone_name",
        )
    return moment.replace(tzinfo=parse.zone(name, field="basket.basket_timezone_name"))


def basket_receipt(
    body: AddBasket,
    currency: str,
    targets: dict[int, ReturnTarget],
    customer: dict[str, Any] | None,
    branch: dict[str, Any] | None,
) -> dict[str, Any]:
    """The native `ReceiptCreate` document of a basket (validated by the caller)."""
    basket, entity = body.basket, body.entity
    lines = [
        item_line(item, i, currency, targets.get(i)) for i, item in enumerate(basket.basket_items)
    ]
    taxes = [
        {
            "rate": _text(t.tax_rate),
            "taxable_amount": int(
                (Decimal(minor(t.tax_total, currency, f"basket.basket_tax[{i}].tax_total"))
                 / t.tax_rate).quantize(Decimal(1), ROUND_HALF_EVEN)
            ) if t.tax_rate else 0,
            "tax_amount": minor(t.tax_total, currency, f"basket.basket_tax[{i}].tax_total"),
        }
        for i, t in enumerate(basket.basket_tax or [])
    ]  # fmt: skip
    shipping = (
        minor(basket.shipping_charge, currency, "basket.shipping_charge")
        if basket.shipping_charge is not None
        else 0
    )
    subtotal = sum(line["total"] for line in lines)
    total = (
        minor(basket.basket_total_price, currency, "basket.basket_total_price")
        if basket.basket_total_price is not None
        else subtotal + shipping
    )
    employee = None
    if entity is not None and (entity.employee_code or entity.employee_name):
        employee = {"code": entity.employee_code, "name": entity.employee_name}
    return {
        "external_id": basket.retailer_basket_code,
        "issued_at": issued_at(body),
        "currency": currency,
        "type": basket.basket_platform_type,
        "prices_include_tax": True,
        "lines": lines,
        "subtotal": subtotal,
        "shipping_total": shipping,
        "tax_total": sum(t["tax_amount"] for t in taxes),
        "taxes": taxes,
        "total": total,
        "payments": [
            {
                "method": p.payment_method,
                "amount": minor(
                    p.payment_amount, currency, f"basket.payment_methods[{i}].payment_amount"
                ),
            }
            for i, p in enumerate(basket.payment_methods or [])
        ],
        "employee": employee,
        "notes": basket.basket_notes,
        "customer": customer,
        "branch": branch,
    }


def field_errors(errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(basket_loc(e.loc), e.message) for e in errors]
