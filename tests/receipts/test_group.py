"""Group-committed ingest through a real server (uvicorn on a local port, real concurrent HTTP
clients) on the test database: concurrent POSTs share transactions, numbers stay gapless and
in commit order, a bad receipt fails alone with its own 4xx, replays and returns checks see
the earlier receipts of their own group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import new_tenant
from tests.factories import return_line, simple_receipt, with_lines
from tests.live import serving
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Database
from tillroll.kit.group import Coalescer


@dataclass
class Live:
    api: httpx.AsyncClient
    group: Coalescer
    tenant_id: str


@pytest.fixture
async def live(database_url: str, db: Database, client: httpx.AsyncClient) -> AsyncIterator[Live]:
    """A fresh merchant on a real server whose groups wait up to 20 ms for company."""
    tenant = await new_tenant(db, client, "Group shop")
    await tenant.client.aclose()
    settings = Settings(
        database_url=database_url, serve_worker=0, auth_failures_per_minute=10**9,
        group_wait_ms=20,
    )  # fmt: skip
    app: Starlette = create_app(settings)
    with serving(app) as base:
        limits = httpx.Limits(max_connections=64)
        headers = {"Authorization": f"Bearer {tenant.key}"}
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=60
        ) as api:
            yield Live(api, app.state.runtime.group, str(tenant.id))


async def _post_all(api: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    return list(await asyncio.gather(*(api.post("/v1/receipts", json=b) for b in bodies)))


async def _numbers(api: httpx.AsyncClient) -> list[int]:
    page = (await api.get("/v1/receipts", params={"limit": 200})).json()
    return sorted(r["number"] for r in page["data"])


async def test_concurrent_posts_share_commits_and_numbers_stay_gapless(live: Live) -> None:
    responses = await _post_all(live.api, [simple_receipt(f"G-{i}") for i in range(40)])
    assert [r.status_code for r in responses] == [201] * 40
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == list(range(1, 41))
    assert await _numbers(live.api) == numbers
    assert live.group.works == 40
    assert live.group.groups < 40  # some requests shared a transaction
    by_id = {r.json()["id"]: r.json()["number"] for r in responses}
    ordered = sorted(by_id, key=by_id.__getitem__)  # ids are time ordered: made in that order
    assert ordered == sorted(by_id)


async def test_a_bad_receipt_fails_alone_with_its_own_error(live: Live) -> None:
    sale = (await live.api.post("/v1/receipts", json=simple_receipt("SALE"))).json()
    bodies = [simple_receipt(f"OK-{i}") for i in range(12)]
    bodies.insert(3, simple_receipt("BAD-TOTAL", total=1))  # rules: 422
    bodies.insert(6, simple_receipt("SALE", quantity="2"))  # other content, same id: 409
    bodies.insert(9, with_lines("RET-TOO-MANY", [return_line("-4", receipt_id=sale["id"])]))
    responses = await _post_all(live.api, bodies)
    statuses = [r.status_code for r in responses]
    assert statuses[3] == 422 and responses[3].json()["errors"][0]["loc"] == "total"
    assert statuses[6] == 409 and "external_id 'SALE'" in responses[6].json()["detail"]
    assert statuses[9] == 409 and "3 were bought" in responses[9].json()["detail"]
    assert statuses.count(201) == 12
    assert await _numbers(live.api) == list(range(1, 14))  # the sale and the 12: no gap
    assert live.group.groups < live.group.works


async def test_returns_in_one_group_see_each_other(live: Live) -> None:
    sale = (await live.api.post("/v1/receipts", json=simple_receipt("SALE"))).json()
    returns = [with_lines(f"RET-{i}", [return_line("-1", receipt_id=sale["id"])]) for i in range(5)]
    responses = await _post_all(live.api, returns)
    assert sorted(r.status_code for r in responses) == [201, 201, 201, 409, 409]  # 3 bought
    assert await _numbers(live.api) == [1, 2, 3, 4]


async def test_idempotent_replays_within_one_group(live: Live) -> None:
    body = simple_receipt("SAME")
    keyed = [
        live.api.post("/v1/receipts", json=body, headers={"Idempotency-Key": "k-1"})
        for _ in range(6)
    ]
    plain = [live.api.post("/v1/receipts", json=simple_receipt("TWICE")) for _ in range(4)]
    responses = list(await asyncio.gather(*keyed, *plain))
    first = responses[0]
    assert [r.status_code for r in responses[:6]] == [201] * 6
    assert [r.headers.get("idempotent-replayed") for r in responses[:6]].count("true") == 5
    assert {r.json()["id"] for r in responses[:6]} == {first.json()["id"]}
    assert sorted(r.status_code for r in responses[6:]) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses[6:]}) == 1
    assert await _numbers(live.api) == [1, 2]
    assert live.group.groups < live.group.works


async def test_a_batch_and_singles_share_the_counter(live: Live) -> None:
    batch = {"receipts": [simple_receipt(f"B-{i}") for i in range(30)]}
    singles = [live.api.post("/v1/receipts", json=simple_receipt(f"S-{i}")) for i in range(10)]
    batched, *alone = await asyncio.gather(
        live.api.post("/v1/receipts/batch", json=batch), *singles
    )
    assert batched.status_code == 200
    assert [item["status"] for item in batched.json()["results"]] == [201] * 30
    assert [r.status_code for r in alone] == [201] * 10
    page = (await live.api.get("/v1/receipts", params={"limit": 200})).json()["data"]
    assert sorted(r["number"] for r in page) == list(range(1, 41))


async def test_rules_run_before_the_transaction_but_answer_only_the_authorized(
    live: Live,
) -> None:
    bad = simple_receipt("BAD", total=1)
    stranger = await live.api.post("/v1/receipts", json=bad, headers={"Authorization": ""})
    assert stranger.status_code == 401
    refused = await live.api.post("/v1/receipts", json=bad)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == "total"
    assert await _numbers(live.api) == []
