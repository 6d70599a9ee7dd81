"""GET /v1/events: what each domain emits, in its request's transaction, read back through
the API (keyset pages, filters by type and time), scoped to the merchant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import (
    make_branch,
    make_customer,
    make_key,
    make_product,
    make_receipt,
    simple_receipt,
)
from tillroll.kit.clock import utc_now


async def _events(client: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/events", params={"limit": 500, **query})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def _types(client: httpx.AsyncClient) -> list[str]:
    return [e["type"] for e in await _events(client)]


async def test_each_domain_emits_its_events(tenant: Tenant) -> None:
    c = tenant.client
    branch = await make_branch(c)
    await c.patch(f"/v1/branches/{branch['id']}", json={"name": "Renamed"})
    await c.patch(f"/v1/branches/{branch['id']}", json={"name": "Renamed"})  # no change
    customer = await make_customer(c, member_number="M-1")
    await c.patch(f"/v1/customers/{customer['id']}", json={"first_name": "Anna"})
    product = await make_product(c)
    assert (await c.delete(f"/v1/products/{product['id']}")).status_code == 204
    receipt = await make_receipt(c, simple_receipt("R-1"))
    replay = await c.post("/v1/receipts", json=simple_receipt("R-1"))
    assert replay.status_code == 200  # a replay stores nothing: no event
    await c.post(f"/v1/receipts/{receipt['id']}/claim", json={"customer": {"member_number": "M-1"}})
    key = await make_key(c, "read")
    assert (await c.delete(f"/v1/keys/{key['id']}")).status_code == 200
    assert (await c.delete(f"/v1/keys/{key['id']}")).status_code == 200  # already revoked
    assert await _types(c) == [
        "api_key.created",  # the merchant's first key
        "branch.created",
        "branch.updated",
        "customer.created",
        "customer.updated",
        "product.created",
        "product.deleted",
        "receipt.created",
        "receipt.claimed",
        "api_key.created",
        "api_key.revoked",
    ]
    events = await _events(c, type=["receipt.created", "receipt.claimed", "branch.updated"])
    assert events[0]["data"]["name"] == "Renamed"
    created, claimed = events[1]["data"], events[2]["data"]
    assert created["id"] == receipt["id"] and created["customer_id"] is None
    assert (claimed["customer_id"], claimed["total"]) == (customer["id"], receipt["total"])
    revoked = (await _events(c, type="api_key.revoked"))[0]["data"]
    assert revoked["id"] == key["id"] and "secret" not in revoked


async def test_a_refused_request_emits_nothing(tenant: Tenant) -> None:
    c = tenant.client
    await make_branch(c, "B-1")
    clash = await c.post("/v1/branches", json={"code": "B-1", "name": "Again"})
    assert clash.status_code == 409
    bad = simple_receipt("R-1", total=1)
    assert (await c.post("/v1/receipts", json=bad)).status_code == 422
    assert await _types(c) == ["api_key.created", "branch.created"]


async def test_a_batch_emits_one_event_per_stored_receipt(tenant: Tenant) -> None:
    bodies = [simple_receipt(f"R-{i}") for i in range(3)] + [simple_receipt("R-x", total=1)]
    response = await tenant.client.post("/v1/receipts/batch", json={"receipts": bodies})
    stored = [r["receipt"]["id"] for r in response.json()["results"] if r["status"] == 201]
    events = await _events(tenant.client, type="receipt.created")
    assert [e["data"]["id"] for e in events] == stored and len(stored) == 3


async def test_pages_follow_the_cursor(tenant: Tenant) -> None:
    for i in range(5):
        await make_branch(tenant.client, f"B-{i}")
    seen, cursor = [], None
    while True:
        query: dict[str, str | int] = {"limit": 2, "type": "branch.created"}
        query |= {"cursor": cursor} if cursor else {}
        page = (await tenant.client.get("/v1/events", params=query)).json()
        seen += [e["data"]["code"] for e in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"B-{i}" for i in range(5)]


async def test_the_time_window_filters(tenant: Tenant) -> None:
    await make_branch(tenant.client, "B-1")
    now = utc_now()
    later = (now + timedelta(hours=1)).isoformat()
    earlier = (now - timedelta(hours=1)).isoformat()
    assert await _events(tenant.client, created_from=later) == []
    assert len(await _events(tenant.client, created_from=earlier, created_to=later)) == 2
    assert await _events(tenant.client, created_to=earlier) == []


async def test_one_event_and_another_tenants_404(tenant: Tenant, other: Tenant) -> None:
    branch = await make_branch(tenant.client)
    [event] = await _events(tenant.client, type="branch.created")
    one = await tenant.client.get(f"/v1/events/{event['id']}")
    assert one.status_code == 200 and one.json() == event and event["data"] == branch
    assert (await other.client.get(f"/v1/events/{event['id']}")).status_code == 404
    assert await _types(other.client) == ["api_key.created"]


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"type": "no.such"}, "query.type"),
        ({"created_from": "yesterday"}, "query.created_from"),
        ({"created_from": "0001-01-01T00:00:00Z"}, "query.created_from"),
        ({"cursor": "nope"}, "query.cursor"),
        ({"limit": "501"}, "query.limit"),
    ],
)
async def test_bad_queries_are_422_naming_the_field(
    tenant: Tenant, query: dict[str, str], loc: str
) -> None:
    response = await tenant.client.get("/v1/events", params=query)
    assert response.status_code == 422, response.text
    assert loc in [e["loc"] for e in response.json()["errors"]]
