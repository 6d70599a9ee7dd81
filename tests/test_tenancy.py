"""Every endpoint that takes an id answers another tenant's object with 404 and leaves it alone.

The endpoints are enumerated from the app, so a new one is covered (or fails here, asking for
a factory for its path parameter or a sample body) without anyone remembering to add it.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from tests.b2b.helpers import b2b_world
from tests.conftest import Tenant
from tests.factories import (
    created,
    make_branch,
    make_customer,
    make_key,
    make_product,
    make_receipt,
    simple_receipt,
)
from tests.orders.helpers import order_body, shipment_body
from tests.values.helpers import make_value_world, value_snapshot
from tillroll.app import endpoints
from tillroll.kit.http import Endpoint

# Native endpoints; the compat facades have their systems' own ids and error envelopes, and
# their tenancy is tested beside them (tests/compat/).
WITH_IDS = [e for e in endpoints() if e.path_params and not e.path.startswith("/compat/")]

# Bodies valid for the caller (tenant A), so that only tenancy can refuse the request.
SAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/v1/branches/{branch_id}"): {"name": "Hijacked", "code": "HIJACK"},
    ("PATCH", "/v1/customers/{customer_id}"): {"first_name": "Hijacked", "member_number": "X"},
    ("PATCH", "/v1/products/{product_id}"): {"name": "Hijacked"},
    ("POST", "/v1/receipts/{receipt_id}/claim"): {"customer": {"member_number": "A-MEMBER"}},
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/redeliver"): {"since": "2020-01-01T00:00:00Z"},
    ("PATCH", "/v1/invoices/{invoice_id}"): {"external_id": "HIJACK"},
    ("PATCH", "/v1/payments/{payment_id}"): {"memo": "Hijacked"},
    ("PUT", "/v1/payments/{payment_id}/processing-status"): {"processing_status": 4},
    ("POST", "/v1/payments/{payment_id}/operations"): {"operation": "revert"},
    ("PUT", "/v1/payments/{payment_id}/allocations"): {
        "total": 1,
        "allocations": [{"invoice_id": "00000000-0000-7000-8000-000000000000", "amount": 1}],
    },
    ("POST", "/v1/customers/{customer_id}/wallets"): {"kind": "points"},
    ("POST", "/v1/wallets/{wallet_id}/entries"): {"amount": 1},
    ("POST", "/v1/customers/{customer_id}/redemptions"): {"amount": 1},
    ("POST", "/v1/receipts/{receipt_id}/order"): order_body(),
    ("POST", "/v1/receipts/{receipt_id}/updates"): {
        "update_type": "cancel_item", "items": [{"line_no": 1, "quantity": 1}],
        "timestamp": "2026-12-01T09:00:00Z",
    },
    ("POST", "/v1/receipts/{receipt_id}/shipments"): shipment_body(
        (1, 1), carrier="DHL", tracking_number=None
    ),
    ("POST", "/v1/shipments/{shipment_id}/events"): {"status": "in_transit"},
    ("POST", "/v1/products/{product_id}/subscriptions"): {"email": "hijack@example.com"},
    ("PATCH", "/v1/campaigns/{campaign_id}"): {"title": "Hijacked"},
    ("PATCH", "/v1/loyalty-levels/{programme_id}"): {"name": "Hijacked"},
}  # fmt: skip


HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["receipt.created"]}


def _id(endpoint: Endpoint) -> str:
    return f"{endpoint.method} {endpoint.path}"


def sample_body(endpoint: Endpoint) -> dict[str, Any] | None:
    if endpoint.body is None:
        return None
    body = SAMPLE_BODIES.get((endpoint.method, endpoint.path))
    if body is None:
        try:
            msgspec.convert({}, endpoint.body)
        except msgspec.ValidationError:
            pytest.fail(f"add a valid sample body for {_id(endpoint)} to SAMPLE_BODIES")
        body = {}
    return body


class World:
    """One object of every kind under a tenant, and a way to read them all back."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.ids: dict[str, str] = {}

    async def build(self) -> World:
        client = self.tenant.client
        branch = await make_branch(client, "B-OWN")
        customer = await make_customer(client, member_number="B-MEMBER", external_id="B-EXT")
        product = await make_product(client, "B-SKU", available=False)
        # an anonymous online receipt with an order, one shipment, one back-in-stock subscriber
        anonymous = await make_receipt(
            client, simple_receipt("B-ANON", branch={"code": "B-OWN"}, type="online")
        )
        order = f"/v1/receipts/{anonymous['id']}"
        await client.post(f"{order}/order", json=order_body(items=[]))
        shipment = await client.post(f"{order}/shipments", json=shipment_body((1, 1)))
        subscription = await client.post(
            f"/v1/products/{product['id']}/subscriptions", json={"email": "b@example.com"}
        )
        await make_receipt(client, simple_receipt("B-OWNED", customer={"id": customer["id"]}))
        key = await make_key(client, "read")
        b2b = await b2b_world(client, customer["id"])
        wallet = await created(
            await client.post(f"/v1/customers/{customer['id']}/wallets", json={"kind": "credit"})
        )
        debit_body = {"amount": -10}
        path = f"/v1/wallets/{wallet['id']}/entries"
        await client.post(path, json={"amount": 100}, headers={"Idempotency-Key": "t-credit"})
        debit = await created(
            await client.post(path, json=debit_body, headers={"Idempotency-Key": "t-debit"})
        )
        code = await created(
            await client.post(
                f"/v1/customers/{customer['id']}/redemptions",
                json={"wallet": wallet["id"], "amount": 20},
            )
        )
        value_ids = await make_value_world(client)
        ladder = {"name": "B", "levels": [{"name": "M", "threshold": 0}]}
        programme = await created(await client.post("/v1/loyalty-levels", json=ladder))
        campaign = await created(
            await client.post("/v1/campaigns", json={"title": "B", "kind": "percent_back",
                                                     "percent": "5"})
        )  # fmt: skip
        self.ids = {
            **{name: values[0] for name, values in b2b.items()},
            **value_ids,
            "branch_id": branch["id"],
            "customer_id": customer["id"],
            "product_id": product["id"],
            "receipt_id": anonymous["id"],
            "key_id": key["id"],
            "shipment_id": shipment.json()["id"],
            "subscription_id": subscription.json()["id"],
            "event_id": (await client.get("/v1/events")).json()["data"][0]["id"],
            "endpoint_id": (await client.post("/v1/webhook-endpoints", json=HOOK)).json()["id"],
            "wallet_id": wallet["id"],
            "entry_id": debit["id"],
            "code": code["code"],
            "programme_id": programme["id"],
            "campaign_id": campaign["id"],
        }
        return self

    async def snapshot(self) -> dict[str, Any]:
        client = self.tenant.client
        ids = self.ids
        keys = (await client.get("/v1/keys")).json()["data"]
        return {
            "branch": (await client.get(f"/v1/branches/{ids['branch_id']}")).json(),
            "customer": (await client.get(f"/v1/customers/{ids['customer_id']}")).json(),
            "product": (await client.get(f"/v1/products/{ids['product_id']}")).json(),
            "receipts": (await client.get("/v1/receipts")).json(),
            "order": (await client.get(f"/v1/receipts/{ids['receipt_id']}/order")).json(),
            "revisions": (await client.get(f"/v1/receipts/{ids['receipt_id']}/revisions")).json(),
            "shipments": (await client.get(f"/v1/receipts/{ids['receipt_id']}/shipments")).json(),
            "subscription": (
                await client.get(
                    f"/v1/products/{ids['product_id']}/subscriptions/{ids['subscription_id']}"
                )
            ).json(),
            "customers": (await client.get("/v1/customers")).json(),
            "webhooks": (await client.get("/v1/webhook-endpoints")).json(),
            "invoices": (await client.get("/v1/invoices")).json(),
            "payments": (await client.get("/v1/payments")).json(),
            "payment receipt lines": (await client.get("/v1/payment-receipt-lines")).json(),
            "keys": [{k: v for k, v in key.items() if k != "last_used_at"} for key in keys],
            "wallet": (await client.get(f"/v1/wallets/{ids['wallet_id']}")).json(),
            "entries": (await client.get(f"/v1/wallets/{ids['wallet_id']}/entries")).json(),
            "code": (await client.get(f"/v1/redemptions/{ids['code']}")).json(),
            "values": await value_snapshot(client, ids),
            "loyalty": (await client.get("/v1/loyalty-levels")).json(),
            "campaign": (await client.get(f"/v1/campaigns/{ids['campaign_id']}")).json(),
        }

    def path(self, endpoint: Endpoint) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.ids:
                pytest.fail(f"no factory for path parameter {name!r} of {_id(endpoint)}")
            return self.ids[name]

        return re.sub(r"\{(\w+)\}", value, endpoint.path)


