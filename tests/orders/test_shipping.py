from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Tenant
from tests.factories import created, locs
from tests.orders.helpers import UPS, events, placed, shipment_body
from tillroll.kit.db import Database


class TestShipments:
    async def test_partial_then_full_shipment_then_delivery(
        self, tenant: Tenant, db: Database
    ) -> None:
        receipt_id = await placed(tenant.client)
        path = f"/v1/receipts/{receipt_id}"
        first = await created(
            await tenant.client.post(f"{path}/shipments", json=shipment_body((1, 2)))
        )
        assert first["tracking_url"] == f"https://www.ups.com/track?tracknum={UPS}"
        assert (first["weight"], first["weight_unit"], first["status"]) == (
            "1",
            "LBS",
            "info_received",
        )
        order = (await tenant.client.get(f"{path}/order")).json()
        assert order["status"] == "PARTIALLY_SHIPPED" and order["items"][0]["shipped"] == 2
        second = await created(await tenant.client.post(f"{path}/shipments", json=shipment_body(
            (2, 1), carrier="DHL Express", tracking_number=None, weight="0.50", weight_unit="KGS",
        )))  # fmt: skip
        assert second["tracking_url"] is None and second["weight"] == "0.5"
        assert (await tenant.client.get(f"{path}/order")).json()["status"] == "SHIPPED"
        for shipment in (first, second):
            event = {"status": "delivered", "raw_text": "Left at front door",
                     "occurred_at": "2015-04-02T10:00:00Z"}  # fmt: skip
            tracked = await created(
                await tenant.client.post(f"/v1/shipments/{shipment['id']}/events", json=event)
            )
            assert tracked["status"] == "delivered" and tracked["delivered_at"] is not None
        order = (await tenant.client.get(f"{path}/order")).json()
        assert order["status"] == "DELIVERED"
        receipt = (await tenant.client.get(path)).json()
        assert receipt["order_status"] == "DELIVERED"
        listed = (await tenant.client.get(f"{path}/shipments")).json()["data"]
        assert [s["id"] for s in listed] == [first["id"], second["id"]]
        assert listed[0]["events"][0]["raw_text"] == "Left at front door"
        created_events = await events(db, tenant.id, "shipment.created")
        assert [e["id"] for e in created_events] == [first["id"], second["id"]]
        changes = await events(db, tenant.id, "order.status_changed")
        assert [c["status"] for c in changes] == ["PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED"]
        assert len(await events(db, tenant.id, "shipment.tracked")) == 2

    async def test_an_older_event_does_not_override_the_latest(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        shipment = await created(await tenant.client.post(
            f"/v1/receipts/{receipt_id}/shipments", json=shipment_body((1, 2), (2, 1))
        ))  # fmt: skip
        path = f"/v1/shipments/{shipment['id']}/events"
        for status, at in (("out_for_delivery", "2015-04-02T08:00:00Z"),
                           ("in_transit", "2015-04-01T08:00:00Z")):  # fmt: skip
            await created(
                await tenant.client.post(path, json={"status": status, "occurred_at": at})
            )
        got = (await tenant.client.get(f"/v1/shipments/{shipment['id']}")).json()
        assert got["status"] == "out_for_delivery" and len(got["events"]) == 2
        bad = await tenant.client.post(path, json={"status": "lost"})
        assert bad.status_code == 422

    async def test_over_shipment_is_409_and_changes_nothing(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        path = f"/v1/receipts/{receipt_id}/shipments"
        response = await tenant.client.post(path, json=shipment_body((1, 3)))
        assert response.status_code == 409
        assert "2 ordered, 0 cancelled, 0 shipped" in response.json()["detail"]
        assert (await tenant.client.get(path)).json()["data"] == []

    async def test_carrier_rules(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        path = f"/v1/receipts/{receipt_id}/shipments"
        cases: list[tuple[dict[str, Any], str]] = [
            ({"tracking_number": None}, "tracking_number"),
            ({"tracking_number": "1Z123"}, "tracking_number"),
            ({"carrier": "USPS", "tracking_number": "12345"}, "tracking_number"),
            ({"weight": "0"}, "weight"),
            ({"weight_unit": "lbs"}, "weight_unit"),
            ({"origin": {"city": "X", "state": "Ohio", "postal_code": "44101", "country": "US"}},
             "origin.state"),
        ]  # fmt: skip
        for changes, loc in cases:
            response = await tenant.client.post(path, json=shipment_body((1, 1), **changes))
            assert response.status_code == 422, (changes, response.text)
            assert any(loc in found for found in locs(response)), (loc, response.text)
        usps = await created(await tenant.client.post(path, json=shipment_body(
            (1, 1), carrier="usps", tracking_number="9400 1000 0000 0000 0000 00",
        )))  # fmt: skip
        assert usps["carrier"] == "USPS" and usps["tracking_number"] == "9400100000000000000000"
        assert usps["tracking_url"].endswith("tLabels=9400100000000000000000")

    async def test_the_same_shipment_again_is_a_replay(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        path = f"/v1/receipts/{receipt_id}/shipments"
        first = await created(await tenant.client.post(path, json=shipment_body((1, 1))))
        again = await tenant.client.post(path, json=shipment_body((1, 1)))
        assert again.status_code == 200 and again.json()["id"] == first["id"]
        other = await tenant.client.post(path, json=shipment_body((2, 1)))
        assert other.status_code == 409

    async def test_concurrent_shipments_never_over_ship(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client, shirts=5)
        path = f"/v1/receipts/{receipt_id}/shipments"
        bodies = [
            shipment_body((1, 1), carrier="DHL", tracking_number=f"DHL-{n}") for n in range(8)
        ]
        responses = await asyncio.gather(*(tenant.client.post(path, json=b) for b in bodies))
        assert sorted(r.status_code for r in responses) == [201] * 5 + [409] * 3
        order = (await tenant.client.get(f"/v1/receipts/{receipt_id}/order")).json()
        assert order["items"][0]["shipped"] == 5

    async def test_another_tenants_shipment_is_404(self, tenant: Tenant, other: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        shipment = await created(await tenant.client.post(
            f"/v1/receipts/{receipt_id}/shipments", json=shipment_body((1, 1))
        ))  # fmt: skip
        assert (await other.client.get(f"/v1/shipments/{shipment['id']}")).status_code == 404
        event = await other.client.post(
            f"/v1/shipments/{shipment['id']}/events", json={"status": "delivered"}
        )
        assert event.status_code == 404
        response = await other.client.post(
            f"/v1/receipts/{receipt_id}/shipments", json=shipment_body((1, 1))
        )
        assert response.status_code == 404
