from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import locs, simple_receipt

CUSTOMER = {"external_id": "CRM-1", "first_name": "Anna"}
ENDPOINTS = [
    ("/v1/customers", CUSTOMER, {"external_id": "CRM-2", "first_name": "Ben"}),
    ("/v1/receipts", simple_receipt("R-1"), simple_receipt("R-2")),
]


async def count(tenant: Tenant, path: str) -> int:
    return len((await tenant.client.get(path, params={"limit": 500})).json()["data"])


@pytest.mark.parametrize(("path", "body", "other_body"), ENDPOINTS)
class TestIdempotencyKey:
    async def test_replay_returns_the_stored_response_and_creates_nothing(
        self, tenant: Tenant, path: str, body: dict[str, Any], other_body: dict[str, Any]
    ) -> None:
        headers = {"Idempotency-Key": "key-1"}
        first = await tenant.client.post(path, json=body, headers=headers)
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
        again = await tenant.client.post(path, json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
        assert await count(tenant, path) == 1

    async def test_same_key_other_body_is_422(
        self, tenant: Tenant, path: str, body: dict[str, Any], other_body: dict[str, Any]
    ) -> None:
        headers = {"Idempotency-Key": "key-1"}
        await tenant.client.post(path, json=body, headers=headers)
        response = await tenant.client.post(path, json=other_body, headers=headers)
        assert response.status_code == 422
        assert locs(response) == ["Idempotency-Key"]
        assert await count(tenant, path) == 1

    async def test_another_tenants_key_is_independent(
        self,
        tenant: Tenant,
        other: Tenant,
        path: str,
        body: dict[str, Any],
        other_body: dict[str, Any],
    ) -> None:
        headers = {"Idempotency-Key": "shared-key"}
        mine = await tenant.client.post(path, json=body, headers=headers)
        theirs = await other.client.post(path, json=body, headers=headers)
        assert theirs.status_code == 201
        assert "idempotent-replayed" not in theirs.headers
        assert theirs.json()["id"] != mine.json()["id"]
        assert await count(tenant, path) == 1
        assert await count(other, path) == 1
        # each tenant's replay answers its own response
        again = await tenant.client.post(path, json=body, headers=headers)
        assert again.content == mine.content

    async def test_failed_request_is_not_kept(
        self, tenant: Tenant, path: str, body: dict[str, Any], other_body: dict[str, Any]
    ) -> None:
        headers = {"Idempotency-Key": "retry-me"}
        bad = {**body, "email": "nope"} if path == "/v1/customers" else {**body, "subtotal": 1}
        assert (await tenant.client.post(path, json=bad, headers=headers)).status_code == 422
        fixed = await tenant.client.post(path, json=body, headers=headers)
        assert fixed.status_code == 201
        assert "idempotent-replayed" not in fixed.headers

    async def test_concurrent_requests_with_one_key_create_one(
        self, tenant: Tenant, path: str, body: dict[str, Any], other_body: dict[str, Any]
    ) -> None:
        headers = {"Idempotency-Key": "burst"}
        responses = await asyncio.gather(
            *(tenant.client.post(path, json=body, headers=headers) for _ in range(6))
        )
        assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
        assert await count(tenant, path) == 1

    async def test_without_a_key_nothing_is_replayed(
        self, tenant: Tenant, path: str, body: dict[str, Any], other_body: dict[str, Any]
    ) -> None:
        await tenant.client.post(path, json=body)
        again = await tenant.client.post(path, json=body)
        assert "idempotent-replayed" not in again.headers
        assert again.status_code in (200, 409)  # receipts replay by external_id; customers 409

    @pytest.mark.parametrize("key", ["", "k" * 256])
    async def test_key_length_is_checked(
        self,
        tenant: Tenant,
        path: str,
        body: dict[str, Any],
        other_body: dict[str, Any],
        key: str,
    ) -> None:
        response = await tenant.client.post(path, json=body, headers={"Idempotency-Key": key})
        if key == "":
            # an empty header is no key at all
            assert response.status_code == 201
        else:
            assert response.status_code == 422
            assert locs(response) == ["Idempotency-Key"]


async def test_sweep_forgets_keys_past_retention(tenant: Tenant, db, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from tillroll.kit import idempotency
    from tillroll.kit.clock import utc_now
    from tillroll.kit.db import run

    for key in ("old", "new"):
        response = await tenant.client.post(
            "/v1/customers", json={"external_id": key}, headers={"Idempotency-Key": key}
        )
        assert response.status_code == 201

    async def age(conn) -> None:  # type: ignore[no-untyped-def]
        await conn.execute(
            "UPDATE idempotency_keys SET created_at = :t WHERE merchant_id = :m AND key = 'old'",
            {"t": utc_now() - timedelta(hours=settings.idempotency_retention_hours + 1),
             "m": tenant.id},
        )  # fmt: skip

    async def keys(conn) -> list[str]:  # type: ignore[no-untyped-def]
        rows = await conn.fetchall(
            "SELECT key FROM idempotency_keys WHERE merchant_id = :m ORDER BY key", {"m": tenant.id}
        )
        return [r["key"] for r in rows]

    await run(db, age, write=True)
    await run(db, lambda conn: idempotency.sweep(conn, settings), write=True)
    assert await run(db, keys, write=False) == ["new"]
