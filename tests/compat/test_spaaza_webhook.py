"""Spaaza's receipt webhook: a created receipt reaches a real local receiver in Spaaza's
receipt shape with HTTP basic auth, failures are retried, the password is never shown, and a
cleared URL stops deliveries."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import make_receipt, simple_receipt
from tests.webhooks.conftest import drain
from tests.webhooks.receiver import Receiver
from tillroll.jobs import worker
from tillroll.kit.db import Database

CONFIG = "/compat/spaaza/chain/webhook-config"
PASSWORD = "s3cret-pass"


pytestmark = pytest.mark.usefixtures("quick_retries")


async def configure(tenant: Tenant, url: str | None) -> dict[str, Any]:
    body = {
        "webhook_config_url": url,
        "webhook_config_basic_auth_user": "spaaza",
        "webhook_config_basic_auth_pass": PASSWORD,
    }
    response = await tenant.client.post(CONFIG, json=body)
    assert response.status_code == 200, response.text
    assert PASSWORD not in response.text
    return dict(response.json()["results"])


async def settle(db: Database) -> None:
    """Let every due or soon-due job run (retries are milliseconds apart here)."""
    for _ in range(10):
        await worker.run_once(db)
        await asyncio.sleep(0.06)


async def test_a_created_receipt_is_posted_with_basic_auth(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    chain = await configure(tenant, receiver.url())
    assert chain["webhook_config_url"] == receiver.url()
    assert chain["webhook_config_basic_auth_user"] == "spaaza"
    assert "webhook_config_basic_auth_pass" not in chain
    shown = await tenant.client.get("/compat/spaaza/chain")
    assert shown.status_code == 200 and PASSWORD not in shown.text
    assert shown.json()["results"] == chain
    stored = await make_receipt(tenant.client, simple_receipt("W-1"))

    await drain(db, lambda: bool(receiver.delivered()))

    (got,) = receiver.delivered()
    expected = base64.b64encode(f"spaaza:{PASSWORD}".encode()).decode()
    assert got.headers["authorization"] == f"Basic {expected}"
    sent = json.loads(got.body)
    answer = await tenant.client.get(f"/compat/spaaza/receipts/{stored['number']}")
    assert sent == answer.json()
    assert sent["id"] == stored["number"] and sent["chain"]["id"] == tenant.number
    await settle(db)
    assert len(receiver.received) == 1  # delivered once


async def test_a_failing_receiver_is_retried(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.mode = "redirect"  # 302: a failure (redirects are not followed)
    await configure(tenant, receiver.url())
    await make_receipt(tenant.client, simple_receipt("W-2"))
    await drain(db, lambda: len(receiver.received) >= 2)
    assert not receiver.delivered()
    receiver.mode = "ok"
    await drain(db, lambda: bool(receiver.delivered()))
    assert [r.status for r in receiver.received][-1] == 200
    assert all(r.path == "/hook" for r in receiver.received)  # never the redirect's target


async def test_clearing_the_url_stops_deliveries(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.mode = "redirect"
    await configure(tenant, receiver.url())
    await make_receipt(tenant.client, simple_receipt("W-3"))
    await drain(db, lambda: bool(receiver.received))
    cleared = await configure(tenant, None)
    assert cleared["webhook_config_url"] is None
    receiver.mode = "ok"
    await make_receipt(tenant.client, simple_receipt("W-4"))
    await settle(db)
    assert not receiver.delivered()  # the pending retry ended; the new receipt has no job


async def test_an_unsafe_url_is_refused_outside_dev_mode(
    tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await configure(tenant, receiver.url())
    monkeypatch.delenv("TILLROLL_DEV_MODE")
    body = {"webhook_config_url": "http://127.0.0.1:9/hook"}
    response = await tenant.client.post(CONFIG, json=body)
    assert response.status_code == 400, response.text
    assert "webhook_config_url" in response.text
    shown = await tenant.client.get("/compat/spaaza/chain")
    assert shown.json()["results"]["webhook_config_url"] == receiver.url()  # nothing changed


async def test_another_chains_receipts_are_not_posted(
    db: Database, tenant: Tenant, other: Tenant, receiver: Receiver
) -> None:
    await configure(tenant, receiver.url())
    await make_receipt(other.client, simple_receipt("W-5"))
    await settle(db)
    assert not receiver.received
