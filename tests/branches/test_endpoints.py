from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import all_pages, bearer, locs, make_branch, make_key, make_receipt, receipt

AMSTERDAM: dict[str, Any] = {
    "code": "AMS-01",
    "name": "Amsterdam Centraal",
    "address": {
        "lines": ["Stationsplein 1"],
        "city": "Amsterdam",
        "postal_code": "1012 AB",
        "country": "NL",
        "lat": 52.379,
        "lon": 4.900,
    },
    "phone": "+31 20 123 4567",
    "email": "ams@example.com",
    "website": "https://example.com/ams",
    "timezone": "Europe/Amsterdam",
}


class TestCreate:
    async def test_created_and_read_back(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/branches", json=AMSTERDAM)
        assert response.status_code == 201, response.text
        branch = response.json()
        assert branch["number"] == 1
        assert {k: branch[k] for k in AMSTERDAM if k != "address"} == {
            k: v for k, v in AMSTERDAM.items() if k != "address"
        }
        assert branch["address"]["country"] == "NL"
        assert branch["address"]["lines"] == ["Stationsplein 1"]
        fetched = await tenant.client.get(f"/v1/branches/{branch['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == branch

    async def test_defaults(self, tenant: Tenant) -> None:
        branch = await make_branch(tenant.client, "MIN")
        assert branch["timezone"] == "UTC"
        assert branch["address"] is None
        assert branch["email"] is None

    async def test_numbers_count_per_merchant(self, tenant: Tenant, other: Tenant) -> None:
        assert (await make_branch(tenant.client, "A"))["number"] == 1
        assert (await make_branch(tenant.client, "B"))["number"] == 2
        assert (await make_branch(other.client, "A"))["number"] == 1

    async def test_duplicate_code_is_409(self, tenant: Tenant) -> None:
        await make_branch(tenant.client, "DUP")
        response = await tenant.client.post("/v1/branches", json={"code": "DUP", "name": "Two"})
        assert response.status_code == 409
        assert response.json()["code"] == "conflict"
        listing = (await tenant.client.get("/v1/branches")).json()
        assert [b["name"] for b in listing["data"]] == ["Branch DUP"]

    async def test_same_code_in_another_merchant_is_fine(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        await make_branch(tenant.client, "SAME")
        await make_branch(other.client, "SAME")

    @pytest.mark.parametrize(
        ("changes", "loc"),
        [
            ({"address": {"country": "ZZ"}}, "address.country"),
            ({"address": {"country": "nl"}}, "address.country"),
            ({"address": {"lat": 91.0}}, "address.lat"),
            ({"address": {"city": "X", "planet": "Mars"}}, "address.planet"),
            ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
            ({"timezone": ""}, "timezone"),
            ({"email": "not-an-email"}, "email"),
            ({"colour": "blue"}, "colour"),
            ({"code": 5}, "code"),
            ({"code": ""}, "code"),
            ({"name": None}, "name"),
            ({"code": "x" * 65}, "code"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self, tenant: Tenant, changes: dict[str, Any], loc: str
    ) -> None:
        response = await tenant.client.post("/v1/branches", json={**AMSTERDAM, **changes})
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "invalid_input"
        assert response.headers["content-type"] == "application/problem+json"
        assert loc in locs(response)
        listing = (await tenant.client.get("/v1/branches")).json()
        assert listing["data"] == []

    async def test_missing_field_names_it(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/branches", json={"code": "X"})
        assert response.status_code == 422
        assert locs(response) == ["name"]

    async def test_read_key_cannot_create(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "read")
        response = await tenant.client.post(
            "/v1/branches", json=AMSTERDAM, headers=bearer(key["secret"])
        )
        assert response.status_code == 403


class TestList:
    async def test_keyset_pages_return_each_once_oldest_first(self, tenant: Tenant) -> None:
        made = [(await make_branch(tenant.client, f"B{i:02}"))["id"] for i in range(7)]
        pages = await all_pages(tenant.client, "/v1/branches", limit=3)
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [b["id"] for p in pages for b in p] == made

    async def test_exact_multiple_has_no_empty_last_page(self, tenant: Tenant) -> None:
        for i in range(4):
            await make_branch(tenant.client, f"E{i}")
        pages = await all_pages(tenant.client, "/v1/branches", limit=2)
        assert [len(p) for p in pages] == [2, 2]

    async def test_empty(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/v1/branches")
        assert response.json() == {"data": [], "next_cursor": None}

    @pytest.mark.parametrize(
        ("params", "loc"),
        [
            ({"limit": 0}, "query.limit"),
            ({"limit": 501}, "query.limit"),
            ({"limit": "ten"}, "query.limit"),
            ({"cursor": "garbage!"}, "query.cursor"),
            ({"cursor": "WyJ4Il0"}, "query.cursor"),  # ["x"]: ours in form, not in type
            ({"sort": "name"}, "query.sort"),
        ],
    )
    async def test_bad_query_is_422(self, tenant: Tenant, params: dict[str, Any], loc: str) -> None:
        response = await tenant.client.get("/v1/branches", params=params)
        assert response.status_code == 422, response.text
        assert locs(response) == [loc]

    async def test_limit_500_is_allowed(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/v1/branches", params={"limit": 500})
        assert response.status_code == 200


class TestGet:
    async def test_unknown_and_malformed_ids_are_404(self, tenant: Tenant) -> None:
        unknown = await tenant.client.get("/v1/branches/0190a1b2-0000-7000-8000-000000000000")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "not_found"
        malformed = await tenant.client.get("/v1/branches/not-a-uuid")
        assert malformed.status_code == 404


class TestUpdate:
    async def test_only_given_fields_change(self, tenant: Tenant) -> None:
        branch = (await tenant.client.post("/v1/branches", json=AMSTERDAM)).json()
        response = await tenant.client.patch(
            f"/v1/branches/{branch['id']}", json={"name": "Amsterdam Zuid"}
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["name"] == "Amsterdam Zuid"
        unchanged = {k: v for k, v in branch.items() if k not in ("name", "updated_at")}
        assert {k: updated[k] for k in unchanged} == unchanged
        assert updated["updated_at"] >= branch["updated_at"]
        assert (await tenant.client.get(f"/v1/branches/{branch['id']}")).json() == updated

    async def test_null_clears(self, tenant: Tenant) -> None:
        branch = (await tenant.client.post("/v1/branches", json=AMSTERDAM)).json()
        response = await tenant.client.patch(
            f"/v1/branches/{branch['id']}", json={"address": None, "email": None}
        )
        assert response.status_code == 200
        assert response.json()["address"] is None
        assert response.json()["email"] is None
        assert response.json()["phone"] == AMSTERDAM["phone"]

    async def test_code_taken_by_another_branch_is_409(self, tenant: Tenant) -> None:
        await make_branch(tenant.client, "ONE")
        two = await make_branch(tenant.client, "TWO")
        response = await tenant.client.patch(f"/v1/branches/{two['id']}", json={"code": "ONE"})
        assert response.status_code == 409
        assert (await tenant.client.get(f"/v1/branches/{two['id']}")).json()["code"] == "TWO"

    async def test_keeping_own_code_is_fine(self, tenant: Tenant) -> None:
        one = await make_branch(tenant.client, "ONE")
        response = await tenant.client.patch(
            f"/v1/branches/{one['id']}", json={"code": "ONE", "name": "Renamed"}
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("body", "loc"),
        [
            ({"timezone": "Nowhere/Special"}, "timezone"),
            ({"timezone": None}, "timezone"),
            ({"address": {"country": "ZZ"}}, "address.country"),
            ({"email": "a@b"}, "email"),
            ({"code": None}, "code"),
            ({"number": 7}, "number"),
            ({"name": ["x"]}, "name"),
        ],
    )
    async def test_bad_change_is_422_and_changes_nothing(
        self, tenant: Tenant, body: dict[str, Any], loc: str
    ) -> None:
        branch = (await tenant.client.post("/v1/branches", json=AMSTERDAM)).json()
        response = await tenant.client.patch(f"/v1/branches/{branch['id']}", json=body)
        assert response.status_code == 422, response.text
        assert loc in locs(response)
        assert (await tenant.client.get(f"/v1/branches/{branch['id']}")).json() == branch

    async def test_unknown_branch_is_404(self, tenant: Tenant) -> None:
        response = await tenant.client.patch(
            "/v1/branches/0190a1b2-0000-7000-8000-000000000000", json={"name": "X"}
        )
        assert response.status_code == 404


class TestDelete:
    async def test_deleted_branch_is_gone(self, tenant: Tenant) -> None:
        branch = await make_branch(tenant.client, "GONE")
        response = await tenant.client.delete(f"/v1/branches/{branch['id']}")
        assert response.status_code == 204
        assert response.content == b""
        assert (await tenant.client.get(f"/v1/branches/{branch['id']}")).status_code == 404
        assert (await tenant.client.delete(f"/v1/branches/{branch['id']}")).status_code == 404
        # its code is free again
        await make_branch(tenant.client, "GONE")

    async def test_branch_with_receipts_is_409_and_stays(self, tenant: Tenant) -> None:
        branch = await make_branch(tenant.client, "BUSY")
        await make_receipt(tenant.client, receipt("R-1", branch={"code": "BUSY"}))
        response = await tenant.client.delete(f"/v1/branches/{branch['id']}")
        assert response.status_code == 409
        # the foreign key's refusal, named, not a "concurrent request" retried and given up
        assert response.json()["detail"] == "Branch BUSY is referred to by receipts."
        assert (await tenant.client.get(f"/v1/branches/{branch['id']}")).json() == branch

    async def test_write_key_may_not_delete(self, tenant: Tenant) -> None:
        branch = await make_branch(tenant.client, "KEEP")
        key = await make_key(tenant.client, "write")
        response = await tenant.client.delete(
            f"/v1/branches/{branch['id']}", headers=bearer(key["secret"])
        )
        assert response.status_code == 403
        assert (await tenant.client.get(f"/v1/branches/{branch['id']}")).status_code == 200
