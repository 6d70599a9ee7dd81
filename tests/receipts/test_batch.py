from __future__ import annotations

from typing import Any

from tests.conftest import Tenant
from tests.factories import locs, make_branch, make_receipt, receipt, simple_receipt


async def stored_ids(tenant: Tenant) -> list[str]:
    listing = (await tenant.client.get("/v1/receipts", params={"limit": 500})).json()
    return sorted(r["external_id"] for r in listing["data"])


class TestBatch:
    async def test_mixed_items_get_their_own_results(self, tenant: Tenant) -> None:
        await make_branch(tenant.client, "AMS")
        pre = await make_receipt(tenant.client, simple_receipt("PRE"))
        items: list[dict[str, Any]] = [
            simple_receipt("A", branch={"code": "AMS"}),  # 201
            simple_receipt("PRE"),  # 200: already stored, same content
            simple_receipt("PRE", notes="edited"),  # 409: same external_id, other content
            simple_receipt("BAD-SUM", subtotal=1),  # 422: rules
            simple_receipt("BAD-BRANCH", branch={"code": "NOPE"}),  # 422: reference
            simple_receipt("BAD-CUR", currency="XXQ"),  # 422: unknown currency
            simple_receipt("B"),  # 201
        ]
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["index"] for r in results] == list(range(len(items)))
        assert [r["status"] for r in results] == [201, 200, 409, 422, 422, 422, 201]
        assert results[0]["receipt"]["branch"]["code"] == "AMS"
        assert results[1]["receipt"] == pre
        for failed in results[2:6]:
            assert failed["receipt"] is None
            assert failed["error"]["status"] == failed["status"]
        assert results[2]["error"]["code"] == "conflict"
        assert results[3]["error"]["errors"][0]["loc"] == "subtotal"
        assert results[4]["error"]["errors"][0]["loc"] == "branch"
        assert results[5]["error"]["errors"][0]["loc"] == "currency"
        assert results[6]["error"] is None
        assert await stored_ids(tenant) == ["A", "B", "PRE"]
        # the new receipts take the next numbers, in batch order
        assert [results[0]["receipt"]["number"], results[6]["receipt"]["number"]] == [2, 3]
        stored = await tenant.client.get(f"/v1/receipts/{results[6]['receipt']['id']}")
        assert stored.json() == results[6]["receipt"]

    async def test_same_receipt_twice_in_one_batch_is_stored_once(self, tenant: Tenant) -> None:
        items = [receipt("TWICE"), receipt("TWICE")]
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        results = response.json()["results"]
        assert [r["status"] for r in results] == [201, 200]
        assert results[0]["receipt"] == results[1]["receipt"]
        assert await stored_ids(tenant) == ["TWICE"]
        # and posting the batch again answers 200 for both
        again = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        assert [r["status"] for r in again.json()["results"]] == [200, 200]
        assert again.json()["results"][0]["receipt"] == results[0]["receipt"]

    async def test_same_external_id_other_content_in_one_batch(self, tenant: Tenant) -> None:
        items = [simple_receipt("X"), simple_receipt("X", notes="other")]
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        assert [r["status"] for r in response.json()["results"]] == [201, 409]
        assert await stored_ids(tenant) == ["X"]

    async def test_duplicate_of_a_refused_item_is_refused_too(self, tenant: Tenant) -> None:
        bad = simple_receipt("X", branch={"code": "NOPE"})
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": [bad, bad]})
        assert [r["status"] for r in response.json()["results"]] == [422, 422]
        assert await stored_ids(tenant) == []

    async def test_all_refused_stores_nothing(self, tenant: Tenant) -> None:
        items = [simple_receipt(f"X{i}", total=1) for i in range(3)]
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        assert response.status_code == 200
        assert {r["status"] for r in response.json()["results"]} == {422}
        assert await stored_ids(tenant) == []

    async def test_500_items_are_accepted(self, tenant: Tenant) -> None:
        items = [simple_receipt(f"N{i:03}") for i in range(500)]
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        assert response.status_code == 200
        results = response.json()["results"]
        assert {r["status"] for r in results} == {201}
        assert sorted(r["receipt"]["number"] for r in results) == list(range(1, 501))

    async def test_501_items_are_422(self, tenant: Tenant) -> None:
        items = [simple_receipt(f"N{i:03}") for i in range(501)]
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        assert response.status_code == 422
        assert locs(response) == ["receipts"]
        assert await stored_ids(tenant) == []

    async def test_empty_batch_is_422(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": []})
        assert response.status_code == 422
        assert locs(response) == ["receipts"]

    async def test_malformed_item_refuses_the_whole_batch_naming_it(self, tenant: Tenant) -> None:
        items = [simple_receipt("OK"), {**simple_receipt("BAD"), "issued_at": "yesterday"}]
        response = await tenant.client.post("/v1/receipts/batch", json={"receipts": items})
        assert response.status_code == 422
        assert locs(response) == ["receipts[1].issued_at"]
        assert await stored_ids(tenant) == []
