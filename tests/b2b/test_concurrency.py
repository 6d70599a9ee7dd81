"""Concurrent payments against one invoice that together exceed its balance: exactly those
that fit succeed. Two real servers (each its own database connections, as two processes
would have) take the payments at once over HTTP."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import httpx

from tests.b2b.helpers import balance, company, make_invoice, payment_body
from tests.conftest import Tenant
from tests.live import serving
from tillroll.app import create_app
from tillroll.config import Settings


async def test_concurrent_payments_never_over_allocate(tenant: Tenant, settings: Settings) -> None:
    acme = await company(tenant.client)
    invoice = await make_invoice(tenant.client, acme["id"], "INV-HOT", 10000)
    other = await make_invoice(tenant.client, acme["id"], "INV-COLD", 100000)
    # each pays 3000 of the hot invoice and 100 of another: 3 fit, the rest must be refused
    body = payment_body(acme["id"], [(other["id"], 100), (invoice["id"], 3000)])
    with ExitStack() as stack:
        urls = [stack.enter_context(serving(create_app(settings))) for _ in range(2)]
        clients = [
            httpx.AsyncClient(base_url=url, headers=tenant.client.headers, timeout=60)
            for url in urls
        ]
        try:
            responses = await asyncio.gather(
                *(
                    clients[n % 2].post(
                        "/v1/payments", json=body, headers={"Idempotency-Key": f"race-{n}"}
                    )
                    for n in range(10)
                )
            )
        finally:
            for client in clients:
                await client.aclose()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [422] * 7, [r.text for r in responses]
    assert all("INV-HOT" in r.text for r in responses if r.status_code == 422)
    assert await balance(tenant.client, invoice["id"]) == (1000, "partially_paid")
    assert await balance(tenant.client, other["id"]) == (99700, "partially_paid")
    lines = await tenant.client.get(
        "/v1/payment-receipt-lines", params={"invoice_id": invoice["id"]}
    )
    assert lines.json()["meta"]["totals"] == [{"currency": "USD", "amount": 9000}]
