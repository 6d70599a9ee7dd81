"""Value metrics: formulas checked at creation, versions, recomputation, archive."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.values.helpers import HOURS, PERIOD, seed


def variant(**changes: Any) -> dict[str, Any]:
    return {**HOURS, "slug": "v", **changes}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (variant(formula={"expression": "undeclared * 2", "variables": []}), "formula.expression"),
        (variant(formula={"expression": "1 / 0", "variables": []}), "formula.expression"),
        (variant(formula={"expression": "eval('1')", "variables": []}), "formula.expression"),
        (variant(formula={"expression": "1" * 600, "variables": []}), "formula.expression"),
        (variant(unit={"type": "duration"}), "unit.duration_unit"),
        (variant(unit={"type": "custom"}), "unit.unit"),
        (variant(unit={"type": "monetary"}), "value_per_unit"),
        (variant(currency="EURO"), "currency"),
        (variant(value_per_unit="NaN"), "value_per_unit"),
        (variant(value_per_unit="1e30"), "value_per_unit"),
        (variant(slug="Bad Slug"), "slug"),
        (variant(formula={"expression": "a", "variables": [{"id": "a", "default": 1}] * 2}),
         "formula.variables"),
    ],
)  # fmt: skip
async def test_bad_metrics_are_422_and_store_nothing(
    tenant: Tenant, body: dict[str, Any], loc: str
) -> None:
    response = await tenant.client.post("/v1/value-metrics", json=body)
    assert response.status_code == 422, response.text
    assert loc in {e["loc"] for e in response.json()["errors"]}
    assert (await tenant.client.get("/v1/value-metrics")).json()["total"] == 0


async def test_an_update_is_a_new_version_and_drafts_follow(tenant: Tenant) -> None:
    c = tenant.client
    await seed(c)
    metric = (await c.get("/v1/value-metrics")).json()["data"][0]
    assert metric["slug"] == "hours-saved" and metric["version"] == 1
    receipt = (
        await c.post("/v1/value-receipts", json={"external_customer_id": "cust-1", **PERIOD})
    ).json()
    sealed = (
        await c.post("/v1/value-receipts", json={"external_customer_id": "cust-1", **PERIOD})
    ).json()
    await c.post(f"/v1/value-receipts/{sealed['id']}/seal")
    changed = await c.patch(
        f"/v1/value-metrics/{metric['id']}",
        json={"defaults": {"minutes_saved": 40}, "value_per_unit": "60"},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    refreshed = (await c.post(f"/v1/value-receipts/{receipt['id']}/refresh")).json()
    hours = next(line for line in refreshed["lines"] if line["slug"] == "hours-saved")
    # 3 × round6(40/60) + 1 = 3.000001 hours (0.666667 × 3) × €60 = €180.00006 → 18000
    assert (hours["quantity"], hours["version"], hours["value"]) == ("3.000001", 2, 18000)
    kept = (await c.get(f"/v1/value-receipts/{sealed['id']}")).json()
    assert kept["lines"] == sealed["lines"]  # a sealed receipt never changes
    unknown = await c.patch(f"/v1/value-metrics/{metric['id']}", json={"defaults": {"nope": 1}})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == "defaults.nope"


async def test_archive_hides_but_still_counts(tenant: Tenant) -> None:
    c = tenant.client
    await seed(c)
    metric = (await c.get("/v1/value-metrics")).json()["data"][0]
    archived = (await c.patch(f"/v1/value-metrics/{metric['id']}", json={"archived": True})).json()
    assert archived["archived_at"] is not None
    assert [m["slug"] for m in (await c.get("/v1/value-metrics")).json()["data"]] == ["cost-saved"]
    every = (await c.get("/v1/value-metrics", params={"include_archived": "true"})).json()
    assert every["total"] == 2
    receipt = (
        await c.post("/v1/value-receipts", json={"external_customer_id": "cust-1", **PERIOD})
    ).json()
    assert {line["slug"] for line in receipt["lines"]} == {"hours-saved", "cost-saved"}
    restored = (await c.patch(f"/v1/value-metrics/{metric['id']}", json={"archived": False})).json()
    assert restored["archived_at"] is None


async def test_duplicate_slug_is_409(tenant: Tenant) -> None:
    assert (await tenant.client.post("/v1/value-metrics", json=HOURS)).status_code == 201
    assert (await tenant.client.post("/v1/value-metrics", json=HOURS)).status_code == 409
