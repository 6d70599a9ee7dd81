from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import (
    all_pages,
    bearer,
    locs,
    make_customer,
    make_key,
    make_receipt,
    simple_receipt,
)
from tillroll.kit.db import Database

ANNA: dict[str, Any] = {
    "external_id": "CRM-1",
    "member_number": "M-0001",
    "first_name": "Anna",
    "last_name": "de Vries",
    "email": "anna@example.com",
    "phone": "+31 6 1234 5678",
    "gender": "F",
    "birthday": "1990-04-01",
    "country": "NL",
    "shipping_address": {"lines": ["Damrak 1"], "city": "Amsterdam", "country": "NL"},
    "billing_address": {"lines": ["Postbus 1"], "city": "Utrecht", "country": "NL"},
    "registered": True,
    "send_email_receipt": True,
    "metadata": {"tier": "gold", "points": 120},
}


class TestCreate:
    async def test_created_and_read_back(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/customers", json=ANNA)
        assert response.status_code == 201, response.text
        customer = response.json()
        assert customer["number"] == 1
        for field in ("external_id", "member_number", "email", "gender", "birthday", "metadata"):
            assert customer[field] == ANNA[field]
        assert customer["shipping_address"]["city"] == "Amsterdam"
        fetched = await tenant.client.get(f"/v1/customers/{customer['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == customer

    async def test_everything_is_optional(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        assert customer["external_id"] is None
        assert customer["member_number"] is None
        assert customer["registered"] is False
        # several customers without ids do not collide on the unique columns
        await make_customer(tenant.client)

    @pytest.mark.parametrize("column", ["external_id", "member_number"])
    async def test_duplicate_is_409(self, tenant: Tenant, column: str) -> None:
        await make_customer(tenant.client, **{column: "TAKEN"})
        response = await tenant.client.post("/v1/customers", json={column: "TAKEN"})
        assert response.status_code == 409
        assert column in response.json()["detail"]
        assert len((await tenant.client.get("/v1/customers")).json()["data"]) == 1

    async def test_same_ids_in_another_merchant_are_fine(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        await make_customer(tenant.client, external_id="X", member_number="Y")
        await make_customer(other.client, external_id="X", member_number="Y")

    @pytest.mark.parametrize(
        ("changes", "loc"),
        [
            ({"email": "anna-at-example.com"}, "email"),
            ({"country": "ZZ"}, "country"),
            ({"country": "Netherlands"}, "country"),
            ({"shipping_address": {"country": "ZZ"}}, "shipping_address.country"),
            ({"billing_address": {"country": "QQ"}}, "billing_address.country"),
            ({"gender": "female"}, "gender"),
            ({"birthday": "1 April 1990"}, "birthday"),
            ({"registered": "yes"}, "registered"),
            ({"member_number": ""}, "member_number"),
            ({"external_id": 42}, "external_id"),
            ({"loyalty_points": 10}, "loyalty_points"),
            ({"metadata": ["not", "an", "object"]}, "metadata"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self, tenant: Tenant, changes: dict[str, Any], loc: str
    ) -> None:
        response = await tenant.client.post("/v1/customers", json={**ANNA, **changes})
        assert response.status_code == 422, response.text
        assert loc in locs(response)
        assert (await tenant.client.get("/v1/customers")).json()["data"] == []

    async def test_body_must_be_an_object(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/customers", json=[ANNA])
        assert response.status_code == 422


class TestList:
    async def test_keyset_pages_return_each_once_oldest_first(self, tenant: Tenant) -> None:
        made = [(await make_customer(tenant.client, external_id=f"C{i}"))["id"] for i in range(11)]
        pages = await all_pages(tenant.client, "/v1/customers", limit=4)
        assert [len(p) for p in pages] == [4, 4, 3]
        assert [c["id"] for p in pages for c in p] == made

    async def test_only_own_customers(self, tenant: Tenant, other: Tenant) -> None:
        await make_customer(other.client)
        assert (await tenant.client.get("/v1/customers")).json()["data"] == []

    async def test_bad_cursor_and_limit_are_422(self, tenant: Tenant) -> None:
        bad_cursor = await tenant.client.get("/v1/customers", params={"cursor": "%%%"})
        assert bad_cursor.status_code == 422
        assert locs(bad_cursor) == ["query.cursor"]
        too_many = await tenant.client.get("/v1/customers", params={"limit": 501})
        assert too_many.status_code == 422
        assert locs(too_many) == ["query.limit"]


class TestUpdate:
    async def test_only_given_fields_change_and_null_clears(self, tenant: Tenant) -> None:
        customer = (await tenant.client.post("/v1/customers", json=ANNA)).json()
        response = await tenant.client.patch(
            f"/v1/customers/{customer['id']}",
            json={"first_name": "Anne", "phone": None, "metadata": {"tier": "silver"}},
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["first_name"] == "Anne"
        assert updated["phone"] is None
        assert updated["metadata"] == {"tier": "silver"}
        assert updated["email"] == ANNA["email"]
        assert updated["member_number"] == ANNA["member_number"]
        assert (await tenant.client.get(f"/v1/customers/{customer['id']}")).json() == updated

    @pytest.mark.parametrize("column", ["external_id", "member_number"])
    async def test_taking_anothers_id_is_409(self, tenant: Tenant, column: str) -> None:
        await make_customer(tenant.client, **{column: "FIRST"})
        second = await make_customer(tenant.client, **{column: "SECOND"})
        response = await tenant.client.patch(
            f"/v1/customers/{second['id']}", json={column: "FIRST"}
        )
        assert response.status_code == 409
        assert (await tenant.client.get(f"/v1/customers/{second['id']}")).json() == second

    async def test_keeping_own_ids_is_fine(self, tenant: Tenant) -> None:
        customer = (await tenant.client.post("/v1/customers", json=ANNA)).json()
        response = await tenant.client.patch(
            f"/v1/customers/{customer['id']}",
            json={"external_id": ANNA["external_id"], "member_number": ANNA["member_number"]},
        )
        assert response.status_code == 200

    async def test_cleared_id_can_be_reused(self, tenant: Tenant) -> None:
        first = await make_customer(tenant.client, member_number="CARD")
        cleared = await tenant.client.patch(
            f"/v1/customers/{first['id']}", json={"member_number": None}
        )
        assert cleared.json()["member_number"] is None
        await make_customer(tenant.client, member_number="CARD")

    @pytest.mark.parametrize(
        ("body", "loc"),
        [
            ({"email": "nope"}, "email"),
            ({"country": "ZZ"}, "country"),
            ({"shipping_address": {"country": "ZZ"}}, "shipping_address.country"),
            ({"gender": "Q"}, "gender"),
            ({"registered": None}, "registered"),
            ({"id": "0190a1b2-0000-7000-8000-000000000000"}, "id"),
        ],
    )
    async def test_bad_change_is_422_and_changes_nothing(
        self, tenant: Tenant, body: dict[str, Any], loc: str
    ) -> None:
        customer = (await tenant.client.post("/v1/customers", json=ANNA)).json()
        response = await tenant.client.patch(f"/v1/customers/{customer['id']}", json=body)
        assert response.status_code == 422, response.text
        assert loc in locs(response)
        assert (await tenant.client.get(f"/v1/customers/{customer['id']}")).json() == customer

    async def test_unknown_customer_is_404(self, tenant: Tenant) -> None:
        response = await tenant.client.patch(
            "/v1/customers/0190a1b2-0000-7000-8000-000000000000", json={"first_name": "X"}
        )
        assert response.status_code == 404

    async def test_read_key_may_not_change(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        key = await make_key(tenant.client, "read")
        response = await tenant.client.patch(
            f"/v1/customers/{customer['id']}",
            json={"first_name": "X"},
            headers=bearer(key["secret"]),
        )
        assert response.status_code == 403
        read = await tenant.client.get(
            f"/v1/customers/{customer['id']}", headers=bearer(key["secret"])
        )
        assert read.status_code == 200


class TestDelete:
    async def test_deleted_customer_is_gone(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client, member_number="GONE")
        response = await tenant.client.delete(f"/v1/customers/{customer['id']}")
        assert response.status_code == 204
        assert (await tenant.client.get(f"/v1/customers/{customer['id']}")).status_code == 404
        assert (await tenant.client.delete(f"/v1/customers/{customer['id']}")).status_code == 404
        await make_customer(tenant.client, member_number="GONE")  # the number is free again

    async def test_customer_with_receipts_is_409_and_stays(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client, member_number="M-1")
        body = simple_receipt("R-1", customer={"id": customer["id"]})
        await make_receipt(tenant.client, body)
        response = await tenant.client.delete(f"/v1/customers/{customer['id']}")
        assert response.status_code == 409
        assert response.json()["detail"] == f"Customer {customer['id']} is referred to by receipts."
        assert (await tenant.client.get(f"/v1/customers/{customer['id']}")).json() == customer
        receipts = (await tenant.client.get("/v1/receipts")).json()["data"]
        assert [r["customer"]["id"] for r in receipts] == [customer["id"]]

    async def test_the_409_names_the_rows_that_refer(self, db: Database, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client, member_number="M-2")
        opened = await tenant.client.post(
            f"/v1/customers/{customer['id']}/wallets", json={"kind": "credit"}
        )
        assert opened.status_code == 201, opened.text
        response = await tenant.client.delete(f"/v1/customers/{customer['id']}")
        assert response.status_code == 409
        assert response.json()["detail"] == f"Customer {customer['id']} is referred to by wallets."
        await make_receipt(tenant.client, simple_receipt("R-2", customer={"id": customer["id"]}))
        detail = (await tenant.client.delete(f"/v1/customers/{customer['id']}")).json()["detail"]
        if db.dialect == "sqlite":  # found in the catalogue: every referring table
            assert detail.endswith("is referred to by receipts and wallets.")
        else:  # PostgreSQL names the constraint that refused first
            assert detail.endswith(("is referred to by receipts.", "is referred to by wallets."))

    async def test_write_key_may_not_delete(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        key = await make_key(tenant.client, "write")
        response = await tenant.client.delete(
            f"/v1/customers/{customer['id']}", headers=bearer(key["secret"])
        )
        assert response.status_code == 403
        assert (await tenant.client.get(f"/v1/customers/{customer['id']}")).status_code == 200
