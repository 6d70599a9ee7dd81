"""Hostile and odd input gets a clear 4xx (never a 500), and a busy database a 503."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import receipt
from tillroll.kit.db import Database, SQLiteDatabase


async def test_forged_session_with_huge_expiry_is_401(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    payload = tenant.id.bytes + bytes(16) + b"\xff" * 8
    token = "tr_ss_" + base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + ".x"
    response = await client.get("/v1/receipts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("moment", ["0999-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00",
                                    "9999-12-31T23:59:59-01:00"])  # fmt: skip
async def test_absurd_issued_at_is_422(tenant: Tenant, moment: str) -> None:
    response = await tenant.client.post("/v1/receipts", json=receipt("OLD", issued_at=moment))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == "issued_at"


@pytest.mark.parametrize(
    ("param", "value"),
    [("issued_from", "0001-01-01T00:00:00+01:00"), ("issued_to", "0300-01-01T00:00:00Z"),
     ("issued_from_relative", "-21000 months")],
)  # fmt: skip
async def test_absurd_time_filters_are_422(tenant: Tenant, param: str, value: str) -> None:
    response = await tenant.client.get("/v1/receipts", params={param: value})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == f"query.{param}"


async def test_nul_characters_are_422(tenant: Tenant) -> None:
    body = await tenant.client.post("/v1/customers", json={"first_name": "a\u0000b"})
    assert body.status_code == 422
    query = await tenant.client.get("/v1/receipts", params={"external_id": "a\x00"})
    assert query.status_code == 422
    assert query.json()["errors"][0]["loc"] == "query.external_id"


@pytest.mark.parametrize("zone", ["Europe", "America", "a" * 300, "../../etc/passwd"])
async def test_odd_time_zones_are_422(tenant: Tenant, zone: str) -> None:
    response = await tenant.client.post(
        "/v1/branches", json={"code": "B", "name": "B", "timezone": zone}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == "timezone"


async def test_deep_nesting_is_400(tenant: Tenant) -> None:
    deep = '{"metadata": {"a": ' + "[" * 5000 + "]" * 5000 + "}}"
    response = await tenant.client.post(
        "/v1/customers", content=deep.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_chunked_body_over_the_limit_is_413(tenant: Tenant) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * (1024 * 1024)

    response = await tenant.client.post(
        "/v1/receipts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_busy_sqlite_answers_503_without_blocking(
    tenant: Tenant, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(db, SQLiteDatabase):
        pytest.skip("SQLite's file lock")
    monkeypatch.setattr("tillroll.kit.db.WRITE_WAIT", 0.3)
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        response = await tenant.client.post("/v1/receipts", json=receipt("BUSY"))
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (await tenant.client.post("/v1/receipts", json=receipt("BUSY"))).status_code == 201
