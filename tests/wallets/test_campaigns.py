"""Campaigns: CRUD, archive and their field rules, through the API."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant
from tests.factories import created, locs, make_branch

PERCENT: dict[str, Any] = {"title": "5% back", "kind": "percent_back", "percent": "5"}
POINTS: dict[str, Any] = {"title": "Points", "kind": "points_per_amount", "points": 10,
                          "per_amount": 1000}  # fmt: skip


async def test_create_read_update_list_delete(tenant: Tenant) -> None:
    c = tenant.client
    made = await created(await c.post("/v1/campaigns", json=PERCENT))
    assert (made["kind"], made["percent"], made["min_spend"], made["archived_at"]) == (
        "percent_back", "5", 0, None,
    )  # fmt: skip
    assert (await created(await c.get(f"/v1/campaigns/{made['id']}"), 200)) == made
    changed = await created(
        await c.patch(f"/v1/campaigns/{made['id']}", json={"percent": "2.5"}), 200
    )
    assert changed["percent"] == "2.5"
    page = await created(await c.get("/v1/campaigns"), 200)
    assert [x["id"] for x in page["data"]] == [made["id"]]
    assert (await c.delete(f"/v1/campaigns/{made['id']}")).status_code == 204
    assert (await c.get(f"/v1/campaigns/{made['id']}")).status_code == 404


async def test_the_kind_decides_the_fields(tenant: Tenant) -> None:
    c = tenant.client
    r = await c.post("/v1/campaigns", json={"title": "x", "kind": "percent_back"})
    assert r.status_code == 422 and locs(r) == ["percent"]
    r = await c.post("/v1/campaigns", json={**PERCENT, "points": 3})
    assert r.status_code == 422 and locs(r) == ["points"]
    r = await c.post("/v1/campaigns", json={**PERCENT, "percent": "101"})
    assert r.status_code == 422 and locs(r) == ["percent"]
    r = await c.post("/v1/campaigns", json={"title": "x", "kind": "points_per_amount", "points": 1})
    assert r.status_code == 422 and locs(r) == ["per_amount"]
    r = await c.post("/v1/campaigns", json={**POINTS, "per_amount": 0})
    assert r.status_code == 422
    window = {"starts_at": "2026-05-01T00:00:00Z", "ends_at": "2026-04-01T00:00:00Z"}
    r = await c.post("/v1/campaigns", json={**PERCENT, **window})
    assert r.status_code == 422 and locs(r) == ["ends_at"]
    made = await created(await c.post("/v1/campaigns", json=PERCENT))
    r = await c.patch(f"/v1/campaigns/{made['id']}", json={"kind": "points_per_amount"})
    assert r.status_code == 422  # a percent_back turned points_per_amount without points
    assert (await created(await c.get("/v1/campaigns"), 200))["data"] == [made]


async def test_branches_must_be_the_merchants(tenant: Tenant, other: Tenant) -> None:
    theirs = await make_branch(other.client)
    r = await tenant.client.post("/v1/campaigns", json={**PERCENT, "branch_ids": [theirs["id"]]})
    assert r.status_code == 422 and locs(r) == ["branch_ids[0]"]
    mine = await make_branch(tenant.client)
    made = await created(
        await tenant.client.post("/v1/campaigns", json={**PERCENT, "branch_ids": [mine["id"]]})
    )
    assert made["branch_ids"] == [mine["id"]]


async def test_archive_once_then_no_changes(tenant: Tenant) -> None:
    c = tenant.client
    made = await created(await c.post("/v1/campaigns", json=POINTS))
    archived = await created(await c.post(f"/v1/campaigns/{made['id']}/archive"), 200)
    assert archived["archived_at"] is not None
    again = await created(await c.post(f"/v1/campaigns/{made['id']}/archive"), 200)
    assert again["archived_at"] == archived["archived_at"]
    r = await c.patch(f"/v1/campaigns/{made['id']}", json={"points": 20})
    assert r.status_code == 409
    events = await created(await c.get("/v1/events?type=campaign.archived"), 200)
    assert [e["data"]["id"] for e in events["data"]] == [made["id"]]


async def test_another_tenants_campaign_is_a_404(tenant: Tenant, other: Tenant) -> None:
    made = await created(await other.client.post("/v1/campaigns", json=PERCENT))
    assert (await tenant.client.get(f"/v1/campaigns/{made['id']}")).status_code == 404
    r = await tenant.client.post(f"/v1/campaigns/{made['id']}/archive")
    assert r.status_code == 404