def test_the_id_endpoints_are_found() -> None:
    found = {_id(e) for e in WITH_IDS}
    assert {
        "GET /v1/receipts/{receipt_id}",
        "DELETE /v1/branches/{branch_id}",
        "POST /v1/customers/{customer_id}/sessions",
        "DELETE /v1/keys/{key_id}",
    } <= found


@pytest.mark.parametrize("endpoint", WITH_IDS, ids=_id)
async def test_another_tenants_object_is_404_and_unchanged(
    endpoint: Endpoint, tenant: Tenant, other: Tenant
) -> None:
    # the caller has objects of its own that a request could be confused with
    await make_customer(tenant.client, member_number="A-MEMBER")
    await make_branch(tenant.client, "A-OWN")
    theirs = await World(other).build()
    before = await theirs.snapshot()
    response = await tenant.client.request(
        endpoint.method, theirs.path(endpoint), json=sample_body(endpoint)
    )
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    assert await theirs.snapshot() == before
    # the object is still the other tenant's to use
    assert (await other.client.get(f"/v1/receipts/{theirs.ids['receipt_id']}")).status_code == 200


@pytest.mark.parametrize("endpoint", WITH_IDS, ids=_id)
async def test_own_object_is_not_404(endpoint: Endpoint, tenant: Tenant) -> None:
    """The control: the same request on the caller's own object gets past the lookup."""
    await make_customer(tenant.client, member_number="A-MEMBER")
    mine = await World(tenant).build()
    response = await tenant.client.request(
        endpoint.method, mine.path(endpoint), json=sample_body(endpoint)
    )
    assert response.status_code != 404, response.text
    assert response.status_code < 500


@pytest.mark.parametrize("endpoint", WITH_IDS, ids=_id)
async def test_malformed_id_is_404(endpoint: Endpoint, tenant: Tenant) -> None:
    path = re.sub(r"\{\w+\}", "not-a-uuid", endpoint.path)
    response = await tenant.client.request(endpoint.method, path, json=sample_body(endpoint))
    assert response.status_code == 404, response.text
