"""The guard: every conversion of client text is bounded before it converts."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from tillroll.errors import InvalidInput
from tillroll.kit import parse

HOSTILE = ["1E+999990", "1e-999990", "NaN", "sNaN", "-Infinity", "inf", "9" * 5000,
           "0." + "1" * 3000, "1_000", "١٢", " 1", "1,5", "", "-", ".", "e5", "0x10",
           "1" * 17, "0.0000000000001"]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:20] or "empty")
def test_hostile_decimals_are_refused_quickly_naming_the_field(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as refused:
        parse.decimal(text, field="lines[0].quantity")
    assert time.perf_counter() - started < 0.1  # the old path took 40 s; a busy CI box, 20 ms
    assert refused.value.errors[0].loc == "lines[0].quantity"
    assert len(refused.value.errors[0].message) < 200  # long input is never echoed in full


@pytest.mark.parametrize(
    ("text", "value"),
    [("38.00", Decimal("38.00")), ("1e2", Decimal(100)), ("-0.5", Decimal("-0.5")),
     (".5", Decimal("0.5")), ("1.500000000000000", Decimal("1.5")), ("0E-500", Decimal(0)),
     ("9" * 16, Decimal("9" * 16))],
)  # fmt: skip
def test_decimals_within_bounds(text: str, value: Decimal) -> None:
    assert parse.decimal(text, field="f") == value


def test_decoded_decimals_are_bounded() -> None:
    for value in (Decimal("NaN"), Decimal("1E+999990"), Decimal("1E-999990"), Decimal("1E16")):
        with pytest.raises(InvalidInput):
            parse.bounded(value, field="f")
    assert parse.bounded(Decimal("0.21"), field="f", places=2) == Decimal("0.21")


@pytest.mark.parametrize("text", ["9" * 5000, "9223372036854775808", "-1", "²", "", "1.0", "0x1"])
def test_integers_are_ascii_digits_up_to_a_bigint(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse.integer(text, field="id")
    assert parse.integer("9223372036854775807", field="id") == 2**63 - 1


@pytest.mark.parametrize(
    "name", ["America", "Europe", "../etc/passwd", "a" * 300, "Europe/../UTC", "", "/UTC", "utc"]
)
def test_zones_are_iana_names_only(name: str) -> None:
    assert not parse.is_zone(name)
    with pytest.raises(InvalidInput):
        parse.zone(name, field="timezone")
    assert str(parse.zone("Europe/Amsterdam", field="timezone")) == "Europe/Amsterdam"


def test_choices_are_exact() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse.choice("eur", {"EUR", "USD"}, field="currency", what="an ISO 4217 code")
    assert refused.value.errors[0].message == "'eur' is not an ISO 4217 code"
    assert parse.choice("EUR", {"EUR"}, field="currency", what="a code") == "EUR"


def test_a_megabyte_of_digits_is_refused_in_microseconds() -> None:
    value = Decimal("0." + "1" * 4_000_000)  # what a 4 MiB body decodes to
    started = time.perf_counter()
    with pytest.raises(InvalidInput):
        parse.bounded(value, field="item_price")
    assert time.perf_counter() - started < 0.1  # the old path took 40 s; a busy CI box, 20 ms
