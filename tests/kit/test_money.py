from __future__ import annotations

import pytest

from tillroll.errors import InvalidInput
from tillroll.kit.money import (
    EXPONENTS,
    from_decimal_string,
    is_currency,
    to_decimal_string,
)


def test_exponents() -> None:
    assert EXPONENTS["EUR"] == EXPONENTS["USD"] == 2
    assert EXPONENTS["JPY"] == EXPONENTS["KRW"] == 0
    assert EXPONENTS["KWD"] == EXPONENTS["BHD"] == 3
    assert EXPONENTS["CLF"] == 4
    assert is_currency("EUR") and not is_currency("XXQ") and not is_currency("eur")
    assert len(EXPONENTS) > 150


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (3800, "USD", "38.00"),
        (12295, "USD", "122.95"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (0, "EUR", "0.00"),
        (500, "JPY", "500"),
        (-500, "JPY", "-500"),
        (1234, "KWD", "1.234"),
        (1, "KWD", "0.001"),
        (10**15, "EUR", "10000000000000.00"),
    ],
)
def test_round_trip(amount: int, currency: str, text: str) -> None:
    assert to_decimal_string(amount, currency) == text
    assert from_decimal_string(text, currency) == amount


def test_places_pad_further() -> None:
    assert to_decimal_string(12295, "USD", places=4) == "122.9500"
    assert to_decimal_string(500, "JPY", places=2) == "500.00"
    assert to_decimal_string(1234, "KWD", places=4) == "1.2340"


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [("38", "USD", 3800), ("38.5", "USD", 3850), ("38.500", "USD", 3850), ("1.2", "KWD", 1200),
     ("500.00", "JPY", 500), ("1e2", "EUR", 10000), ("-0.01", "EUR", -1)],
)  # fmt: skip
def test_from_decimal_accepts_equivalent_spellings(text: str, currency: str, amount: int) -> None:
    assert from_decimal_string(text, currency) == amount


@pytest.mark.parametrize(
    ("text", "currency"),
    [("38.001", "USD"), ("1.5", "JPY"), ("1.2345", "KWD"), ("abc", "USD"), ("", "USD"),
     ("NaN", "USD"), ("Infinity", "USD"), ("-inf", "EUR"), ("1,50", "EUR"), ("sNaN", "EUR"),
     ("1E+999990", "EUR"), ("1E-999990", "EUR"), ("9" * 5000, "EUR"), ("1_0", "EUR"),
     ("10000000000000.01", "EUR")],
)  # fmt: skip
def test_from_decimal_refuses_naming_the_field(text: str, currency: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        from_decimal_string(text, currency, field="price")
    assert refused.value.errors[0].loc == "price"


def test_never_floats() -> None:
    assert isinstance(from_decimal_string("0.10", "EUR"), int)
    assert from_decimal_string("0.1", "EUR") + from_decimal_string("0.2", "EUR") == 30
