from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.conftest import Tenant
from tests.factories import locs, make_customer, make_receipt, simple_receipt


class TestClaim:
    @pytest.mark.parametrize("column", ["member_number", "external_id", "id"])
    async def test_anonymous_receipt_is_claimed(self, tenant: Tenant, column: str) -> None:
        customer = await make_customer(tenant.client, member_number="M-1", external_id="CRM-1")
        anonymous = await make_receipt(tenant.client, simple_receipt("R-1"))
        assert anonymous["customer"] is None and anonymous["claimed_at"] is None
        response = await tenant.client.post(
            f"/v1/receipts/{anonymous['id']}/claim", json={"customer": {column: customer[column]}}
        )
        assert response.status_code == 200, response.text
        claimed = response.json()
        assert claimed["customer"]["id"] == customer["id"]
        assert claimed["customer"]["member_number"] == "M-1"
        assert claimed["claimed_at"] is not None
        assert (await tenant.client.get(f"/v1/receipts/{anonymous['id']}")).json() == claimed
        mine = await tenant.client.get(f"/v1/customers/{customer['id']}/receipts")
        assert [r["id"] for r in mine.json()["data"]] == [anonymous["id"]]

    async def test_second_claim_is_409(self, tenant: Tenant) -> None:
        await make_customer(tenant.client, member_number="M-1")
        await make_customer(tenant.client, member_number="M-2")
        anonymous = await make_receipt(tenant.client, simple_receipt("R-1"))
        url = f"/v1/receipts/{anonymous['id']}/claim"
        first = await tenant.client.post(url, json={"customer": {"member_number": "M-1"}})
        assert first.status_code == 200
        for member in ("M-2", "M-1"):
            again = await tenant.client.post(url, json={"customer": {"member_number": member}})
            assert again.status_code == 409
        assert (await tenant.client.get(f"/v1/receipts/{anonymous['id']}")).json() == first.json()

    async def test_receipt_that_came_with_a_customer_is_409(self, tenant: Tenant) -> None:
        await make_customer(tenant.client, member_number="M-1")
        await make_customer(tenant.client, member_number="M-2")
        owned = await make_receipt(
            tenant.client, simple_receipt("R-1", customer={"member_number": "M-1"})
        )
        response = await tenant.client.post(
            f"/v1/receipts/{owned['id']}/claim", json={"customer": {"member_number": "M-2"}}
        )
        assert response.status_code == 409

    async def test_concurrent_claims_give_one_owner(self, tenant: Tenant) -> None:
        for i in range(5):
            await make_customer(tenant.client, member_number=f"M-{i}")
        anonymous = await make_receipt(tenant.client, simple_receipt("R-1"))
        url = f"/v1/receipts/{anonymous['id']}/claim"
        responses = await asyncio.gather(
            *(
                tenant.client.post(url, json={"customer": {"member_number": f"M-{i}"}})
                for i in range(5)
            )
        )
        assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]
        winner = next(r.json() for r in responses if r.status_code == 200)
        stored = (await tenant.client.get(url.removesuffix("/claim"))).json()
        assert stored["customer"] == winner["customer"]

    @pytest.mark.parametrize(
        ("ref", "loc"),
        [
            ({"member_number": "NOPE"}, "customer.member_number"),
            ({"external_id": "NOPE"}, "customer.external_id"),
            ({"id": "0190a1b2-0000-7000-8000-000000000000"}, "customer.id"),
            ({}, "customer"),
            ({"member_number": "M-1", "external_id": "CRM-1"}, "customer"),
        ],
    )
    async def test_unknown_or_ambiguous_customer_is_422(
        self, tenant: Tenant, ref: dict[str, str], loc: str
    ) -> None:
        await make_customer(tenant.client, member_number="M-1", external_id="CRM-1")
        anonymous = await make_receipt(tenant.client, simple_receipt("R-1"))
        response = await tenant.client.post(
            f"/v1/receipts/{anonymous['id']}/claim", json={"customer": ref}
        )
        assert response.status_code == 422, response.text
        assert locs(response) == [loc]
        assert (await tenant.client.get(f"/v1/receipts/{anonymous['id']}")).json() == anonymous

    async def test_another_merchants_customer_is_422(self, tenant: Tenant, other: Tenant) -> None:
        theirs = await make_customer(other.client, member_number="M-1")
        anonymous = await make_receipt(tenant.client, simple_receipt("R-1"))
        url = f"/v1/receipts/{anonymous['id']}/claim"
        for ref in ({"member_number": "M-1"}, {"id": theirs["id"]}):
            response = await tenant.client.post(url, json={"customer": ref})
            assert response.status_code == 422

    async def test_another_merchants_receipt_is_404(self, tenant: Tenant, other: Tenant) -> None:
        await make_customer(tenant.client, member_number="M-1")
        theirs = await make_receipt(other.client, simple_receipt("R-1"))
        response = await tenant.client.post(
            f"/v1/receipts/{theirs['id']}/claim", json={"customer": {"member_number": "M-1"}}
        )
        assert response.status_code == 404
        assert (await other.client.get(f"/v1/receipts/{theirs['id']}")).json() == theirs

    async def test_unknown_receipt_is_404(self, tenant: Tenant) -> None:
        await make_customer(tenant.client, member_number="M-1")
        response = await tenant.client.post(
            f"/v1/receipts/{uuid.uuid4()}/claim", json={"customer": {"member_number": "M-1"}}
        )
        assert response.status_code == 404
