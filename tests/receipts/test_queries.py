from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import (
    all_pages,
    locs,
    make_branch,
    make_customer,
    make_receipt,
    now,
    simple_receipt,
)
from tillroll.kit.pagination import encode_cursor

BASE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


async def ids(client: httpx.AsyncClient, path: str = "/v1/receipts", **params: Any) -> list[str]:
    """external_ids of the (single) page the query answers."""
    response = await client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [r["external_id"] for r in response.json()["data"]]


class TestFilters:
    async def test_customer_branch_external_id_and_type(self, tenant: Tenant) -> None:
        client = tenant.client
        ams = await make_branch(client, "AMS")
        await make_branch(client, "UTR")
        anna = await make_customer(client, member_number="ANNA")
        specs: list[tuple[str, dict[str, Any]]] = [
            ("r1", {"branch": {"code": "AMS"}, "customer": {"member_number": "ANNA"}}),
            ("r2", {"branch": {"code": "UTR"}, "customer": {"member_number": "ANNA"}}),
            ("r3", {"branch": {"code": "AMS"}, "type": "online"}),
            ("r4", {"type": "online"}),
        ]
        for i, (name, extra) in enumerate(specs):
            body = simple_receipt(name, issued_at=BASE + timedelta(minutes=i), **extra)
            await make_receipt(client, body)
        assert await ids(client) == ["r4", "r3", "r2", "r1"]
        assert await ids(client, customer_id=anna["id"]) == ["r2", "r1"]
        assert await ids(client, branch_id=ams["id"]) == ["r3", "r1"]
        assert await ids(client, branch_code="UTR") == ["r2"]
        assert await ids(client, branch_code="NOPE") == []
        assert await ids(client, external_id="r3") == ["r3"]
        assert await ids(client, external_id="r9") == []
        assert await ids(client, type="online") == ["r4", "r3"]
        assert await ids(client, type="in_store") == ["r2", "r1"]
        assert await ids(client, type="online", branch_code="AMS") == ["r3"]
        assert await ids(client, customer_id=anna["id"], branch_code="AMS") == ["r1"]
        assert await ids(client, branch_id=str(uuid.uuid4())) == []

    async def test_branch_id_and_branch_code_together_is_422(self, tenant: Tenant) -> None:
        branch = await make_branch(tenant.client, "AMS")
        response = await tenant.client.get(
            "/v1/receipts", params={"branch_id": branch["id"], "branch_code": "AMS"}
        )
        assert response.status_code == 422
        assert locs(response) == ["query.branch_code"]

    @pytest.mark.parametrize(
        ("params", "loc"),
        [
            ({"customer_id": "not-a-uuid"}, "query.customer_id"),
            ({"branch_id": "12"}, "query.branch_id"),
            ({"type": "mail_order"}, "query.type"),
            ({"issued_from": "yesterday"}, "query.issued_from"),
            ({"issued_from": "2026-03-01T10:00:00"}, "query.issued_from"),  # naive
            ({"issued_to": "2026-13-01T00:00:00Z"}, "query.issued_to"),
            ({"limit": 501}, "query.limit"),
            ({"limit": 0}, "query.limit"),
            ({"limit": -1}, "query.limit"),
            ({"order": "oldest"}, "query.order"),
        ],
    )
    async def test_bad_query_is_422(self, tenant: Tenant, params: dict[str, Any], loc: str) -> None:
        response = await tenant.client.get("/v1/receipts", params=params)
        assert response.status_code == 422, response.text
        assert locs(response) == [loc]

    async def test_limit_500_is_allowed(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/v1/receipts", params={"limit": 500})
        assert response.status_code == 200


class TestIssuedWindow:
    async def test_absolute_bounds_are_inclusive_in_any_offset(self, tenant: Tenant) -> None:
        for i in range(4):
            body = simple_receipt(f"t{i}", issued_at=BASE + timedelta(hours=i))
            await make_receipt(tenant.client, body)
        # t1 = 11:00Z written as 13:00+02:00; t2 = 12:00Z written as 07:00-05:00
        window = {
            "issued_from": "2026-03-01T13:00:00+02:00",
            "issued_to": "2026-03-01T07:00:00-05:00",
        }
        assert await ids(tenant.client, **window) == ["t2", "t1"]
        assert await ids(tenant.client, issued_from="2026-03-01T12:00:00Z") == ["t3", "t2"]
        assert await ids(tenant.client, issued_to="2026-03-01T10:00:00Z") == ["t0"]
        assert await ids(tenant.client, issued_from="2026-03-01T12:00:00.000001Z") == ["t3"]
        assert await ids(tenant.client, issued_to="2026-03-01T09:59:59.999999Z") == []

    async def test_issued_at_keeps_its_instant(self, tenant: Tenant) -> None:
        stored = await make_receipt(
            tenant.client, simple_receipt("tz", issued_at="2026-11-21T15:09:26+01:00")
        )
        instant = datetime.fromisoformat(stored["issued_at"])
        assert instant == datetime(2026, 11, 21, 14, 9, 26, tzinfo=UTC)

    async def test_relative_bounds_override_absolute_ones(self, tenant: Tenant) -> None:
        moment = now()
        for name, offset in [
            ("old", -timedelta(weeks=14)),
            ("recent", -timedelta(weeks=12)),
            ("new", -timedelta(hours=1)),
            ("soon", timedelta(days=170)),
            ("far", timedelta(days=200)),
        ]:
            await make_receipt(tenant.client, simple_receipt(name, issued_at=moment + offset))
        client = tenant.client
        assert await ids(client, issued_from_relative="-13 weeks") == [
            "far", "soon", "new", "recent",
        ]  # fmt: skip
        assert await ids(
            client, issued_from="2000-01-01T00:00:00Z", issued_from_relative="-13 weeks"
        ) == ["far", "soon", "new", "recent"]
        assert await ids(client, issued_from="2100-01-01T00:00:00Z") == []
        assert await ids(
            client, issued_from="2100-01-01T00:00:00Z", issued_from_relative="-13 weeks"
        ) == ["far", "soon", "new", "recent"]
        to = "+6 months -5 days +2 minutes"
        assert await ids(client, issued_to_relative=to) == ["soon", "new", "recent", "old"]
        assert await ids(client, issued_to="2000-01-01T00:00:00Z", issued_to_relative=to) == [
            "soon", "new", "recent", "old",
        ]  # fmt: skip
        assert await ids(client, issued_from_relative="-13 weeks", issued_to_relative=to) == [
            "soon",
            "new",
            "recent",
        ]
        assert await ids(client, issued_from_relative="-2 hours", issued_to_relative="1 day") == [
            "new"
        ]

    @pytest.mark.parametrize(
        "text",
        ["", "yesterday", "-13", "-13 fortnights", "-13 weeks ago", "weeks -13", "--1 day",
         "-1 day,", "-9999999 days", "-999999 months", "+999999 weeks"],
    )  # fmt: skip
    @pytest.mark.parametrize("field", ["issued_from_relative", "issued_to_relative"])
    async def test_garbage_relative_is_422(self, tenant: Tenant, field: str, text: str) -> None:
        response = await tenant.client.get("/v1/receipts", params={field: text})
        assert response.status_code == 422, response.text
        assert locs(response) == [f"query.{field}"]


class TestPagination:
    async def _receipts(self, tenant: Tenant, count: int) -> list[dict[str, Any]]:
        made = []
        for i in range(count):
            # receipts 10, 11 and 12 share one instant: the number breaks the tie
            minute = 10 if 10 <= i <= 12 else i
            body = simple_receipt(f"p{i:02}", issued_at=BASE + timedelta(minutes=minute))
            made.append(await make_receipt(tenant.client, body))
        return made

    @staticmethod
    def _newest_first(receipts: list[dict[str, Any]]) -> list[str]:
        ordered = sorted(
            receipts,
            key=lambda r: (datetime.fromisoformat(r["issued_at"]), r["number"]),
            reverse=True,
        )
        return [r["id"] for r in ordered]

    async def test_pages_return_each_receipt_once_newest_first(self, tenant: Tenant) -> None:
        made = await self._receipts(tenant, 25)
        pages = await all_pages(tenant.client, "/v1/receipts", limit=10)
        assert [len(p) for p in pages] == [10, 10, 5]
        assert [r["id"] for p in pages for r in p] == self._newest_first(made)

    async def test_pages_stay_stable_when_receipts_arrive_between_them(
        self, tenant: Tenant
    ) -> None:
        made = await self._receipts(tenant, 25)
        first = (await tenant.client.get("/v1/receipts", params={"limit": 10})).json()
        # newer receipts, and receipts at the very instant of the page boundary
        boundary = datetime.fromisoformat(first["data"][-1]["issued_at"])
        for i in range(3):
            later = simple_receipt(f"new{i}", issued_at=BASE + timedelta(days=1, minutes=i))
            await make_receipt(tenant.client, later)
            same = simple_receipt(f"same{i}", issued_at=boundary)
            await make_receipt(tenant.client, same)
        seen = [r["id"] for r in first["data"]]
        cursor = first["next_cursor"]
        while cursor:
            page = await tenant.client.get("/v1/receipts", params={"limit": 10, "cursor": cursor})
            assert page.status_code == 200, page.text
            seen += [r["id"] for r in page.json()["data"]]
            names = [r["external_id"] for r in page.json()["data"]]
            assert not any(n.startswith(("new", "same")) for n in names), names
            cursor = page.json()["next_cursor"]
        assert seen == self._newest_first(made)

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "!!!",
            encode_cursor("x"),
            encode_cursor(str(uuid.uuid4())),  # a cursor of another list
            encode_cursor("2026-03-01T10:00:00", 5),  # naive time
            encode_cursor("2026-03-01T10:00:00Z", 10**30),  # number out of range
            encode_cursor("2026-03-01T10:00:00Z", "five"),
            encode_cursor("2026-03-01T10:00:00Z", 5, 6),
        ],
    )
    async def test_garbage_cursor_is_422(self, tenant: Tenant, cursor: str) -> None:
        await make_receipt(tenant.client, simple_receipt("one"))
        response = await tenant.client.get("/v1/receipts", params={"cursor": cursor})
        assert response.status_code == 422, response.text
        assert locs(response) == ["query.cursor"]

    async def test_filters_apply_on_every_page(self, tenant: Tenant) -> None:
        for i in range(7):
            body = simple_receipt(
                f"f{i}",
                issued_at=BASE + timedelta(minutes=i),
                type="online" if i % 2 else "in_store",
            )
            await make_receipt(tenant.client, body)
        pages = await all_pages(tenant.client, "/v1/receipts", limit=2, type="in_store")
        assert [r["external_id"] for p in pages for r in p] == ["f6", "f4", "f2", "f0"]


