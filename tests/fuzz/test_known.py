"""The classes of 500 a previous fuzzer found, each now a fast 4xx naming the field."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from tests.fuzz.conftest import World
from tests.fuzz.strategies import BASKET, Raw, dump
from tests.fuzz.test_endpoints import check
from tillroll.app import endpoints

ADD_BASKET = next(e for e in endpoints() if e.path == "/compat/spaaza/auth/add-basket")
ADD_RECEIPT = next(e for e in endpoints() if e.method == "POST" and e.path == "/v1/receipts")
NUMBERS = [Raw(b"1E+999990"), Raw(b"1e-999990"), Raw(b"9" * 5000), "NaN", "sNaN", "-Infinity",
           "1E+999990", Raw(b"1E400"), "0." + "1" * 3000]  # fmt: skip
ITEM = "basket.basket_items[0]"
PLACES = {
    "item_quantity": (ITEM, "item_quantity"), "item_price": (ITEM, "item_price"),
    "item_subtotal": (ITEM, "item_subtotal"), "basket_total_price": ("basket", ""),
    "tax_rate": ("basket.basket_tax[0]", "tax_rate"),
    "payment_amount": ("basket.payment_methods[0]", "payment_amount"),
}  # fmt: skip


def _at(document: dict[str, Any], loc: str) -> dict[str, Any]:
    node: Any = document
    for part in loc.replace("]", "").replace("[", ".").split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    return node  # type: ignore[no-any-return]


async def _send(world: World, endpoint: Any, body: bytes, **headers: str) -> dict[str, Any]:
    started = time.perf_counter()
    response = await world.client.post(
        endpoint.path, content=body, headers={"content-type": "application/json", **headers}
    )
    seconds = time.perf_counter() - started
    check(endpoint, response, seconds)
    assert seconds < 1.0 and 400 <= response.status_code < 500, response.text
    return {"status": response.status_code, **response.json()}


@pytest.mark.parametrize("value", NUMBERS, ids=lambda v: str(v)[:24])
@pytest.mark.parametrize("name", list(PLACES))
async def test_facade_numbers_are_refused_naming_the_field(
    world: World, name: str, value: Any
) -> None:
    body = copy.deepcopy(BASKET)
    parent, field = PLACES[name]
    _at(body, parent)[field or name] = value
    answer = await _send(world, ADD_BASKET, dump(body))
    assert answer["status"] == 400
    assert f"{parent}.{field or name}:" in answer["error"]["description"], answer
    without_key = await _send(world, ADD_BASKET, dump(body), authorization="")
    assert without_key["status"] == 401


@pytest.mark.parametrize(
    ("loc", "value"),
    [("basket.basket_currency.currency_code", "eur"), ("basket.basket_currency.currency_code",
     "XXX"), ("basket.basket_timezone_name", "America"), ("basket.basket_timezone_name",
     "a" * 300), ("basket.basket_timezone_name", "../../etc/passwd")],
)  # fmt: skip
async def test_facade_codes_and_zones_are_refused(world: World, loc: str, value: str) -> None:
    body = copy.deepcopy(BASKET)
    parent, _, name = loc.rpartition(".")
    _at(body, parent)[name] = value
    answer = await _send(world, ADD_BASKET, dump(body))
    assert answer["status"] == 400 and answer["error"]["description"].startswith(loc), answer


@pytest.mark.parametrize("value", ["1E+999990", "NaN", "9" * 5000, "1e-999990", "Infinity"])
@pytest.mark.parametrize("field", ["quantity", "tax_rate"])
async def test_native_numbers_are_refused_naming_the_field(
    world: World, field: str, value: str
) -> None:
    body = dump({**BASKET_FREE_RECEIPT, "lines": [{**LINE, field: value}]})
    answer = await _send(world, ADD_RECEIPT, body)
    assert answer["status"] == 422
    assert answer["errors"][0]["loc"] == f"lines[0].{field}", answer


@pytest.mark.parametrize("endpoint", [ADD_BASKET, ADD_RECEIPT], ids=["facade", "native"])
async def test_invalid_utf8_in_a_string_is_400(world: World, endpoint: Any) -> None:
    body = b'{"external_id": "\xff\xfe", "basket": {"retailer_basket_code": "\xc3"}}'
    assert (await _send(world, endpoint, body))["status"] == 400
    assert (await _send(world, endpoint, body, authorization=""))["status"] == 401


@pytest.mark.parametrize("number", ["9" * 5000, "18446744073709551616", "-1", "²"])
async def test_facade_ids_are_not_found(world: World, number: str) -> None:
    response = await world.client.get(f"/compat/spaaza/receipts/{number}")
    assert response.status_code == 404, response.text
    params = {"chain_id": number, "user_id": number}
    listed = await world.client.get("/compat/spaaza/get-receipts", params=params)
    assert listed.status_code == 400, listed.text


@pytest.mark.parametrize("number", [2**31, 2**63 - 1])
async def test_facade_numbers_beyond_the_columns_match_nothing(world: World, number: int) -> None:
    """Customer and branch numbers are 32-bit columns: a larger id is no one (found on
    PostgreSQL, which cannot bind it)."""
    shopper = await world.client.get("/compat/spaaza/receipts", params={"shopper_id": number})
    assert shopper.status_code == 200 and shopper.json() == []
    for name in ("user_id", "branch_business_id"):
        params = {"chain_id": world.number, name: number}
        listed = await world.client.get("/compat/spaaza/get-receipts", params=params)
        assert listed.status_code == 200 and listed.json()["results"]["receipts"] == [], name


LINE = {"name": "Tee", "unit_price": 1000, "total": 1000, "quantity": "1"}
BASKET_FREE_RECEIPT = {"external_id": "K-1", "issued_at": "2026-11-21T15:09:26+01:00",
                       "currency": "EUR", "subtotal": 1000, "total": 1000}  # fmt: skip
