"""An online order's status and shipments on its receipt's documents (through orders/)."""

from __future__ import annotations

from tests.conftest import Tenant
from tests.documents.samples import world_receipt
from tests.documents.test_endpoints import pdf_text
from tests.factories import created, make_receipt
from tests.orders.helpers import UPS, placed, shipment_body


async def shipped_order(tenant: Tenant) -> tuple[str, str]:
    """An order with one of its two t-shirts shipped by UPS: (receipt id, shipment id)."""
    receipt_id = await placed(tenant.client)
    shipment = await created(
        await tenant.client.post(
            f"/v1/receipts/{receipt_id}/shipments",
            json=shipment_body((1, 1), tracking_url=f"https://ups.example/track/{UPS}"),
        )
    )
    return receipt_id, str(shipment["id"])


async def test_order_status_and_shipments_are_on_the_pdf_and_the_page(tenant: Tenant) -> None:
    receipt_id, _ = await shipped_order(tenant)
    pdf = pdf_text((await tenant.client.get(f"/v1/receipts/{receipt_id}.pdf?lang=nl")).content)
    for shown in ("Status bestelling", "Deels verzonden", "Zendingen", "UPS", UPS,
                  "1 × Classic t-shirt", "Aangemeld", "Verzonden 31 mrt 2015"):  # fmt: skip
        assert shown in pdf, shown
    page = (await tenant.client.get(f"/v1/receipts/{receipt_id}.html?size=80mm")).text
    for shown in ("Order status", "Partly shipped", "Label created", "1 × Classic t-shirt",
                  f'<a href="https://ups.example/track/{UPS}">{UPS}</a>'):  # fmt: skip
        assert shown in page, shown


async def test_a_tracking_update_renders_a_new_revision(tenant: Tenant) -> None:
    receipt_id, shipment_id = await shipped_order(tenant)
    path = f"/v1/receipts/{receipt_id}.pdf?lang=de"
    before = pdf_text((await tenant.client.get(path)).content)
    assert "Sendung angemeldet" in before and "Zugestellt" not in before
    tracked = await tenant.client.post(
        f"/v1/shipments/{shipment_id}/events",
        json={"status": "delivered", "occurred_at": "2015-04-02T09:00:00Z"},
    )
    assert tracked.status_code == 201, tracked.text
    after = pdf_text((await tenant.client.get(path)).content)
    assert "Zugestellt" in after and "Teilweise versandt" in after  # one mug still to ship


async def test_a_receipt_without_an_order_shows_none(tenant: Tenant) -> None:
    receipt = await make_receipt(tenant.client, world_receipt())
    pdf = pdf_text((await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf")).content)
    page = (await tenant.client.get(f"/v1/receipts/{receipt['id']}.html")).text
    assert "Order status" not in pdf and "Order status" not in page
