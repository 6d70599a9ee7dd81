"""The integrity rules a purchase receipt must satisfy (DESIGN §3). Pure functions.

Each violated rule becomes a `FieldError` naming the field and the numbers involved.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from tillroll.errors import FieldError
from tillroll.kit import parse
from tillroll.kit.clock import EARLIEST_YEAR, LATEST_YEAR
from tillroll.kit.validate import check_currency
from tillroll.receipts.schemas import LineIn, ReceiptCreate

MICRO = 1_000_000
EXACT = MICRO * MICRO  # unit_price_micro × quantity_micro is in 10⁻¹² minor units


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


def price_micro(price: int | str) -> int:
    """A unit price in millionths of a minor unit: `25` → 25_000_000, `"185.9"` → 185_900_000
    (a price string has the grammar of a quantity)."""
    return price * MICRO if isinstance(price, int) else quantity_micro(price)


def normal_price(price: int | str) -> str:
    """A unit price as stored and returned: `25` → `"25"`, `"185.90"` → `"185.9"`."""
    return str(price) if isinstance(price, int) else normal_quantity(price)


def gross_exact(line: LineIn) -> int:
    """unit_price × quantity exactly, in 10⁻¹² minor units (integers only)."""
    return price_micro(line.unit_price) * quantity_micro(line.quantity)


def adjustment(line: LineIn) -> int:
    """What turns the rounded gross into the line total: − discount − vouchers on a sale,
    + discount + vouchers on a return line (they are given back)."""
    given = line.discount + line.vouchers
    return given if quantity_micro(line.quantity) < 0 else -given


def rounds_to(exact: int, whole: int) -> bool:
    """Is `whole` minor units `exact` (10⁻¹² minor units) rounded to the nearest minor unit?
    At an exact half both neighbours are: tills round halves up, away from zero or to even."""
    return abs(whole * EXACT - exact) * 2 <= EXACT


def round_half_even(exact: int) -> int:
    """`exact` (10⁻¹² minor units) to whole minor units, halves to even."""
    whole, rest = divmod(exact, EXACT)
    return whole + (1 if 2 * rest > EXACT or (2 * rest == EXACT and whole % 2) else 0)


def decimal_text(value: int, places: int) -> str:
    """`value` × 10⁻ᵖˡᵃᶜᵉˢ as a plain decimal: `(7876583, 3)` → `"7876.583"`, `(2, 6)` →
    `"0.000002"` (exact, for messages)."""
    whole, fraction = divmod(abs(value), 10**places)
    text = f"{whole}.{fraction:0{places}d}".rstrip("0").rstrip(".")
    return f"-{text}" if value < 0 else text


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
    _check_total(loc, line, errors)


def _check_total(loc: str, line: LineIn, errors: list[FieldError]) -> None:
    exact, adjust = gross_exact(line), adjustment(line)
    if rounds_to(exact, line.total - adjust):
        return
    floor, rest = divmod(exact, EXACT)
    rounded = f"{floor} or {floor + 1}" if 2 * rest == EXACT else str(round_half_even(exact))
    sign = "+" if quantity_micro(line.quantity) < 0 else "−"
    errors.append(
        FieldError(
            f"{loc}.total",
            f"is {line.total} but unit_price {line.unit_price} × quantity {line.quantity}"
            f" = {decimal_text(exact, 12)} → {rounded}, {sign} discount {line.discount}"
            f" {sign} vouchers {line.vouchers} = {round_half_even(exact) + adjust}",
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
