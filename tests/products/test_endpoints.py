from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import (
    all_pages,
    bearer,
    locs,
    make_key,
    make_product,
    make_receipt,
    simple_receipt,
)

SHIRT: dict[str, Any] = {
    "external_id": "TS-KIT-L-W",
    "name": "Classic t-shirt with kitten",
    "barcode": "8712345678906",
    "description": "Organic cotton.",
    "category": "Clothing > T-shirts",
    "brand": "Kitten & Co",
    "image_url": "https://example.com/ts.png",
    "metadata": {"colour": "white", "size": "L"},
}


class TestCreate:
    async def test_created_and_read_back(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/products", json=SHIRT)
        assert response.status_code == 201, response.text
        product = response.json()
        assert {k: product[k] for k in SHIRT} == SHIRT
        fetched = await tenant.client.get(f"/v1/products/{product['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == product

    async def test_duplicate_external_id_is_409(self, tenant: Tenant, other: Tenant) -> None:
        await make_product(tenant.client, "SKU")
        response = await tenant.client.post(
            "/v1/products", json={"external_id": "SKU", "name": "B"}
        )
        assert response.status_code == 409
        assert len((await tenant.client.get("/v1/products")).json()["data"]) == 1
        await make_product(other.client, "SKU")  # SKUs are per merchant

    @pytest.mark.parametrize(
        ("changes", "loc"),
        [
            ({"external_id": ""}, "external_id"),
            ({"external_id": 12}, "external_id"),
            ({"name": ""}, "name"),
            ({"name": "x" * 301}, "name"),
            ({"metadata": "white"}, "metadata"),
            ({"price": 1500}, "price"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self, tenant: Tenant, changes: dict[str, Any], loc: str
    ) -> None:
        response = await tenant.client.post("/v1/products", json={**SHIRT, **changes})
        assert response.status_code == 422, response.text
        assert locs(response) == [loc]
        assert (await tenant.client.get("/v1/products")).json()["data"] == []

    async def test_missing_field_names_it(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/products", json={"name": "No SKU"})
        assert response.status_code == 422
        assert locs(response) == ["external_id"]


class TestList:
    async def test_keyset_pages_return_each_once_oldest_first(self, tenant: Tenant) -> None:
        made = [(await make_product(tenant.client, f"P{i}"))["id"] for i in range(5)]
        pages = await all_pages(tenant.client, "/v1/products", limit=2)
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [p["id"] for page in pages for p in page] == made

    async def test_bad_cursor_is_422(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/v1/products", params={"cursor": "bm90IGpzb24"})
        assert response.status_code == 422
        assert locs(response) == ["query.cursor"]


class TestUpdate:
    async def test_only_given_fields_change(self, tenant: Tenant) -> None:
        product = (await tenant.client.post("/v1/products", json=SHIRT)).json()
        response = await tenant.client.patch(
            f"/v1/products/{product['id']}", json={"name": "Kitten tee", "brand": None}
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["name"] == "Kitten tee"
        assert updated["brand"] is None
        assert updated["barcode"] == SHIRT["barcode"]
        assert (await tenant.client.get(f"/v1/products/{product['id']}")).json() == updated

    async def test_taking_anothers_sku_is_409(self, tenant: Tenant) -> None:
        await make_product(tenant.client, "ONE")
        two = await make_product(tenant.client, "TWO")
        response = await tenant.client.patch(
            f"/v1/products/{two['id']}", json={"external_id": "ONE"}
        )
        assert response.status_code == 409
        assert (await tenant.client.get(f"/v1/products/{two['id']}")).json() == two

    @pytest.mark.parametrize(
        ("body", "loc"),
        [({"external_id": None}, "external_id"), ({"name": ""}, "name"), ({"sku": "x"}, "sku")],
    )
    async def test_bad_change_is_422(self, tenant: Tenant, body: dict[str, Any], loc: str) -> None:
        product = await make_product(tenant.client, "P")
        response = await tenant.client.patch(f"/v1/products/{product['id']}", json=body)
        assert response.status_code == 422
        assert locs(response) == [loc]
        assert (await tenant.client.get(f"/v1/products/{product['id']}")).json() == product


class TestDelete:
    async def test_deleted_product_is_gone(self, tenant: Tenant) -> None:
        product = await make_product(tenant.client, "GONE")
        assert (await tenant.client.delete(f"/v1/products/{product['id']}")).status_code == 204
        assert (await tenant.client.get(f"/v1/products/{product['id']}")).status_code == 404
        assert (await tenant.client.delete(f"/v1/products/{product['id']}")).status_code == 404

    async def test_product_on_a_receipt_line_is_409_and_stays(self, tenant: Tenant) -> None:
        product = await make_product(tenant.client, "SOLD")
        body = simple_receipt("R-1")
        body["lines"][0]["product_id"] = product["id"]
        stored = await make_receipt(tenant.client, body)
        assert stored["lines"][0]["product_id"] == product["id"]
        response = await tenant.client.delete(f"/v1/products/{product['id']}")
        assert response.status_code == 409
        assert response.json()["detail"] == "Product SOLD is referred to by receipt lines."
        assert (await tenant.client.get(f"/v1/products/{product['id']}")).json() == product

    async def test_write_key_may_not_delete(self, tenant: Tenant) -> None:
        product = await make_product(tenant.client, "KEEP")
        key = await make_key(tenant.client, "write")
        response = await tenant.client.delete(
            f"/v1/products/{product['id']}", headers=bearer(key["secret"])
        )
        assert response.status_code == 403
