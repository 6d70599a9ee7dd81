"""The integrity rules a purchase receipt must satisfy (DESIGN §3). Pure functions.

Each violated rule becomes a `FieldError` naming the field and the numbers involved.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from tillroll.errors import FieldError
from tillroll.kit import parse
from tillroll.kit.clock import EARLIEST_YEAR, LATEST_YEAR
from tillroll.kit.validate import check_currency
from tillroll.receipts.schemas import LineIn, ReceiptCreate

MICRO = 1_000_000


def quantity(text: str) -> Decimal:
    """A quantity through the guard: at most 12 digits before the point and six after."""
    return parse.decimal(text, field="quantity", integer_digits=12, places=6)


@lru_cache(maxsize=4096)
def quantity_micro(text: str) -> int:
    """`"1.055"` → 1_055_000 (quantities carry at most six decimals)."""
    return int(quantity(text) * MICRO)


@lru_cache(maxsize=4096)
def normal_quantity(text: str) -> str:
    """`"2.500"` → `"2.5"`, `"3.0"` → `"3"`: one spelling per value."""
    text = format(quantity(text).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def expected_line_total_micro(line: LineIn) -> int:
    """unit_price × quantity, less discount and vouchers (added back on return lines), in
    millionths of a minor unit: exact integer arithmetic."""
    quantity = quantity_micro(line.quantity)
    adjustment = (line.discount + line.vouchers) * MICRO
    gross = line.unit_price * quantity
    return gross + adjustment if quantity < 0 else gross - adjustment


def check_receipt(receipt: ReceiptCreate) -> list[FieldError]:
    errors: list[FieldError] = []
    check_currency("currency", receipt.currency, errors)
    if not EARLIEST_YEAR <= receipt.issued_at.year <= LATEST_YEAR:
        errors.append(FieldError("issued_at", f"is outside {EARLIEST_YEAR}–{LATEST_YEAR}"))
    for index, line in enumerate(receipt.lines):
        _check_line(f"lines[{index}]", line, errors)
    _check_refs(receipt, errors)
    _check_sums(receipt, errors)
    return errors


def _check_line(loc: str, line: LineIn, errors: list[FieldError]) -> None:
    quantity = quantity_micro(line.quantity)
    if line.return_of is None and quantity <= 0:
        errors.append(FieldError(f"{loc}.quantity", f"must be > 0, got {line.quantity}"))
    elif line.return_of is not None and quantity >= 0:
        errors.append(
            FieldError(
                f"{loc}.quantity", f"a return line's quantity must be < 0, got {line.quantity}"
            )
        )
    if line.return_of is not None and (line.return_of.receipt_id is None) == (
        line.return_of.receipt_external_id is None
    ):
        errors.append(
            FieldError(f"{loc}.return_of", "give exactly one of receipt_id, receipt_external_id")
        )
    expected = expected_line_total_micro(line)
    tolerance = 0 if quantity % MICRO == 0 else MICRO  # 1 minor unit for fractional amounts
    if abs(expected - line.total * MICRO) > tolerance:
        rounded = (Decimal(expected) / MICRO).quantize(Decimal(1), ROUND_HALF_EVEN)
        errors.append(
            FieldError(
                f"{loc}.total",
                f"is {line.total} but unit_price {line.unit_price} × quantity {line.quantity}"
                f" − discount {line.discount} − vouchers {line.vouchers} = {rounded}",
            )
        )


def _check_refs(receipt: ReceiptCreate, errors: list[FieldError]) -> None:
    if receipt.branch is not None and (receipt.branch.id is None) == (receipt.branch.code is None):
        errors.append(FieldError("branch", "give exactly one of id, code"))
    if receipt.customer is not None:
        given = [
            v
            for v in (
                receipt.customer.id,
                receipt.customer.external_id,
                receipt.customer.member_number,
            )
            if v is not None
        ]
        if len(given) != 1:
            errors.append(
                FieldError("customer", "give exactly one of id, external_id, member_number")
            )


def _check_sums(receipt: ReceiptCreate, errors: list[FieldError]) -> None:
    lines_total = sum(line.total for line in receipt.lines)
    if receipt.subtotal != lines_total:
        errors.append(
            FieldError(
                "subtotal", f"is {receipt.subtotal} but the line totals sum to {lines_total}"
            )
        )
    if receipt.taxes:
        taxes = sum(t.tax_amount for t in receipt.taxes)
        if taxes != receipt.tax_total:
            errors.append(
                FieldError(
                    "tax_total", f"is {receipt.tax_total} but taxes[].tax_amount sum to {taxes}"
                )
            )
    if receipt.discounts:
        discounts = sum(d.amount for d in receipt.discounts)
        if discounts != receipt.discount_total:
            errors.append(
                FieldError(
                    "discount_total",
                    f"is {receipt.discount_total} but discounts[].amount sum to {discounts}",
                )
            )
    tax = 0 if receipt.prices_include_tax else receipt.tax_total
    expected = receipt.subtotal + receipt.shipping_total + tax - receipt.discount_total
    if receipt.total != expected:
        added = "" if receipt.prices_include_tax else f" + tax_total {tax}"
        errors.append(
            FieldError(
                "total",
                f"is {receipt.total} but subtotal {receipt.subtotal} + shipping_total "
                f"{receipt.shipping_total}{added} − discount_total {receipt.discount_total}"
                f" = {expected}",
            )
        )
    if receipt.payments:
        paid = sum(p.amount for p in receipt.payments)
        if paid != receipt.total:
            errors.append(FieldError("payments", f"sum to {paid} but total is {receipt.total}"))
