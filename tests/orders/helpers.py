"""An online order as the tests place it: the seed's kitten t-shirts (2 × 15.00 USD, 5.00
shipping, 3.00 tax on top) plus a mug, through the real API."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.factories import created
from tillroll.kit.db import Database, run

ADDRESS = {
    "street_1": "25 Taylor str", "city": "San Francisco", "state": "CA",
    "postal_code": "94133", "country": "US",
}  # fmt: skip
ORIGIN = {"city": "Cleveland", "state": "OH", "postal_code": "44101", "country": "US"}
UPS = "1ZW098R40361231305"


def online_receipt(external_id: str, shirts: int = 2, mugs: int = 1) -> dict[str, Any]:
    lines = [
        {"sku": "100", "name": "Classic t-shirt", "quantity": str(shirts), "unit_price": 1500,
         "total": 1500 * shirts, "metadata": {"size": "L"}},
        {"sku": "200", "name": "Mug", "quantity": str(mugs), "unit_price": 800,
         "total": 800 * mugs},
    ]  # fmt: skip
    subtotal = 1500 * shirts + 800 * mugs
    return {
        "external_id": external_id, "type": "online", "issued_at": "2015-02-04T18:53:28Z",
        "currency": "USD", "prices_include_tax": False, "lines": lines, "subtotal": subtotal,
        "shipping_total": 500, "tax_total": 300, "total": subtotal + 800,
    }  # fmt: skip


def order_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_holder_name": "Matt Berman", "recipient_name": "Matt Berman",
        "shipping_address": ADDRESS, "shipping_method": "USPS", "payment_method": "Visa 1234",
        "order_url": "https://shop.example/orders/1",
        "items": [{"line_no": 1, "item_url": "https://shop.example/i/100",
                   "metadata": {"brand": "Comedy", "color": "White", "gender": ""}}],
    }  # fmt: skip
    body.update(changes)
    return body


def shipment_body(*items: tuple[int, int], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "carrier": "UPS", "tracking_number": UPS,
        "items": [{"line_no": line, "quantity": quantity} for line, quantity in items],
        "ship_date": "2015-03-31T18:03:17Z", "origin": ORIGIN,
        "destination": {**ADDRESS, "street_1": "1 Hacker Way", "city": "Menlo Park",
                        "postal_code": "94025"},
    }  # fmt: skip
    body.update(changes)
    return body


async def placed(client: httpx.AsyncClient, external_id: str = "O-1", **receipt: Any) -> str:
    """The id of a new online receipt carrying an order."""
    stored = await created(
        await client.post("/v1/receipts", json=online_receipt(external_id, **receipt))
    )
    await created(await client.post(f"/v1/receipts/{stored['id']}/order", json=order_body()))
    return str(stored["id"])


async def events(db: Database, merchant_id: uuid.UUID, kind: str) -> list[dict[str, Any]]:
    """The payloads of the merchant's events of type `kind`, oldest first (the outbox)."""
    rows = await run(
        db,
        lambda conn: conn.fetchall(
            "SELECT data FROM events WHERE merchant_id = :m AND type = :t ORDER BY id",
            {"m": merchant_id, "t": kind},
        ),
        write=False,
    )
    return [json.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]
