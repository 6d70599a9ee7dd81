"""Failed authentication is limited per client address, across app instances sharing one
database; successful requests write nothing."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from tests.conftest import Tenant
from tillroll.app import create_app
from tillroll.auth.ratelimit import WINDOW
from tillroll.config import Settings
from tillroll.kit.db import Database, open_database, run

BAD = {"Authorization": "Bearer tr_sk_" + "x" * 43}
Instance = Callable[[str], httpx.AsyncClient]


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


@asynccontextmanager
async def instance(db: Database, settings: Settings, **changes: object) -> AsyncIterator[Instance]:
    """An app instance (limit 3 unless changed); clients that connect from a given address."""
    if time.time() % WINDOW > WINDOW - 3:  # let the test run within one counting window
        await asyncio.sleep(WINDOW - time.time() % WINDOW)
    limited = replace(settings, **{"auth_failures_per_minute": 3, **changes})  # type: ignore[arg-type]
    app = create_app(limited, db=db)
    clients: list[httpx.AsyncClient] = []

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://tillroll.test"))
        return clients[-1]

    yield client
    for c in clients:
        await c.aclose()


async def _failures(db: Database, address: str) -> int:
    async def count(conn):  # type: ignore[no-untyped-def]
        value = await conn.fetchval(
            "SELECT failures FROM auth_failures WHERE address = :a", {"a": address}
        )
        return value or 0

    return int(await run(db, count, write=False))


async def test_over_the_limit_is_429_with_retry_after(
    db: Database, settings: Settings, tenant: Tenant
) -> None:
    address = _address()
    async with instance(db, settings) as connect:
        client = connect(address)
        for _ in range(3):
            assert (await client.get("/v1/receipts", headers=BAD)).status_code == 401
        refused = await client.get("/v1/receipts", headers=BAD)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["code"] == "too_many_requests"
        # the address is refused outright now, a valid key included; other addresses are not
        valid = await client.get("/v1/receipts", headers=tenant.headers)
        assert valid.status_code == 429
        assert (await connect(_address()).get("/v1/receipts", headers=BAD)).status_code == 401
        spaaza = await client.get("/compat/spaaza/receipts", params={"shopper_id": 1})
        assert spaaza.status_code == 429
        assert spaaza.json()["error"]["name"] == "too_many_requests"


async def test_instances_sharing_a_database_count_together(
    db: Database, settings: Settings, database_url: str
) -> None:
    """Two app instances with their own connections (as two worker processes)."""
    address = _address()
    second_db = open_database(database_url, pool_size=2)
    await second_db.connect()
    try:
        async with instance(db, settings) as first, instance(second_db, settings) as second:
            a, b = first(address), second(address)
            assert (await a.get("/v1/branches", headers=BAD)).status_code == 401
            assert (await a.get("/v1/branches", headers=BAD)).status_code == 401
            assert (await b.get("/v1/branches", headers=BAD)).status_code == 401
            assert (await b.get("/v1/branches", headers=BAD)).status_code == 429
            assert (await a.get("/v1/branches", headers=BAD)).status_code == 429
        assert await _failures(db, address) == 5
    finally:
        await second_db.close()


async def test_successful_requests_write_nothing(
    db: Database, settings: Settings, tenant: Tenant
) -> None:
    address = _address()
    async with instance(db, settings) as connect:
        client = connect(address)
        for _ in range(10):
            assert (await client.get("/v1/receipts", headers=tenant.headers)).status_code == 200
    assert await _failures(db, address) == 0


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    db: Database, settings: Settings
) -> None:
    proxy, client_a, client_b = _address(), _address(), _address()
    async with instance(db, settings, trusted_proxies=proxy) as connect:
        via = connect(proxy)
        for _ in range(3):
            forwarded = {**BAD, "X-Forwarded-For": f"{client_a}, {proxy}"}
            assert (await via.get("/v1/receipts", headers=forwarded)).status_code == 401
        limited = await via.get("/v1/receipts", headers={**BAD, "X-Forwarded-For": client_a})
        assert limited.status_code == 429
        other = await via.get("/v1/receipts", headers={**BAD, "X-Forwarded-For": client_b})
        assert other.status_code == 401  # another client behind the same proxy
    async with instance(db, settings) as connect:  # no trusted proxy: the header is ignored
        direct = connect(_address())
        for n in range(4):
            spoofed = {**BAD, "X-Forwarded-For": _address()}
            status = (await direct.get("/v1/receipts", headers=spoofed)).status_code
            assert status == (401 if n < 3 else 429)
    assert await _failures(db, client_a) == 4


async def test_a_limit_of_zero_turns_it_off(db: Database, settings: Settings) -> None:
    address = _address()
    async with instance(db, settings, auth_failures_per_minute=0) as connect:
        client = connect(address)
        for _ in range(5):
            assert (await client.get("/v1/receipts", headers=BAD)).status_code == 401
    assert await _failures(db, address) == 0


async def test_a_browser_can_read_the_429(db: Database, settings: Settings) -> None:
    """With CORS on, the 429 (the one that replaces a 401 and the later ones) carries the
    CORS headers, request id and security headers like every other answer."""
    origin = {"Origin": "https://shop.example"}
    async with instance(db, settings, cors_origins="https://shop.example") as connect:
        client = connect(_address())
        answers = [await client.get("/v1/receipts", headers={**BAD, **origin}) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    for answer in answers:
        assert answer.headers["access-control-allow-origin"] == "https://shop.example"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert len(answer.headers.get_list("x-request-id")) == 1
