"""`check_receipt`: the integrity rules as a pure function (no database)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.factories import EXAMPLE, receipt, simple_receipt
from tillroll.receipts.rules import check_receipt, normal_quantity, quantity_micro
from tillroll.receipts.schemas import ReceiptCreate


def errors(body: dict[str, Any]) -> dict[str, str]:
    found = check_receipt(msgspec.convert(body, ReceiptCreate))
    return {e.loc: e.message for e in found}


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

    def test_fractional_quantity_allows_a_cent_of_rounding(self) -> None:
        # 299 × 1.055 = 315.445
        for total in (315, 316):
            line = {"name": "Apples", "quantity": "1.055", "unit_price": 299, "total": total}
            body = simple_receipt("F", lines=[line], subtotal=total, total=total)
            assert errors(body) == {}, total

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
        assert set(errors(receipt(**{field: ref}))) == {field}


@pytest.mark.parametrize(
    ("text", "micro", "normal"),
    [("1", 1_000_000, "1"), ("1.055", 1_055_000, "1.055"), ("2.500", 2_500_000, "2.5"),
     ("-0.5", -500_000, "-0.5"), ("0.000001", 1, "0.000001"), ("10", 10_000_000, "10"),
     ("-0", 0, "0")],
)  # fmt: skip
def test_quantities(text: str, micro: int, normal: str) -> None:
    assert quantity_micro(text) == micro
    assert normal_quantity(text) == normal
