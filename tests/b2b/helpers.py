"""Invoices and payments made through the real API, for the b2b tests."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.factories import created, make_customer

_keys = itertools.count(1)


async def company(client: httpx.AsyncClient, external_id: str = "5707") -> Any:
    return await make_customer(client, external_id=external_id, first_name="Acme")


async def make_invoice(
    client: httpx.AsyncClient, customer_id: str, number: str, amount: int, currency: str = "USD"
) -> Any:
    body = {
        "invoice_number": number,
        "customer_id": customer_id,
        "currency": currency,
        "amount": amount,
    }
    return await created(await client.post("/v1/invoices", json=body))


def payment_body(
    customer_id: str, allocations: list[tuple[str, int]], currency: str = "USD", **more: Any
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "currency": currency,
        "total": sum(a for _, a in allocations),
        "allocations": [{"invoice_id": i, "amount": a} for i, a in allocations],
        **more,
    }


async def pay(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """POST the payment with a fresh Idempotency-Key."""
    return await client.post(
        "/v1/payments", json=body, headers={"Idempotency-Key": f"pay-{next(_keys)}"}
    )


async def balance(client: httpx.AsyncClient, invoice_id: str) -> tuple[int, str]:
    invoice = (await client.get(f"/v1/invoices/{invoice_id}")).json()
    return invoice["open_balance"], invoice["status"]


async def b2b_world(api: httpx.AsyncClient, customer_id: str) -> dict[str, list[str]]:
    """An invoice paid by a payment: its receipt and line (by id, and by number for the
    BigCommerce facade)."""
    body = {"invoice_number": "F-1", "customer_id": customer_id, "currency": "EUR", "amount": 500}
    invoice = (await api.post("/v1/invoices", json=body)).json()
    allocation = {"invoice_id": invoice["id"], "amount": 100}
    pay = {"customer_id": customer_id, "currency": "EUR", "total": 100, "allocations": [allocation]}
    paid = await api.post("/v1/payments", json=pay, headers={"Idempotency-Key": "fuzz-pay"})
    payment = paid.json()
    receipt = (await api.get(f"/v1/payment-receipts/{payment['receipt_id']}")).json()
    line = (await api.get(f"/v1/payment-receipts/{receipt['id']}/lines")).json()["data"][0]
    return {
        "invoice_id": [invoice["id"], str(invoice["number"])],
        "payment_id": [payment["id"], str(payment["number"])],
        "payment_receipt_id": [receipt["id"]],
        "line_id": [line["id"], str(line["number"])],
    }
