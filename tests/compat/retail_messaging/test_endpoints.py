from __future__ import annotations

import json
from typing import Any

import httpx

from tests.compat.retail_messaging.examples import (
    NOTIFY_ME,
    RECEIPT,
    SHIPMENT,
    UPDATE,
    UPDATE_AS_PUBLISHED,
)
from tests.conftest import Tenant
from tests.factories import make_product
from tests.orders.helpers import events
from tillroll.jobs import worker
from tillroll.kit.db import Database

BASE = "/compat/retail-messaging"


async def post(client: httpx.AsyncClient, kind: str, text: str) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    return await client.post(f"{BASE}/{kind}", content=text.encode(), headers=headers)


def fields(response: httpx.Response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


def changed(text: str, **changes: Any) -> str:
    doc = json.loads(text)
    doc.update(changes)
    return json.dumps(doc)


class TestSeedExamples:
    async def test_every_example_replays_in_order(self, tenant: Tenant) -> None:
        placed = await post(tenant.client, "retail_receipts", RECEIPT)
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert (order["receipt_id"], order["status"]) == ("meow0101021", "PREPARED_SHIP")
        assert [order[k] for k in ("subtotal", "shipping_cost", "total_tax", "total_cost")] == [
            "30.00", "5.00", "3.00", "38.00"
        ]  # fmt: skip
        assert order["items"] == [{"id": "100", "name": "Classic t-shirt wit Kitten",
                                   "price": "15.00", "quantity": "2", "ordered": "2",
                                   "shipped": "0"}]  # fmt: skip
        again = await post(tenant.client, "retail_receipts", RECEIPT)
        assert again.status_code == 200 and again.json() == order

        shipped = await post(tenant.client, "retail_shipments", SHIPMENT)
        assert shipped.status_code == 201, shipped.text
        [shipment] = shipped.json()["shipments"]
        assert shipped.json()["status"] == "SHIPPED"
        assert shipment["tracking_number"] == "1ZW098R40361231305"
        assert shipment["carrier_tracking_url"].startswith("http://www.ups.com/WebTracking")
        assert shipment["ship_date"] == "1427824997"

        updated = await post(tenant.client, "retail_updatereceipts", UPDATE)
        assert updated.status_code == 201, updated.text
        body = updated.json()
        assert [body[k] for k in ("subtotal", "shipping_cost", "total_tax", "total_cost")] == [
            "20.00", "5.00", "2.00", "27.00"
        ]  # fmt: skip
        last = body["revisions"][-1]
        assert (last["update_id"], last["timestamp"]) == ("update2", "1428444852")
        assert last["items"] == [{"id": "100", "quantity_before": "2", "quantity_after": "2"}]
        assert (await post(tenant.client, "retail_updatereceipts", UPDATE)).status_code == 200

        native = await tenant.client.get("/v1/receipts", params={"external_id": "meow0101021"})
        [receipt] = native.json()["data"]
        assert receipt["type"] == "online" and receipt["total"] == 3800
        assert receipt["payments"][0]["card_brand"] == "Visa"
        assert receipt["order_status"] == "SHIPPED"
        seen = await tenant.client.get(f"{BASE}/receipts/meow0101021")
        assert seen.status_code == 200 and seen.json() == body

    async def test_the_published_update_is_not_json(self, tenant: Tenant) -> None:
        await post(tenant.client, "retail_receipts", RECEIPT)
        response = await post(tenant.client, "retail_updatereceipts", UPDATE_AS_PUBLISHED)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_request"

    async def test_the_envelope_form(self, tenant: Tenant) -> None:
        body = {"type": "retail_receipts", "data": json.loads(RECEIPT)}
        response = await tenant.client.post(BASE, json=body)
        assert response.status_code == 201, response.text
        bad = await tenant.client.post(BASE, json={"type": "retail_nothing", "data": {}})
        assert bad.status_code == 422 and "type" in fields(bad)


class TestFieldErrors:
    async def test_every_missing_required_field_is_named(self, tenant: Tenant) -> None:
        doc = json.loads(RECEIPT)
        for name in ("account_holder_name", "recipient_name", "payment_method", "total_tax"):
            del doc[name]
        del doc["items"][0]["item_url"]
        del doc["structured_address"]["city"]
        response = await post(tenant.client, "retail_receipts", json.dumps(doc))
        assert response.status_code == 422
        assert set(fields(response)) == {
            "account_holder_name", "recipient_name", "payment_method", "total_tax",
            "items[0].item_url", "structured_address.city",
        }  # fmt: skip
        assert (await tenant.client.get(f"{BASE}/receipts/meow0101021")).status_code == 404

    async def test_receipt_name_is_the_tables_spelling(self, tenant: Tenant) -> None:
        doc = json.loads(RECEIPT)
        doc["receipt_name"] = doc.pop("recipient_name")
        response = await post(tenant.client, "retail_receipts", json.dumps(doc))
        assert response.status_code == 201, response.text
        both = changed(RECEIPT, receipt_name="Someone Else", receipt_id="x2")
        response = await post(tenant.client, "retail_receipts", both)
        assert response.status_code == 422 and "recipient_name" in fields(response)

    async def test_totals_are_checked_in_the_documents_names(self, tenant: Tenant) -> None:
        response = await post(
            tenant.client, "retail_receipts", changed(RECEIPT, total_cost="40.00")
        )
        assert response.status_code == 422
        message = fields(response)["total_cost"]
        assert "4000" in message and "3800" in message
        response = await post(tenant.client, "retail_receipts", changed(RECEIPT, subtotal="30.001"))
        assert response.status_code == 422 and "subtotal" in fields(response)

    async def test_unknown_receipt_and_unknown_item(self, tenant: Tenant) -> None:
        response = await post(tenant.client, "retail_shipments", SHIPMENT)
        assert response.status_code == 422 and "receipt_id" in fields(response)
        await post(tenant.client, "retail_receipts", RECEIPT)
        doc = json.loads(SHIPMENT)
        doc["items"] = [{"id": "999", "quantity": "1"}]
        response = await post(tenant.client, "retail_shipments", json.dumps(doc))
        assert response.status_code == 422
        assert "no item '999'" in fields(response)["items[0].id"]
        response = await post(
            tenant.client, "retail_updatereceipts", changed(UPDATE, items=[{"id": "7"}])
        )
        assert response.status_code == 422 and "items[0].id" in fields(response)

    async def test_over_shipment_and_bad_units(self, tenant: Tenant) -> None:
        await post(tenant.client, "retail_receipts", RECEIPT)
        too_many = changed(SHIPMENT, items=[{"id": "100", "quantity": "3"}])
        assert (await post(tenant.client, "retail_shipments", too_many)).status_code == 409
        lower = changed(SHIPMENT, weight_unit="lbs")
        response = await post(tenant.client, "retail_shipments", lower)
        assert response.status_code == 422 and "weight_unit" in fields(response)
        when = changed(SHIPMENT, ship_date="yesterday")
        response = await post(tenant.client, "retail_shipments", when)
        assert response.status_code == 422 and "ship_date" in fields(response)

    async def test_another_tenants_order_is_unknown(self, tenant: Tenant, other: Tenant) -> None:
        await post(tenant.client, "retail_receipts", RECEIPT)
        assert (await other.client.get(f"{BASE}/receipts/meow0101021")).status_code == 404
        response = await post(other.client, "retail_shipments", SHIPMENT)
        assert response.status_code == 422 and "receipt_id" in fields(response)


class TestNotifyMe:
    async def test_the_example_restocks_and_notifies_each_subscriber_once(
        self, tenant: Tenant, db: Database
    ) -> None:
        product = await make_product(tenant.client, "product123456789", name="Show",
                                     available=False)  # fmt: skip
        path = f"/v1/products/{product['id']}/subscriptions"
        for email in ("a@example.com", "b@example.com"):
            assert (await tenant.client.post(path, json={"email": email})).status_code == 201
        response = await post(tenant.client, "notifyme", NOTIFY_ME)
        assert response.status_code == 200, response.text
        assert response.json() == {"notification_id": "product123456789",
                                   "product_id": product["id"], "notifying": 2}  # fmt: skip
        await worker.run_once(db)
        sent = await events(db, tenant.id, "product.back_in_stock")
        assert sorted(e["email"] for e in sent) == ["a@example.com", "b@example.com"]
        assert {(e["name"], e["price"], e["currency"], e["url"]) for e in sent} == {
            ("New Comedy VS Nerds Show", 3500, "USD", "http://www.google.com")
        }
        assert sent[0]["metadata"] == {"brand": "ComedyVSNerds", "kitten": "true", "funny": "veery"}
        again = await post(tenant.client, "notifyme", NOTIFY_ME)
        assert again.json()["notifying"] == 0
        await worker.run_once(db)
        assert len(await events(db, tenant.id, "product.back_in_stock")) == 2

    async def test_an_unknown_product_is_created_in_stock(self, tenant: Tenant) -> None:
        body = {"type": "notifyme", "data": json.loads(NOTIFY_ME)}
        response = await tenant.client.post(BASE, json=body)
        assert response.status_code == 200 and response.json()["notifying"] == 0
        listed = (await tenant.client.get("/v1/products")).json()["data"]
        assert [(p["external_id"], p["available"], p["image_url"]) for p in listed] == [
            ("product123456789", True, "http://www.google.com/share5.png")
        ]

    async def test_missing_fields_are_named(self, tenant: Tenant) -> None:
        response = await post(tenant.client, "notifyme", json.dumps({"name": "x", "price": "1"}))
        assert response.status_code == 422
        assert set(fields(response)) == {
            "notification_id",
            "url",
            "thumb_url",
            "category",
            "currency",
        }
