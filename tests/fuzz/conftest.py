"""The fuzzer's world: the real app on the test database, one tenant with real objects, and
the request counts printed at the end of the run (`make fuzz` runs the long profile)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, settings

from tests.b2b.helpers import b2b_world
from tests.conftest import new_tenant
from tests.factories import receipt
from tests.orders.helpers import online_receipt, order_body, shipment_body
from tests.values.helpers import make_value_world
from tillroll.kit.db import Database

COUNTS: Counter[str] = Counter()
"""Requests sent and answers by class, for the summary line."""

_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
           HealthCheck.data_too_large, HealthCheck.filter_too_much]  # fmt: skip
settings.register_profile("ci", max_examples=8, deadline=None, suppress_health_check=_CHECKS)
settings.register_profile("long", max_examples=400, deadline=None, suppress_health_check=_CHECKS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass
class World:
    """A tenant's client and the ids of its objects, plus credentials that are not valid."""

    client: httpx.AsyncClient
    key: str
    ids: dict[str, list[str]]
    session: str
    number: int

    @property
    def credentials(self) -> list[dict[str, str]]:
        bad = ["", "Bearer tr_sk_" + "x" * 43, "Bearer tr_ss_AAAA.BBBB", "Basic dXNlcjpw",
               "Bearer " + "9" * 5000, "bearer", "Bearer tr_ss_" + "%" * 40]  # fmt: skip
        return [{"Authorization": f"Bearer {self.session}"}] + [
            {"Authorization": b} if b else {} for b in bad
        ]


@pytest.fixture(scope="session")
async def world(app, db: Database) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tillroll.test") as c:
        tenant = await new_tenant(db, c, "Fuzz")
        api = tenant.client
        branch = (await api.post("/v1/branches", json={"code": "F1", "name": "F"})).json()
        customer = (
            await api.post("/v1/customers", json={"member_number": "4711", "external_id": "4711"})
        ).json()
        product = (await api.post("/v1/products", json={"external_id": "S", "name": "P"})).json()
        stored = (await api.post("/v1/receipts", json=receipt("FUZZ-1"))).json()
        spare = (await api.post("/v1/keys", json={"name": "spare"})).json()
        session = await api.post(f"/v1/customers/{customer['id']}/sessions", json={})
        wallet = (
            await api.post(f"/v1/customers/{customer['id']}/wallets", json={"kind": "credit"})
        ).json()
        credit = await api.post(f"/v1/wallets/{wallet['id']}/entries", json={"amount": 500},
                                headers={"Idempotency-Key": "fuzz-credit"})  # fmt: skip
        code = await api.post(f"/v1/customers/{customer['id']}/redemptions",
                              json={"wallet": wallet["id"], "amount": 100})  # fmt: skip
        online = (await api.post("/v1/receipts", json=online_receipt("FUZZ-WEB"))).json()
        await api.post(f"/v1/receipts/{online['id']}/order", json=order_body())
        path = f"/v1/receipts/{online['id']}/shipments"
        shipment = (await api.post(path, json=shipment_body((1, 1)))).json()
        gone = {"external_id": "GONE", "name": "Sold out", "available": False}
        sold_out = (await api.post("/v1/products", json=gone)).json()
        path = f"/v1/products/{sold_out['id']}/subscriptions"
        subscription = (await api.post(path, json={"email": "f@example.com"})).json()
        event = (await api.get("/v1/events")).json()["data"][0]
        hook = {"url": "http://127.0.0.1:9/hook", "events": ["receipt.created"]}
        endpoint = (await api.post("/v1/webhook-endpoints", json=hook)).json()
        b2b = await b2b_world(api, customer["id"])
        values = await make_value_world(api)
        ladder = {"name": "Fuzz", "levels": [{"name": "M", "threshold": 0}]}
        programme = (await api.post("/v1/loyalty-levels", json=ladder)).json()
        campaign = (await api.post("/v1/campaigns", json={"title": "F", "kind": "percent_back",
                                                          "percent": "5"})).json()  # fmt: skip
        ids = {
            **{name: [value] for name, value in values.items()},
            "id": [customer["id"], product["id"], *values.values()],  # the Paid facade's ids
            "external_id": ["cust-1", "S"],
            "slug": ["cost-saved"],
            "branch_id": [branch["id"]], "customer_id": [customer["id"]],
            "product_id": [product["id"], sold_out["id"]],
            "receipt_id": [stored["id"], str(stored["number"]), online["id"], "FUZZ-WEB"],
            "key_id": [spare["id"]], "event_id": [event["id"]],
            "endpoint_id": [endpoint["id"]], **b2b, "wallet_id": [wallet["id"]],
            "entry_id": [credit.json()["id"]], "code": [code.json()["code"]], "member_id": ["4711"],
            "shipment_id": [shipment["id"]],
            "subscription_id": [subscription["id"]], "programme_id": [programme["id"]],
            "campaign_id": [campaign["id"]],
        }  # fmt: skip
        yield World(api, tenant.key, ids, session.json()["token"], tenant.number)
        await api.aclose()


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if COUNTS["requests"]:
        url = os.environ.get("TILLROLL_TEST_DATABASE_URL", "sqlite")
        where = "postgresql" if url.startswith("postgres") else "sqlite"
        classes = ", ".join(f"{COUNTS[c]} {c}" for c in ("2xx", "3xx", "4xx", "5xx"))
        terminalreporter.write_line(
            f"fuzz ({where}): {COUNTS['requests']} requests: {classes}; "
            f"slowest {COUNTS['slowest_ms']} ms"
        )
        for name, count in COUNTS.items():
            if name.startswith("over"):
                terminalreporter.write_line(f"fuzz: {count} × {name}")
