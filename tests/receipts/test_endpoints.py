from __future__ import annotations

import asyncio

import httpx

from tests.conftest import Tenant
from tests.factories import EXAMPLE, receipt


class TestCreate:
    async def test_example_is_stored_and_read_back(self, tenant: Tenant) -> None:
        created = await tenant.client.post("/v1/receipts", json=EXAMPLE)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["number"] == 1
        assert body["total"] == 3140
        assert body["lines"][1]["quantity"] == "1.055"
        assert body["lines"][0]["metadata"] == {"colour": "white", "size": "L"}
        fetched = await tenant.client.get(f"/v1/receipts/{body['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == body

    async def test_same_receipt_again_is_200_with_the_stored_one(self, tenant: Tenant) -> None:
        first = await tenant.client.post("/v1/receipts", json=receipt())
        again = await tenant.client.post("/v1/receipts", json=receipt())
        assert again.status_code == 200
        assert again.json() == first.json()

    async def test_other_content_same_external_id_is_409(self, tenant: Tenant) -> None:
        await tenant.client.post("/v1/receipts", json=receipt())
        changed = receipt(notes="changed")
        response = await tenant.client.post("/v1/receipts", json=changed)
        assert response.status_code == 409

    async def test_subtotal_mismatch_names_field_and_numbers(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/receipts", json=receipt(subtotal=3000))
        assert response.status_code == 422
        problem = response.json()
        locs = {e["loc"]: e["message"] for e in problem["errors"]}
        assert "3000" in locs["subtotal"] and "3140" in locs["subtotal"]

    async def test_bad_input_changes_nothing(self, tenant: Tenant) -> None:
        await tenant.client.post("/v1/receipts", json=receipt(currency="XXQ"))
        listing = await tenant.client.get("/v1/receipts")
        assert listing.json()["data"] == []

    async def test_unknown_field_is_422(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/receipts", json=receipt(merchant_id="x"))
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == "merchant_id"

    async def test_naive_issued_at_is_422(self, tenant: Tenant) -> None:
        response = await tenant.client.post(
            "/v1/receipts", json=receipt(issued_at="2026-11-21T15:09:26")
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == "issued_at"

    async def test_malformed_json_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.post(
            "/v1/receipts", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400

    async def test_concurrent_numbers_are_distinct_and_gapless(self, tenant: Tenant) -> None:
        responses = await asyncio.gather(
            *(tenant.client.post("/v1/receipts", json=receipt(f"C-{i}")) for i in range(20))
        )
        assert all(r.status_code == 201 for r in responses)
        assert sorted(r.json()["number"] for r in responses) == list(range(1, 21))

    async def test_concurrent_same_receipt_stores_one(self, tenant: Tenant) -> None:
        responses = await asyncio.gather(
            *(tenant.client.post("/v1/receipts", json=receipt("SAME")) for _ in range(10))
        )
        assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
        assert len({r.json()["id"] for r in responses}) == 1


class TestTenancy:
    async def test_other_tenants_receipt_is_404(self, tenant: Tenant, other: Tenant) -> None:
        created = (await tenant.client.post("/v1/receipts", json=receipt())).json()
        response = await other.client.get(f"/v1/receipts/{created['id']}")
        assert response.status_code == 404
        listing = await other.client.get("/v1/receipts")
        assert listing.json()["data"] == []

    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/receipts")
        assert response.status_code == 401
