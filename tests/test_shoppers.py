"""A shopper session sees its own customer's data and nothing of anyone else's, on every
endpoint a shopper may call.

The endpoints come from the app's registry (`shopper_ok`), so a new one is covered — or fails
here, asking for hostile values for its path parameters — without anyone remembering it. Each
hostile request is also sent with the merchant's key, which does see the other customer's
data: that is what makes every case able to fail.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pypdf
import pytest

from tests.conftest import Tenant
from tests.factories import (
    bearer,
    created,
    make_customer,
    make_receipt,
    make_session,
    simple_receipt,
)
from tillroll.app import endpoints
from tillroll.kit.http import Endpoint

SHOPPER_CALLABLE = [e for e in endpoints() if e.shopper_ok]


def _id(endpoint: Endpoint) -> str:
    return f"{endpoint.method} {endpoint.path}"


@dataclass
class Person:
    customer: dict[str, Any]
    receipt: dict[str, Any]
    wallet: dict[str, Any]
    entry: dict[str, Any]  # a credit whose note is the receipt's external id

    @property
    def marks(self) -> list[str]:
        """Text only this person's data contains (a lot names its credit entry)."""
        return [self.receipt["external_id"], self.entry["id"], self.wallet["id"]]


@dataclass
class World:
    """Shopper Anna, another customer Bea, and an anonymous receipt, under one merchant."""

    anna: Person
    bea: Person
    anonymous: dict[str, Any]

    @property
    def foreign_marks(self) -> list[str]:
        """Text that only the others' data contains."""
        bea, anon = self.bea, self.anonymous
        return [
            bea.customer["id"], bea.customer["email"], bea.receipt["id"],
            bea.receipt["external_id"], anon["id"], anon["external_id"], bea.wallet["id"],
            bea.entry["id"],
        ]  # fmt: skip

    def path_values(self, endpoint: Endpoint, name: str, person: Person) -> list[str]:
        """Values of path parameter `name` that point at `person`'s data (and, for the
        other customer, at the anonymous receipt too)."""
        spaaza = endpoint.path.startswith("/compat/spaaza/")
        receipts = [person.receipt] if person is self.anna else [person.receipt, self.anonymous]
        if name == "receipt_id":
            return [str(r["number"]) if spaaza else r["id"] for r in receipts]
        if name == "customer_id":
            return [person.customer["id"]]
        if name == "wallet_id":
            return [person.wallet["id"]]
        pytest.fail(f"give hostile values for path parameter {name!r} of {_id(endpoint)}")

    def queries(self, endpoint: Endpoint, person: Person) -> list[dict[str, Any]]:
        """Query strings that ask for `person`'s data, those the endpoint's query knows."""
        fields = set(getattr(endpoint.query, "__struct_fields__", ()))
        asks = {
            "customer_id": person.customer["id"],
            "external_id": person.receipt["external_id"],
            "shopper_id": person.customer["number"],
        }
        required = {"shopper_id"} & fields  # a Spaaza shopper query names one shopper
        base = {k: asks[k] for k in required}
        return [base] + [{**base, k: v} for k, v in asks.items() if k in fields - required]

    def requests(self, endpoint: Endpoint, person: Person) -> list[tuple[str, dict[str, Any]]]:
        names = list(endpoint.path_params)
        choices = [self.path_values(endpoint, n, person) for n in names]
        paths = []
        for values in itertools.product(*choices):
            path = endpoint.path
            for name, value in zip(names, values, strict=True):
                path = path.replace(f"{{{name}}}", value)
            paths.append(path)
        return [(p, q) for p in paths for q in self.queries(endpoint, person)]


async def _person(client: httpx.AsyncClient, name: str) -> Person:
    customer = await make_customer(
        client, member_number=f"{name}-CARD", email=f"{name.lower()}@example.com"
    )
    body = simple_receipt(f"{name}-R1", customer={"id": customer["id"]})
    wallet = await created(
        await client.post(f"/v1/customers/{customer['id']}/wallets", json={"kind": "points"})
    )
    entry = await created(
        await client.post(
            f"/v1/wallets/{wallet['id']}/entries",
            json={"amount": 10, "note": f"{name}-R1"},
            headers={"Idempotency-Key": f"shopper-{wallet['id']}"},
        )
    )
    return Person(customer, await make_receipt(client, body), wallet, entry)


