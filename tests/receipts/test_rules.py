"""`check_receipt`: the integrity rules as a pure function (no database)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.factories import EXAMPLE, receipt, simple_receipt
from tillroll.receipts.rules import (
    EXACT,
    check_receipt,
    decimal_text,
    normal_price,
    normal_quantity,
    price_micro,
    quantity_micro,
    round_half_even,
)
from tillroll.receipts.schemas import ReceiptCreate


def errors(body: dict[str, Any]) -> dict[str, str]:
    found = check_receipt(msgspec.convert(body, ReceiptCreate))
    return {e.loc: e.message for e in found}


def line_errors(line: dict[str, Any]) -> dict[str, str]:
    """The errors of a one-line receipt whose sums agree with its line."""
    total = line["total"]
    return errors(simple_receipt("L", lines=[line], subtotal=total, total=total))


def accepted(price: int | str, quantity: str, totals: range, **line: Any) -> list[int]:
    """Which of `totals` the line rule accepts for `price` × `quantity`."""
    base = {"name": "X", "unit_price": price, "quantity": quantity, **line}
    if quantity.startswith("-"):
        base["return_of"] = {"receipt_external_id": "O-1", "line_no": 1}
    return [t for t in totals if not line_errors({**base, "total": t})]


def us_receipt(**changes: Any) -> dict[str, Any]:
    """Prices exclude tax: total = subtotal + shipping + tax − discounts."""
    body: dict[str, Any] = {
        "external_id": "US-1",
        "issued_at": "2026-11-21T15:09:26-05:00",
        "currency": "USD",
        "prices_include_tax": False,
        "lines": [
            {"name": "Mug", "quantity": "2", "unit_price": 1000, "total": 2000},
            {"name": "Tea", "quantity": "1", "unit_price": 500, "total": 500},
        ],
        "subtotal": 2500,
        "shipping_total": 700,
        "tax_total": 240,
        "taxes": [{"rate": "0.08", "taxable_amount": 3000, "tax_amount": 240}],
        "discount_total": 300,
        "discounts": [{"amount": 300, "code": "WELCOME"}],
        "total": 3140,
        "payments": [{"method": "card", "amount": 3140}],
    }
    body.update(changes)
    return body


class TestValid:
    def test_the_example(self) -> None:
        assert errors(EXAMPLE) == {}

    def test_prices_excluding_tax(self) -> None:
        assert errors(us_receipt()) == {}

    def test_no_payments_means_no_payment_check(self) -> None:
        assert errors(us_receipt(payments=[])) == {}

    def test_fractional_quantity_rounds_to_the_nearest_minor_unit(self) -> None:
        assert accepted(299, "1.055", range(310, 320)) == [315]  # 315.445

    def test_return_line_adds_back_its_discount(self) -> None:
        line = {
            "name": "Back", "quantity": "-2", "unit_price": 1500, "discount": 200,
            "total": -2800, "return_of": {"receipt_external_id": "O-1", "line_no": 1},
        }  # fmt: skip
        assert errors(simple_receipt("R", lines=[line], subtotal=-2800, total=-2800)) == {}


class TestTotals:
    def test_tax_is_added_when_prices_exclude_it(self) -> None:
        found = errors(us_receipt(total=2900, payments=[]))
        assert set(found) == {"total"}
        message = found["total"]
        assert "2900" in message and "3140" in message and "tax_total 240" in message

    def test_tax_is_not_added_when_prices_include_it(self) -> None:
        found = errors(us_receipt(prices_include_tax=True, payments=[]))
        assert set(found) == {"total"}
        assert "= 2900" in found["total"]
        assert errors(us_receipt(prices_include_tax=True, total=2900, payments=[])) == {}

    def test_shipping_and_discounts_count(self) -> None:
        body = us_receipt(shipping_total=0, total=2440, payments=[])
        assert errors(body) == {}
        body = us_receipt(discount_total=0, discounts=[], total=3440, payments=[])
        assert errors(body) == {}

    def test_subtotal_must_be_the_sum_of_lines(self) -> None:
        found = errors(receipt(subtotal=3000))
        assert "3000" in found["subtotal"] and "3140" in found["subtotal"]

    def test_line_total(self) -> None:
        body = receipt()
        body["lines"][0]["total"] = 3000  # 2 × 1500 − 200 = 2800
        found = errors(body)
        assert "lines[0].total" in found
        assert "2800" in found["lines[0].total"]

    def test_fractional_line_total_beyond_a_cent(self) -> None:
        line = {"name": "Apples", "quantity": "1.055", "unit_price": 299, "total": 317}
        found = errors(simple_receipt("F", lines=[line], subtotal=317, total=317))
        assert set(found) == {"lines[0].total"}

    def test_payments_must_sum_to_total(self) -> None:
        found = errors(us_receipt(payments=[{"method": "card", "amount": 3000}]))
        assert set(found) == {"payments"}
        assert "3000" in found["payments"] and "3140" in found["payments"]

    def test_split_payments(self) -> None:
        payments = [{"method": "card", "amount": 3000}, {"method": "cash", "amount": 140}]
        assert errors(us_receipt(payments=payments)) == {}

    def test_taxes_must_sum_to_tax_total(self) -> None:
        found = errors(us_receipt(taxes=[{"rate": "0.08", "taxable_amount": 1, "tax_amount": 1}]))
        assert set(found) == {"tax_total"}

    def test_discounts_must_sum_to_discount_total(self) -> None:
        found = errors(us_receipt(discounts=[{"amount": 100}]))
        assert set(found) == {"discount_total"}

    def test_several_errors_are_reported_together(self) -> None:
        found = errors(us_receipt(subtotal=1, currency="XXQ"))
        assert {"subtotal", "total", "currency"} <= set(found)


class TestLinesAndRefs:
    @pytest.mark.parametrize("quantity", ["0", "-1", "0.000"])
    def test_sale_quantity_must_be_positive(self, quantity: str) -> None:
        line = {"name": "X", "quantity": quantity, "unit_price": 100, "total": 0}
        body = simple_receipt("Q", lines=[line], subtotal=0, total=0)
        if quantity == "-1":
            line["total"] = body["subtotal"] = body["total"] = -100
        assert "lines[0].quantity" in errors(body)

    def test_return_quantity_must_be_negative(self) -> None:
        line = {
            "name": "X", "quantity": "1", "unit_price": 100, "total": 100,
            "return_of": {"receipt_external_id": "O", "line_no": 1},
        }  # fmt: skip
        found = errors(simple_receipt("Q", lines=[line], subtotal=100, total=100))
        assert set(found) == {"lines[0].quantity"}

    @pytest.mark.parametrize(
        "return_of",
        [{"line_no": 1}, {"line_no": 1, "receipt_external_id": "O",
                          "receipt_id": "0190a1b2-0000-7000-8000-000000000000"}],
    )  # fmt: skip
    def test_return_of_names_exactly_one_receipt(self, return_of: dict[str, Any]) -> None:
        line = {
            "name": "X", "quantity": "-1", "unit_price": 100, "total": -100,
            "return_of": return_of,
        }  # fmt: skip
        found = errors(simple_receipt("Q", lines=[line], subtotal=-100, total=-100))
        assert set(found) == {"lines[0].return_of"}

    def test_unknown_currency(self) -> None:
        assert set(errors(receipt(currency="XXQ"))) == {"currency"}

    @pytest.mark.parametrize(
        ("field", "ref"),
        [
            ("branch", {"id": "0190a1b2-0000-7000-8000-000000000000", "code": "A"}),
            ("branch", {}),
            ("customer", {}),
            ("customer", {"external_id": "A", "member_number": "B"}),
        ],
    )
    def test_references_name_exactly_one_key(self, field: str, ref: dict[str, str]) -> None:
        assert set(errors(receipt("R-1", **{field: ref}))) == {field}


class TestUnitPrices:
    """total = unit_price × quantity rounded to the nearest minor unit (either way at an exact
    half), − discount − vouchers (+ on a return line), in exact integers."""

    def test_fuel(self) -> None:
        assert accepted("185.9", "42.37", range(7870, 7885)) == [7877]  # 7876.583

    def test_fuel_return(self) -> None:
        assert accepted("185.9", "-42.37", range(-7885, -7870)) == [-7877]

    def test_half_a_cent_rounds_either_way(self) -> None:
        assert accepted(25, "0.5", range(10, 16)) == [12, 13]  # 12.5
        assert accepted("0.5", "1", range(-2, 3)) == [0, 1]
        assert accepted("1.5", "3", range(2, 7)) == [4, 5]  # 4.5 with a whole quantity

    def test_half_a_cent_on_a_return_line(self) -> None:
        assert accepted(25, "-0.5", range(-16, -10)) == [-13, -12]
        assert accepted(25, "-0.5", range(-16, -8), discount=1) == [-12, -11]

    def test_a_hair_off_the_half_is_not_a_tie(self) -> None:
        assert accepted("12.500001", "1", range(10, 16)) == [13]
        assert accepted("12.499999", "1", range(10, 16)) == [12]
        assert accepted(25, "0.500001", range(10, 16)) == [13]  # 12.500025

    def test_negative_price_on_a_sale(self) -> None:
        assert accepted("-12.5", "1", range(-16, -10)) == [-13, -12]  # a deposit given back

    def test_integer_and_string_prices_are_the_same_value(self) -> None:
        for price in (299, "299", "299.000000"):
            assert accepted(price, "1.055", range(310, 320)) == [315], price

    def test_discount_and_vouchers_come_off_the_rounded_gross(self) -> None:
        assert accepted("185.9", "42.37", range(7690, 7890), discount=77, vouchers=100) == [7700]

    def test_the_message_shows_the_exact_product_and_both_neighbours_at_a_tie(self) -> None:
        line = {"name": "X", "unit_price": 25, "quantity": "0.5", "total": 14}
        message = line_errors(line)["lines[0].total"]
        assert message == (
            "is 14 but unit_price 25 × quantity 0.5 = 12.5 → 12 or 13, − discount 0"
            " − vouchers 0 = 12"
        )

    def test_the_message_of_a_return_line_adds_back(self) -> None:
        line = {"name": "X", "unit_price": "185.9", "quantity": "-42.37", "discount": 3,
                "total": 0, "return_of": {"receipt_external_id": "O-1", "line_no": 1}}  # fmt: skip
        message = line_errors(line)["lines[0].total"]
        assert message.endswith("= -7876.583 → -7877, + discount 3 + vouchers 0 = -7874")

    def test_extremes_stay_exact(self) -> None:
        # the largest price × the largest quantity: no float, no overflow, no rounding drift
        top = "999999999999.999999"
        assert price_micro(top) * quantity_micro("1") == (10**18 - 1) * 10**6
        assert accepted(top, "1", range(10**12 - 2, 10**12 + 2)) == [10**12]


@pytest.mark.parametrize(
    ("price", "micro", "normal"),
    [(25, 25_000_000, "25"), ("185.9", 185_900_000, "185.9"), ("185.900", 185_900_000, "185.9"),
     (-25, -25_000_000, "-25"), ("-0.000001", -1, "-0.000001"), ("0.0", 0, "0"), (0, 0, "0")],
)  # fmt: skip
def test_prices(price: int | str, micro: int, normal: str) -> None:
    assert price_micro(price) == micro
    assert normal_price(price) == normal


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [(12 * EXACT + EXACT // 2, 12), (13 * EXACT + EXACT // 2, 14),
     (-(12 * EXACT + EXACT // 2), -12), (-(13 * EXACT + EXACT // 2), -14),
     (EXACT // 2 - 1, 0), (EXACT // 2 + 1, 1), (-1, 0)],
)  # fmt: skip
def test_round_half_even(exact: int, rounded: int) -> None:
    assert round_half_even(exact) == rounded


def test_decimal_text() -> None:
    assert decimal_text(7_876_583 * 10**9, 12) == "7876.583"
    assert decimal_text(-1, 6) == "-0.000001"
    assert decimal_text(3_000_000, 6) == "3"
    assert decimal_text(0, 6) == "0"


@pytest.mark.parametrize(
    ("text", "micro", "normal"),
    [("1", 1_000_000, "1"), ("1.055", 1_055_000, "1.055"), ("2.500", 2_500_000, "2.5"),
     ("-0.5", -500_000, "-0.5"), ("0.000001", 1, "0.000001"), ("10", 10_000_000, "10"),
     ("-0", 0, "0")],
)  # fmt: skip
def test_quantities(text: str, micro: int, normal: str) -> None:
    assert quantity_micro(text) == micro
    assert normal_quantity(text) == normal
