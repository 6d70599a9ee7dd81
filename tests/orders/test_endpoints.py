from __future__ import annotations

import asyncio
import io
import json
from csv import DictReader

from tests.conftest import Tenant
from tests.factories import created, locs, simple_receipt
from tests.orders.helpers import events, online_receipt, order_body, placed, shipment_body
from tillroll.kit.db import Database


class TestPlace:
    async def test_an_online_receipt_carries_its_order(self, tenant: Tenant) -> None:
        receipt = await created(
            await tenant.client.post("/v1/receipts", json=online_receipt("O-1"))
        )
        path = f"/v1/receipts/{receipt['id']}/order"
        order = await created(await tenant.client.post(path, json=order_body()))
        assert order["status"] == "PREPARED_SHIP"
        assert order["totals"] == {"subtotal": 3800, "shipping_total": 500, "tax_total": 300,
                                   "total": 4600}  # fmt: skip
        shirt, mug = order["items"]
        assert (shirt["item_id"], shirt["ordered"], shirt["quantity"]) == ("100", 2, 2)
        assert shirt["metadata"]["brand"] == "Comedy" and mug["item_url"] is None
        again = await tenant.client.post(path, json=order_body())
        assert again.status_code == 200 and again.json() == order
        other = await tenant.client.post(path, json=order_body(recipient_name="Someone"))
        assert other.status_code == 409
        fetched = await tenant.client.get(f"/v1/receipts/{receipt['id']}")
        assert fetched.json()["order_status"] == "PREPARED_SHIP"

    async def test_an_in_store_receipt_has_no_order(self, tenant: Tenant) -> None:
        receipt = await created(await tenant.client.post("/v1/receipts", json=simple_receipt("S")))
        response = await tenant.client.post(
            f"/v1/receipts/{receipt['id']}/order", json=order_body()
        )
        assert response.status_code == 409

    async def test_bad_details_name_the_field_and_change_nothing(self, tenant: Tenant) -> None:
        receipt = await created(await tenant.client.post("/v1/receipts", json=online_receipt("O")))
        path = f"/v1/receipts/{receipt['id']}/order"
        bad = order_body(
            shipping_address={"street_1": "x", "city": "SF", "state": "California",
                              "postal_code": "941", "country": "US"},
            items=[{"line_no": 9}, {"line_no": 1, "metadata": {"gender": "X"}}],
        )  # fmt: skip
        response = await tenant.client.post(path, json=bad)
        assert response.status_code == 422
        assert set(locs(response)) == {
            "shipping_address.state", "shipping_address.postal_code", "items[0].line_no",
            "items[1].metadata.gender",
        }  # fmt: skip
        assert (await tenant.client.get(path)).status_code == 404

    async def test_another_tenants_order_is_404(self, tenant: Tenant, other: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        for path in ("order", "revisions", "shipments"):
            response = await other.client.get(f"/v1/receipts/{receipt_id}/{path}")
            assert response.status_code == 404
        update = {"update_type": "cancel_item", "items": [{"line_no": 1}],
                  "timestamp": "2015-04-07T22:14:12Z"}  # fmt: skip
        response = await other.client.post(f"/v1/receipts/{receipt_id}/updates", json=update)
        assert response.status_code == 404


def update(kind: str, *items: dict[str, int], **totals: object) -> dict[str, object]:
    return {"update_type": kind, "items": list(items), "timestamp": "2015-04-07T22:14:12Z",
            **totals}  # fmt: skip


class TestUpdates:
    async def test_each_update_is_a_revision_with_totals_before_and_after(
        self, tenant: Tenant, db: Database
    ) -> None:
        receipt_id = await placed(tenant.client)
        path = f"/v1/receipts/{receipt_id}"
        first = await created(await tenant.client.post(
            f"{path}/updates",
            json=update("update_quantity", {"line_no": 1, "quantity": 1}, subtotal=2300,
                        tax_total=200, total=3000, update_id="u1"),
        ))  # fmt: skip
        assert first["revision"] == 1
        assert first["changes"] == [{"line_no": 1, "item_id": "100", "quantity_before": 2,
                                     "quantity_after": 1}]  # fmt: skip
        assert first["totals_before"]["total"] == 4600
        assert first["totals_after"] == {"subtotal": 2300, "shipping_total": 500,
                                         "tax_total": 200, "total": 3000}  # fmt: skip
        assert first["actor"].startswith("key:")
        second = await created(
            await tenant.client.post(f"{path}/updates", json=update("cancel_item", {"line_no": 2},
                                     subtotal=1500, total=2200))
        )  # fmt: skip
        assert second["totals_after"]["shipping_total"] == 500  # carried forward
        assert second["totals_after"]["tax_total"] == 200
        revisions = (await tenant.client.get(f"{path}/revisions")).json()["data"]
        assert [r["revision"] for r in revisions] == [0, 1, 2]
        assert revisions[0]["update_type"] == "placed" and revisions[0]["totals_before"] is None
        order = (await tenant.client.get(f"{path}/order")).json()
        assert [i["quantity"] for i in order["items"]] == [1, 0]
        assert order["revision"] == 2 and order["totals"]["total"] == 2200
        assert [e["revision"] for e in await events(db, tenant.id, "order.revised")] == [1, 2]
        lowered = await events(db, tenant.id, "order.total_lowered")
        assert [(e["total_before"], e["lowered_by"]) for e in lowered] == [
            (4600, 1600),
            (3000, 800),
        ]
        assert len(await events(db, tenant.id, "order.placed")) == 1

    async def test_the_same_update_id_is_applied_once(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        path = f"/v1/receipts/{receipt_id}/updates"
        body = update("cancel_item", {"line_no": 2}, subtotal=3000, total=3800, update_id="u")
        first = await created(await tenant.client.post(path, json=body))
        again = await tenant.client.post(path, json=body)
        assert again.status_code == 200 and again.json() == first
        changed = {**body, "subtotal": 2999, "total": 3799}
        assert (await tenant.client.post(path, json=changed)).status_code == 409
        revisions = await tenant.client.get(f"/v1/receipts/{receipt_id}/revisions")
        assert len(revisions.json()["data"]) == 2

    async def test_totals_that_do_not_add_up_are_422_naming_the_numbers(
        self, tenant: Tenant
    ) -> None:
        receipt_id = await placed(tenant.client)
        response = await tenant.client.post(
            f"/v1/receipts/{receipt_id}/updates",
            json=update("cancel_item", {"line_no": 2}, subtotal=3000),
        )
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["loc"] == "total" and "4600" in error["message"] and "3800" in error["message"]
        order = (await tenant.client.get(f"/v1/receipts/{receipt_id}/order")).json()
        assert order["revision"] == 0 and order["items"][1]["quantity"] == 1

    async def test_unknown_items_are_422(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        response = await tenant.client.post(
            f"/v1/receipts/{receipt_id}/updates",
            json=update("cancel_item", {"line_no": 7}, {"line_no": 1}, {"line_no": 1}),
        )
        assert response.status_code == 422
        assert locs(response) == ["items[0].line_no", "items[2].line_no"]

    async def test_cancelling_what_has_shipped_is_409(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        path = f"/v1/receipts/{receipt_id}"
        await created(await tenant.client.post(f"{path}/shipments", json=shipment_body((1, 1))))
        too_far = update("update_quantity", {"line_no": 1, "quantity": 0}, subtotal=800,
                         total=1600)  # fmt: skip
        response = await tenant.client.post(f"{path}/updates", json=too_far)
        assert response.status_code == 409 and "1 shipped" in response.json()["detail"]
        rest = await created(await tenant.client.post(
            f"{path}/updates", json=update("cancel_item", {"line_no": 1}, subtotal=2300,
                                           total=3100),
        ))  # fmt: skip
        assert rest["changes"][0]["quantity_after"] == 1  # only the unshipped one

    async def test_cancelling_everything_is_canceled(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client)
        body = update("cancel_item", {"line_no": 1}, {"line_no": 2}, subtotal=0,
                      shipping_total=0, tax_total=0, total=0)  # fmt: skip
        await created(await tenant.client.post(f"/v1/receipts/{receipt_id}/updates", json=body))
        order = (await tenant.client.get(f"/v1/receipts/{receipt_id}/order")).json()
        assert order["status"] == "CANCELED"

    async def test_concurrent_updates_lose_no_revision(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client, shirts=10)
        path = f"/v1/receipts/{receipt_id}/updates"
        bodies = [update("cancel_item", {"line_no": 1, "quantity": 1}) for _ in range(8)]
        responses = await asyncio.gather(*(tenant.client.post(path, json=b) for b in bodies))
        assert [r.status_code for r in responses] == [201] * 8
        revisions = (await tenant.client.get(f"/v1/receipts/{receipt_id}/revisions")).json()
        assert sorted(r["revision"] for r in revisions["data"]) == list(range(9))
        order = (await tenant.client.get(f"/v1/receipts/{receipt_id}/order")).json()
        assert order["items"][0]["quantity"] == 2


class TestReceiptFilter:
    async def test_receipts_filter_by_order_status(self, tenant: Tenant) -> None:
        waiting = await placed(tenant.client, "O-1")
        shipped = await placed(tenant.client, "O-2")
        await created(await tenant.client.post("/v1/receipts", json=simple_receipt("S-1")))
        await created(await tenant.client.post(
            f"/v1/receipts/{shipped}/shipments", json=shipment_body((1, 2), (2, 1))
        ))  # fmt: skip

        async def ids(*statuses: str) -> set[str]:
            response = await tenant.client.get("/v1/receipts", params={"order_status": statuses})
            assert response.status_code == 200, response.text
            return {r["id"] for r in response.json()["data"]}

        assert await ids("SHIPPED") == {shipped}
        assert await ids("PREPARED_SHIP", "SHIPPED") == {waiting, shipped}
        assert await ids("DELIVERED") == set()
        bad = await tenant.client.get("/v1/receipts", params={"order_status": "EMPTY_STRING"})
        assert bad.status_code == 422

    async def test_exports_carry_the_order_status(self, tenant: Tenant) -> None:
        receipt_id = await placed(tenant.client, "O-9")
        csv = await tenant.client.get(
            "/v1/receipts/export.csv", params={"order_status": "PREPARED_SHIP"}
        )
        [row] = list(DictReader(io.StringIO(csv.text)))
        assert row["order_status"] == "PREPARED_SHIP"
        lines = await tenant.client.get("/v1/receipts/export.jsonl")
        [only] = [json.loads(line) for line in lines.text.splitlines()]
        assert (only["id"], only["order_status"]) == (receipt_id, "PREPARED_SHIP")


class TestItemIds:
    async def test_colliding_default_item_ids_are_422(self, tenant: Tenant) -> None:
        body = online_receipt("O-IDS")
        body["lines"][1]["sku"] = "1"  # line 1's sku is "100"; line 2 defaults to its sku "1"
        body["lines"][0]["sku"] = None  # ... and line 1 without a sku to its line_no, "1"
        receipt = await created(await tenant.client.post("/v1/receipts", json=body))
        path = f"/v1/receipts/{receipt['id']}/order"
        response = await tenant.client.post(path, json=order_body(items=[]))
        assert response.status_code == 422 and locs(response) == ["items"]
        named = order_body(items=[{"line_no": 1, "item_id": "tee"}])
        order = await created(await tenant.client.post(path, json=named))
        assert [i["item_id"] for i in order["items"]] == ["tee", "1"]
