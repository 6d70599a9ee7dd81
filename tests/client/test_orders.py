"""Orders, updates, revisions, shipments, tracking and back in stock through the client,
against a real server (the back-in-stock worker driven on the same database)."""

from __future__ import annotations

import pytest

from tests.orders.helpers import UPS, online_receipt, order_body, shipment_body
from tillroll.client import AsyncTillroll, ConflictError, NotFoundError, Tillroll
from tillroll.jobs import worker
from tillroll.kit.db import Database
from tillroll.orders.schemas import Order, Revision, Shipment, TrackingEventIn


def _placed(api: Tillroll, external_id: str = "O-1") -> str:
    receipt = api.receipts.create(online_receipt(external_id))
    order = api.orders.place(receipt.id, order_body())
    assert isinstance(order, Order) and order.status == "PREPARED_SHIP"
    return str(receipt.id)


def test_updates_and_revisions(api: Tillroll) -> None:
    receipt_id = _placed(api)
    change = {"update_type": "update_quantity", "items": [{"line_no": 1, "quantity": 1}],
              "timestamp": "2015-02-05T10:00:00Z", "update_id": "u-1",
              "subtotal": 2300, "total": 3100}  # fmt: skip
    revision = api.orders.update(receipt_id, change)
    assert isinstance(revision, Revision) and revision.revision == 1
    assert revision.totals_before is not None and revision.totals_before.total == 4600
    assert (revision.totals_after.total, revision.totals_after.shipping_total) == (3100, 500)
    assert api.orders.update(receipt_id, change) == revision  # the same update_id: applied once
    assert [r.update_type for r in api.orders.revisions(receipt_id).data] == [
        "placed", "update_quantity",
    ]  # fmt: skip
    assert api.orders.get(receipt_id).totals.total == revision.totals_after.total


def test_shipments_and_tracking(api: Tillroll) -> None:
    receipt_id = _placed(api)
    shipment = api.shipments.create(receipt_id, shipment_body((1, 2)))
    assert isinstance(shipment, Shipment) and shipment.tracking_number == UPS
    assert shipment.tracking_url and UPS in shipment.tracking_url
    assert api.orders.get(receipt_id).status == "PARTIALLY_SHIPPED"
    with pytest.raises(ConflictError):
        api.shipments.create(receipt_id, shipment_body((1, 1)))  # both shirts already shipped
    tracked = api.shipments.add_event(
        shipment.id, TrackingEventIn(status="delivered", raw_text="Left at front door")
    )
    assert tracked.status == "delivered" and tracked.events[-1].raw_text == "Left at front door"
    assert api.shipments.get(shipment.id) == tracked
    assert [s.id for s in api.shipments.list(receipt_id).data] == [shipment.id]
    with pytest.raises(NotFoundError):
        api.shipments.get("0190a000-0000-7000-8000-000000000000")


async def test_back_in_stock(async_api: AsyncTillroll, db: Database) -> None:
    await async_api.back_in_stock.set_settings({"landing_url": "https://shop.example/back"})
    assert (await async_api.back_in_stock.get_settings()).landing_url == "https://shop.example/back"
    product = await async_api.products.create(
        {"external_id": "TEE", "name": "T-shirt", "available": False}
    )
    ann = await async_api.back_in_stock.subscribe(product.id, {"email": "ann@example.com"})
    again = await async_api.back_in_stock.subscribe(product.id, {"email": "ann@example.com"})
    assert again.id == ann.id and ann.status == "open"
    bob = await async_api.back_in_stock.subscribe(product.id, {"email": "bob@example.com"})
    await async_api.back_in_stock.unsubscribe(product.id, bob.id)
    result = await async_api.back_in_stock.restock(product.id, {"price": 1500, "currency": "USD"})
    assert result.available and result.notifying == 1
    await worker.run_once(db)
    notified = await async_api.back_in_stock.get_subscription(product.id, ann.id)
    assert notified.status == "notified"
    cancelled = await async_api.back_in_stock.get_subscription(product.id, bob.id)
    assert cancelled.status == "cancelled"
