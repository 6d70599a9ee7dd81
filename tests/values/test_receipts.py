"""Value receipts through the real API: the numbers, the lifecycle, scopes and bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Tenant
from tests.values.helpers import COST, PERIOD, seed, signal
from tillroll.kit.db import Connection, Database, run

# 3 × round6(20/60) + 60/60 = 1.999999 hours × €50 = €99.99995 → 10000 cents (half even);
# 4 × €2.50 = 1000 cents.
HOURS_VALUE, COST_VALUE = 10000, 1000


async def make(client: httpx.AsyncClient, path: str = "", **body: Any) -> httpx.Response:
    return await client.post(
        f"/v1/value-receipts{path}", json={"external_customer_id": "cust-1", **PERIOD, **body}
    )


async def test_a_receipt_sums_the_stored_values(tenant: Tenant) -> None:
    await seed(tenant.client)
    response = await make(tenant.client)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["status"] == "draft"
    assert receipt["currency"] == "EUR"
    lines = {line["slug"]: line for line in receipt["lines"]}
    assert lines["hours-saved"]["occurrences"] == 4
    assert lines["hours-saved"]["quantity"] == "1.999999"
    assert lines["hours-saved"]["value"] == HOURS_VALUE
    assert lines["cost-saved"]["quantity"] == "10"
    assert lines["cost-saved"]["value"] == COST_VALUE
    assert receipt["total_delivered_value"] == HOURS_VALUE + COST_VALUE
    days = {p["day"]: p["value"] for p in receipt["series"]}
    assert set(days) == {"2026-11-03", "2026-11-04", "2026-11-05"}
    assert days["2026-11-05"] == 5000 + 250
    assert receipt["customer"]["external_id"] == "cust-1"
    assert len(receipt["share_token"]) >= 3 + 32  # "vr_" + 192 bits in base64url
    again = await tenant.client.get(f"/v1/value-receipts/{receipt['id']}")
    assert again.json() == receipt


async def test_the_period_is_half_open(tenant: Tenant) -> None:
    await seed(tenant.client)
    response = await make(tenant.client, start="2026-11-04T10:00:00Z", end="2026-11-05T10:00:00Z")
    lines = {line["slug"]: line for line in response.json()["lines"]}
    assert lines["cost-saved"]["occurrences"] == 2  # the 4th at 10:00 in, the 5th at 10:00 out


async def test_lifecycle(tenant: Tenant) -> None:
    client = tenant.client
    await seed(client)
    created = (await make(client)).json()
    rid = created["id"]
    synced = await make(client, "/sync")
    assert synced.status_code == 200 and synced.json()["id"] == rid
    await client.post("/v1/signals", json=signal("k5", day=6))
    refreshed = (await client.post(f"/v1/value-receipts/{rid}/refresh")).json()
    assert refreshed["total_delivered_value"] > created["total_delivered_value"]
    assert (await client.post(f"/v1/value-receipts/{rid}/seal")).json()["status"] == "posted"
    assert (await client.post(f"/v1/value-receipts/{rid}/seal")).status_code == 409
    assert (await client.post(f"/v1/value-receipts/{rid}/refresh")).status_code == 409
    await client.post("/v1/signals", json=signal("k6", day=7))
    sealed = await make(client, "/sync")
    assert sealed.status_code == 200
    assert sealed.json()["total_delivered_value"] == refreshed["total_delivered_value"]
    assert sealed.json()["lines"] == refreshed["lines"]
    # a new create is always a new receipt, with the new signal in it
    fresh = (await make(client)).json()
    assert (
        fresh["id"] != rid
        and fresh["total_delivered_value"] > sealed.json()["total_delivered_value"]
    )


async def test_archive_publish_and_tokens(tenant: Tenant, client: httpx.AsyncClient) -> None:
    c = tenant.client
    await seed(c)
    receipt = (await make(c)).json()
    rid, url = receipt["id"], receipt["share_url"]
    assert (await client.get(url)).status_code == 401  # private: a JWT is needed
    published = (await c.post(f"/v1/value-receipts/{rid}/publish", json={})).json()
    assert published["is_published"] and published["published_at"]
    page = await client.get(url)
    assert page.status_code == 200 and "Hours saved" in page.text and "€ 110.00" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    data = await client.get(url + "/data")
    assert data.json()["total_delivered_value"] == HOURS_VALUE + COST_VALUE
    await c.post(f"/v1/value-receipts/{rid}/unpublish")
    assert (await client.get(url)).status_code == 401
    await c.post(f"/v1/value-receipts/{rid}/archive")
    listed = (await c.get("/v1/value-receipts")).json()
    assert rid not in [r["id"] for r in listed["data"]]
    archived = (await c.get("/v1/value-receipts", params={"archived": "true"})).json()
    assert [r["id"] for r in archived["data"]] == [rid] and archived["total"] == 1
    assert (await c.post(f"/v1/value-receipts/{rid}/publish", json={})).status_code == 409
    assert (await c.post(f"/v1/value-receipts/{rid}/unarchive")).status_code == 200
    assert (await c.post(f"/v1/value-receipts/{rid}/unarchive")).status_code == 409
    await c.post(f"/v1/value-receipts/{rid}/publish", json={})
    rotated = (await c.post(f"/v1/value-receipts/{rid}/rotate-token")).json()
    assert (await client.get(url)).status_code == 404
    assert (await client.get(rotated["share_url"])).status_code == 200
    revoked = (await c.post("/v1/value-receipts/revoke-all")).json()
    assert revoked == {"unpublished": 1}
    assert (await client.get(rotated["share_url"])).status_code == 401


async def test_publish_expiry(tenant: Tenant, client: httpx.AsyncClient) -> None:
    await seed(tenant.client)
    receipt = (await make(tenant.client)).json()
    rid = receipt["id"]
    publish = f"/v1/value-receipts/{rid}/publish"
    past = await tenant.client.post(publish, json={"publish_expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.json()["errors"][0]["loc"] == "publish_expires_at"
    soon = datetime.now(UTC) + timedelta(seconds=2)
    response = await tenant.client.post(publish, json={"publish_expires_at": soon.isoformat()})
    assert response.json()["publish_expires_at"] is not None
    assert (await client.get(receipt["share_url"])).status_code == 200
    await asyncio.sleep((soon - datetime.now(UTC)).total_seconds() + 0.1)
    assert (await client.get(receipt["share_url"])).status_code == 401


async def test_scopes(tenant: Tenant) -> None:
    c = tenant.client
    await c.post("/v1/value-metrics", json=COST)
    product = (await c.post("/v1/products", json={"external_id": "AGENT", "name": "Agent"})).json()
    signals = [
        signal("a", external_product_id="AGENT"),
        signal("b", order_id="ORD-1"),
        signal("c"),
        signal("d", customer="cust-2"),
    ]
    await c.post("/v1/signals/bulk", json={"signals": signals})
    total = (await make(c)).json()["total_delivered_value"]
    by_product = (await make(c, product_id=product["id"])).json()
    by_order = (await make(c, order_id="ORD-1")).json()
    assert (total, by_product["total_delivered_value"], by_order["total_delivered_value"]) == (
        750,
        250,
        250,
    )
    assert by_product["product_id"] == product["id"] and by_order["order_id"] == "ORD-1"
    listed = (await c.get("/v1/value-receipts", params={"order_id": "ORD-1"})).json()
    assert [r["id"] for r in listed["data"]] == [by_order["id"]]
    # the natural key includes the scope: a sync of the product scope finds that one
    synced = await make(c, "/sync", product_id=product["id"])
    assert synced.json()["id"] == by_product["id"]


async def test_bad_requests_change_nothing(tenant: Tenant) -> None:
    c = tenant.client
    await seed(c)
    cases = [
        ({"order_id": "X", "product_id": "0190a000-0000-7000-8000-000000000000"}, "order_id"),
        ({"customer_id": "0190a000-0000-7000-8000-000000000000"}, "customer_id"),
        ({"end": PERIOD["start"]}, "end"),
        ({"start": "2026-11-01T00:00:00"}, "start"),
        ({"currency": "XXY"}, "currency"),
    ]
    for body, loc in cases:
        response = await make(c, **body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == loc
    unknown = await c.post("/v1/value-receipts", json={"external_customer_id": "nobody", **PERIOD})
    assert unknown.status_code == 404
    assert (await c.get("/v1/value-receipts")).json()["total"] == 0


async def test_another_merchants_receipt_is_404(tenant: Tenant, other: Tenant) -> None:
    await seed(tenant.client)
    rid = (await make(tenant.client)).json()["id"]
    for path in ("", "/refresh", "/seal", "/publish", "/archive", "/rotate-token"):
        method = other.client.get if not path else other.client.post
        assert (await method(f"/v1/value-receipts/{rid}{path}")).status_code == 404
    assert (await other.client.get("/v1/value-receipts")).json()["total"] == 0


async def test_events_commit_with_the_change(tenant: Tenant, db: Database) -> None:
    await seed(tenant.client)
    rid = (await make(tenant.client)).json()["id"]
    for action in ("seal", "seal", "publish"):  # the second seal is a 409: no event
        await tenant.client.post(f"/v1/value-receipts/{rid}/{action}", json={})

    async def types(conn: Connection) -> list[str]:
        sql = (
            "SELECT type FROM events WHERE merchant_id = :m "
            "AND type LIKE 'value_receipt.%' ORDER BY id"
        )
        return [r["type"] for r in await conn.fetchall(sql, {"m": tenant.id})]

    assert await run(db, types, write=False) == [
        "value_receipt.created",
        "value_receipt.sealed",
        "value_receipt.published",
    ]


async def test_concurrent_syncs_make_one_receipt(tenant: Tenant) -> None:
    await seed(tenant.client)
    answers = await asyncio.gather(*[make(tenant.client, "/sync") for _ in range(6)])
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
