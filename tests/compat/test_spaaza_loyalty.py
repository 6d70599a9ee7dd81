"""The Spaaza receipt object's `loyalty_status`: the shopper's level, in seed 001's shape."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.compat import spaaza_examples as ex
from tests.compat.test_spaaza import assert_shape, member_receipt, shop, spaaza_get
from tests.conftest import Tenant
from tests.factories import created, make_receipt
from tests.wallets.helpers import entry, frozen, key

LEVELS = [{"name": "Level 0", "threshold": 0},
          {"name": "Level 1", "threshold": 100, "maintenance": 80,
           "description": "Level 1 in the Programme"},
          {"name": "Level 2", "threshold": 600}]  # fmt: skip


async def test_the_receipt_object_shows_the_shoppers_loyalty_status(tenant: Tenant) -> None:
    start = datetime(2026, 4, 4, 0, 5, 22, tzinfo=UTC)
    await shop(tenant)
    stored = await make_receipt(tenant.client, member_receipt("T-LOYAL"))
    customer_id = stored["customer"]["id"]
    with frozen(start) as hands:
        made = await created(await tenant.client.post("/v1/loyalty-levels", json={
            "name": "Programme", "review_months": 12, "starts_at": start.isoformat(),
            "levels": LEVELS}))  # fmt: skip
        points = await created(
            await tenant.client.post(
                f"/v1/customers/{customer_id}/wallets", json={"kind": "points"}, headers=key()
            )
        )
        await entry(tenant.client, points, 180, reason="purchase_earn")
        hands.now = datetime(2027, 6, 6, 8, 6, 14, tzinfo=UTC)  # reviewed on 4 April 2027
        await entry(tenant.client, points, 30, reason="purchase_earn")
        got = (await spaaza_get(tenant, f"/receipts/{stored['number']}")).json()
    assert_shape(
        got["loyalty_status"], ex.RECEIPT_OBJECT["loyalty_status"], extra={}, nullable=set()
    )
    assert got["loyalty_status"] == {
        "campaign_id": made["number"], "name": "Level 1",
        "description": "Level 1 in the Programme", "loyalty_level_id": 2,
        "points_to_proceed_next_level": 570, "points_to_remain_current_level": 50,
        "maintenance_points_level": 80, "last_review_date": "2027-04-04T00:05:22+00:00",
        "next_review_date": "2028-04-04T00:05:22+00:00",
        "date_reached": "2027-04-04T00:05:22+00:00",
    }  # fmt: skip
