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