class TestCustomerReceipts:
    async def test_lists_one_customers_receipts(self, tenant: Tenant) -> None:
        anna = await make_customer(tenant.client, external_id="ANNA")
        await make_customer(tenant.client, external_id="BEN")
        for i in range(5):
            body = simple_receipt(
                f"a{i}", issued_at=BASE + timedelta(minutes=i), customer={"external_id": "ANNA"}
            )
            await make_receipt(tenant.client, body)
        await make_receipt(tenant.client, simple_receipt("b0", customer={"external_id": "BEN"}))
        await make_receipt(tenant.client, simple_receipt("anon"))
        path = f"/v1/customers/{anna['id']}/receipts"
        pages = await all_pages(tenant.client, path, limit=2)
        assert [r["external_id"] for p in pages for r in p] == ["a4", "a3", "a2", "a1", "a0"]
        assert all(r["customer"]["id"] == anna["id"] for p in pages for r in p)
        window = await ids(
            tenant.client,
            path,
            issued_from="2026-03-01T10:01:00Z",
            issued_to="2026-03-01T10:03:00Z",
        )
        assert window == ["a3", "a2", "a1"]

    async def test_customer_id_in_the_query_does_not_widen_it(self, tenant: Tenant) -> None:
        anna = await make_customer(tenant.client, external_id="ANNA")
        ben = await make_customer(tenant.client, external_id="BEN")
        await make_receipt(tenant.client, simple_receipt("b0", customer={"external_id": "BEN"}))
        path = f"/v1/customers/{anna['id']}/receipts"
        assert await ids(tenant.client, path, customer_id=ben["id"]) == []

    async def test_unknown_customer_is_404(self, tenant: Tenant, other: Tenant) -> None:
        response = await tenant.client.get(f"/v1/customers/{uuid.uuid4()}/receipts")
        assert response.status_code == 404
        theirs = await make_customer(other.client)
        response = await tenant.client.get(f"/v1/customers/{theirs['id']}/receipts")
        assert response.status_code == 404