@pytest.fixture
async def world(tenant: Tenant) -> World:
    anna = await _person(tenant.client, "ANNA")
    bea = await _person(tenant.client, "BEA")
    anonymous = await make_receipt(tenant.client, simple_receipt("NOBODYS-R1"))
    return World(anna, bea, anonymous)


async def _shopper(tenant: Tenant, world: World) -> dict[str, str]:
    session = await make_session(tenant.client, world.anna.customer["id"])
    return bearer(session["token"])


def test_the_shopper_endpoints_are_found() -> None:
    assert {
        "GET /v1/receipts",
        "GET /v1/receipts/{receipt_id}",
        "GET /v1/customers/{customer_id}/receipts",
        "GET /v1/receipts/export.csv",
        "GET /v1/receipts/export.jsonl",
        "GET /compat/spaaza/receipts",
    } <= {_id(e) for e in SHOPPER_CALLABLE}


def _text(response: httpx.Response) -> str:
    """What a response shows: its text, or a PDF's extracted text."""
    if response.headers.get("content-type") != "application/pdf":
        return response.text
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)


@pytest.mark.parametrize("endpoint", SHOPPER_CALLABLE, ids=_id)
async def test_a_shopper_never_sees_another_customers_data(
    endpoint: Endpoint, tenant: Tenant, world: World
) -> None:
    shopper = await _shopper(tenant, world)
    for path, query in world.requests(endpoint, world.bea):
        as_merchant = await tenant.client.request(endpoint.method, path, params=query)
        assert as_merchant.status_code == 200, (path, query, as_merchant.text)
        assert any(mark in _text(as_merchant) for mark in world.foreign_marks), (path, query)
        response = await tenant.client.request(endpoint.method, path, params=query, headers=shopper)
        assert response.status_code in (200, 404), (path, query, response.text)
        asked = f"{path} {query}"  # a 404 may name what was asked for
        leaked = [m for m in world.foreign_marks if m in _text(response) and m not in asked]
        assert leaked == [], (path, query, response.text)


@pytest.mark.parametrize("endpoint", SHOPPER_CALLABLE, ids=_id)
async def test_a_shopper_sees_its_own_data(
    endpoint: Endpoint, tenant: Tenant, world: World
) -> None:
    shopper = await _shopper(tenant, world)
    for path, query in world.requests(endpoint, world.anna):
        response = await tenant.client.request(endpoint.method, path, params=query, headers=shopper)
        assert response.status_code == 200, (path, query, response.text)
        assert any(mark in _text(response) for mark in world.anna.marks), (path, query)


@pytest.mark.parametrize("endpoint", SHOPPER_CALLABLE, ids=_id)
async def test_another_merchants_shopper_sees_nothing(
    endpoint: Endpoint, other: Tenant, world: World
) -> None:
    stranger = await make_customer(other.client, member_number="ANNA-CARD")
    session = await make_session(other.client, stranger["id"])
    for path, query in world.requests(endpoint, world.anna):
        response = await other.client.request(
            endpoint.method, path, params=query, headers=bearer(session["token"])
        )
        assert response.status_code in (200, 404), (path, query, response.text)
        leaked = [m for m in world.anna.marks if m in response.text and m not in path]
        assert leaked == [], (path, query)  # a 404 may name the id asked for


async def test_a_shopper_may_not_call_merchant_endpoints(tenant: Tenant, world: World) -> None:
    shopper = await _shopper(tenant, world)
    anna = world.anna.customer["id"]
    for method, path in [("GET", "/v1/customers"), ("GET", f"/v1/customers/{anna}"),
                         ("GET", "/v1/branches"), ("DELETE", f"/v1/customers/{anna}")]:  # fmt: skip
        response = await tenant.client.request(method, path, headers=shopper)
        assert response.status_code == 403, (method, path, response.text)
