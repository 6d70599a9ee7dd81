"""Signal ingest: single and bulk, idempotent by key, per-item errors, and the list."""

from __future__ import annotations

import httpx

from tests.conftest import Tenant
from tests.values.helpers import COST, HOURS, signal


async def bulk(client: httpx.AsyncClient, *signals: dict[str, object]) -> httpx.Response:
    return await client.post("/v1/signals/bulk", json={"signals": list(signals)})


async def test_a_duplicate_key_never_counts_twice(tenant: Tenant) -> None:
    c = tenant.client
    await c.post("/v1/value-metrics", json=COST)
    first = await bulk(c, signal("a"), signal("b"), signal("a"))  # "a" twice in one request
    assert first.json()["ingested"] == 2 and first.json()["duplicates"] == 1
    second = await bulk(c, signal("a"), signal("c"))
    assert (second.json()["ingested"], second.json()["duplicates"]) == (1, 1)
    single = await c.post("/v1/signals", json=signal("c"))
    assert single.status_code == 200 and single.json()["duplicates"] == 1
    body = {"external_customer_id": "cust-1", "start": "2026-11-01T00:00:00Z",
            "end": "2026-12-01T00:00:00Z"}  # fmt: skip
    receipt = (await c.post("/v1/value-receipts", json=body)).json()
    assert receipt["lines"][0]["occurrences"] == 3  # a, b, c


async def test_bad_items_are_reported_and_the_rest_stored(tenant: Tenant) -> None:
    c = tenant.client
    await c.post("/v1/value-metrics", json=HOURS)
    response = await bulk(
        c,
        signal("ok"),
        {"event_name": "x", "idempotency_key": "no-customer"},
        signal("no-product", external_product_id="missing"),
        signal("bad-data", data={"minutes_saved": "lots"}),
        signal("both", customer_id="0190a000-0000-7000-8000-000000000000"),
        signal("year", timestamp="0001-01-01T00:00:00Z"),
    )
    result = response.json()
    assert response.status_code == 200
    assert (result["ingested"], result["duplicates"], result["failed"]) == (1, 0, 5)
    errors = {(e["index"], e["loc"]) for e in result["errors"]}
    assert errors == {
        (1, "customer_id"),
        (2, "external_product_id"),
        (3, "data.minutes_saved"),
        (4, "customer_id"),
        (5, "timestamp"),
    }
    assert result["ids"][0] and result["ids"][1:] == [None] * 5
    listed = (await c.get("/v1/signals")).json()["data"]
    assert [s["idempotency_key"] for s in listed] == ["ok"]
    single = await c.post("/v1/signals", json=signal("bad", data={"minutes_saved": [1]}))
    assert single.status_code == 422 and single.json()["errors"][0]["loc"] == "data.minutes_saved"


async def test_bulk_bounds(tenant: Tenant) -> None:
    c = tenant.client
    too_many = await bulk(c, *[signal(f"k{i}") for i in range(1001)])
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["loc"] == "signals"
    assert (await bulk(c)).status_code == 422
    naive = await c.post("/v1/signals", json=signal("n", timestamp="2026-11-03T10:00:00"))
    assert naive.status_code == 422 and naive.json()["errors"][0]["loc"] == "timestamp"
    full = await bulk(c, *[signal(f"k{i}") for i in range(1000)])
    assert full.json()["ingested"] == 1000
    assert (await c.get("/v1/signals")).json()["data"] == (await c.get("/v1/signals")).json()[
        "data"
    ]


async def test_unknown_external_customers_are_created_once(tenant: Tenant) -> None:
    c = tenant.client
    await bulk(c, signal("a", customer="new-1"), signal("b", customer="new-1"))
    await c.post("/v1/signals", json=signal("c", customer="new-1"))
    customers = (await c.get("/v1/customers")).json()["data"]
    assert [x["external_id"] for x in customers] == ["new-1"]


async def test_list_filters_and_pages(tenant: Tenant) -> None:
    c = tenant.client
    product = (await c.post("/v1/products", json={"external_id": "P", "name": "P"})).json()
    await bulk(
        c,
        signal("1", day=1),
        signal("2", day=2, external_product_id="P"),
        signal("3", day=3, order_id="O-1"),
        signal("4", day=4, customer="cust-2"),
        {**signal("5", day=5), "event_name": "meeting.booked"},
    )

    async def keys(**params: str) -> list[str]:
        page = (await c.get("/v1/signals", params=params)).json()
        return [s["idempotency_key"] for s in page["data"]]

    assert await keys() == ["5", "4", "3", "2", "1"]  # newest first
    assert await keys(event_name="meeting.booked") == ["5"]
    assert await keys(external_customer_id="cust-2") == ["4"]
    assert await keys(external_customer_id="nobody") == []
    assert await keys(product_id=product["id"]) == ["2"]
    assert await keys(order_id="O-1") == ["3"]
    window = {"occurred_from": "2026-11-02T10:00:00Z", "occurred_to": "2026-11-04T10:00:00Z"}
    assert await keys(**window) == ["3", "2"]
    first = (await c.get("/v1/signals", params={"limit": "2"})).json()
    rest = (await c.get("/v1/signals", params={"cursor": first["next_cursor"]})).json()
    assert [s["idempotency_key"] for s in first["data"] + rest["data"]] == ["5", "4", "3", "2", "1"]
    one = first["data"][0]
    assert (await c.get(f"/v1/signals/{one['id']}")).json() == one
    bad = await c.get("/v1/signals", params={"occurred_from": "yesterday"})
    assert bad.status_code == 422


async def test_an_occurrence_beyond_the_bound_stores_no_value(tenant: Tenant) -> None:
    c = tenant.client
    await c.post("/v1/value-metrics", json=COST)
    await bulk(c, signal("big", data={"amount": 2_000_000}), signal("fine", data={"amount": 3}))
    body = {"external_customer_id": "cust-1", "start": "2026-11-01T00:00:00Z",
            "end": "2026-12-01T00:00:00Z"}  # fmt: skip
    line = (await c.post("/v1/value-receipts", json=body)).json()["lines"][0]
    assert (line["occurrences"], line["value"]) == (1, 300)
