"""/v1/webhook-endpoints: create (the secret once), list, get, change, delete, rotate with
overlap, redeliver; the SSRF guard at creation; disabled after failing too long."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import Tenant
from tests.webhooks.conftest import branches, drain, subscribe
from tests.webhooks.receiver import Receiver
from tillroll.config import Settings
from tillroll.errors import InvalidInput
from tillroll.jobs import worker
from tillroll.kit.db import Database, run
from tillroll.webhooks import delivery
from tillroll.webhooks.schemas import WebhookEndpointCreate
from tillroll.webhooks.service import webhooks


async def test_the_secret_is_shown_once(tenant: Tenant) -> None:
    created = await subscribe(tenant, "http://127.0.0.1:9/a", "branch.created", description="d")
    assert created["secret"].startswith("whsec_") and created["enabled"]
    one = (await tenant.client.get(f"/v1/webhook-endpoints/{created['id']}")).json()
    listed = (await tenant.client.get("/v1/webhook-endpoints")).json()["data"]
    assert "secret" not in one and listed == [one]
    assert one == {k: v for k, v in created.items() if k != "secret"}


async def test_change_and_delete(tenant: Tenant) -> None:
    created = await subscribe(tenant, "http://127.0.0.1:9/a")
    url = f"/v1/webhook-endpoints/{created['id']}"
    changed = await tenant.client.patch(
        url, json={"events": ["customer.created", "branch.deleted"], "enabled": False}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["branch.deleted", "customer.created"]
    assert changed.json()["enabled"] is False
    assert (await tenant.client.delete(url)).status_code == 204
    assert (await tenant.client.get(url)).status_code == 404


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "ftp://example.com/x", "events": ["branch.created"]}, "url"),
        ({"url": "http://u:p@example.com/x", "events": ["branch.created"]}, "url"),
        ({"url": "https://example.com/x", "events": ["no.such"]}, "events[0]"),
        ({"url": "https://example.com/x", "events": []}, "events"),
    ],
)
async def test_bad_bodies_are_422(tenant: Tenant, body: dict[str, object], loc: str) -> None:
    response = await tenant.client.post("/v1/webhook-endpoints", json=body)
    assert response.status_code == 422, response.text
    assert loc in [e["loc"] for e in response.json()["errors"]]
    assert (await tenant.client.get("/v1/webhook-endpoints")).json()["data"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://no-such-host.invalid/hook",
    ],
)
async def test_private_addresses_are_refused_outside_dev_mode(
    db: Database, tenant: Tenant, url: str
) -> None:
    """As a server without TILLROLL_DEV_MODE sees it (the test app runs in dev mode)."""
    body = WebhookEndpointCreate(url=url, events=["branch.created"])
    with pytest.raises(InvalidInput) as refused:
        await run(db, lambda c: webhooks.create(c, tenant.id, body, dev_mode=False), write=True)
    assert refused.value.errors[0].loc == "url"
    assert Settings().dev_mode == 0  # off by default


async def test_a_public_address_is_accepted(db: Database, tenant: Tenant) -> None:
    body = WebhookEndpointCreate(url="https://93.184.215.14/hook", events=["branch.created"])
    created = await run(
        db, lambda c: webhooks.create(c, tenant.id, body, dev_mode=False), write=True
    )
    assert created.url == "https://93.184.215.14/hook"


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    created = await subscribe(tenant, receiver.url(), "branch.created")
    url = f"/v1/webhook-endpoints/{created['id']}/rotate-secret"
    rotated = (await tenant.client.post(url, json={"overlap_seconds": 3600})).json()
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_until"]
    await branches(tenant, 1)
    await drain(db, lambda: len(receiver.delivered()) == 1)
    got = receiver.delivered()[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (created["secret"], rotated["secret"]):
        Webhook(secret).verify(got.body, got.headers)
    again = (await tenant.client.post(url, json={"overlap_seconds": 0})).json()
    assert again["previous_secret_until"] is None
    await branches(tenant, 1, "C")
    await drain(db, lambda: len(receiver.delivered()) == 2)
    last = receiver.delivered()[1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    Webhook(again["secret"]).verify(last.body, last.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(rotated["secret"]).verify(last.body, last.headers)


async def test_redelivery_of_one_event_and_since_a_time(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    created = await subscribe(tenant, receiver.url(), "branch.created")
    await branches(tenant, 3)
    await drain(db, lambda: len(receiver.delivered()) == 3)
    first = receiver.delivered()[0].headers["webhook-id"]
    url = f"/v1/webhook-endpoints/{created['id']}/redeliver"
    one = await tenant.client.post(url, json={"event_id": first})
    assert one.json() == {"queued": 1}
    await drain(db, lambda: len(receiver.delivered()) == 4)
    assert receiver.delivered()[3].headers["webhook-id"] == first
    since = await tenant.client.post(url, json={"since": "2020-01-01T00:00:00Z"})
    assert since.json() == {"queued": 3}
    await drain(db, lambda: len(receiver.delivered()) == 7)
    for body in ({}, {"event_id": first, "since": "2020-01-01T00:00:00Z"},
                 {"event_id": "01935c2e-4b1a-7c3e-9a41-0c5d2f7e8a10"}):  # fmt: skip
        assert (await tenant.client.post(url, json=body)).status_code == 422


async def test_an_endpoint_failing_too_long_is_disabled_with_an_event(
    db: Database, tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "DISABLE_AFTER", timedelta(milliseconds=200))
    receiver.mode = "retry_after"  # 503
    monkeypatch.setattr(delivery, "RETRY_AFTER_CAP", timedelta(milliseconds=20))
    created = await subscribe(tenant, receiver.url(), "branch.created")
    await branches(tenant, 2)
    url = f"/v1/webhook-endpoints/{created['id']}"

    async def enabled() -> bool:
        return bool((await tenant.client.get(url)).json()["enabled"])

    for _ in range(300):
        await worker.run_once(db)
        if not await enabled():
            break
    state = (await tenant.client.get(url)).json()
    assert state["enabled"] is False and state["disabled_reason"].startswith("every delivery")
    events = await tenant.client.get("/v1/events", params={"type": "webhook_endpoint.disabled"})
    [event] = events.json()["data"]
    assert event["data"] == state
    receiver.mode = "ok"
    tried = len(receiver.received)
    await worker.run_once(db)
    assert len(receiver.received) == tried  # disabled: nothing is sent
    again = await tenant.client.patch(url, json={"enabled": True})
    assert again.json()["failing_since"] is None
    await drain(db, lambda: len(receiver.delivered()) == 2)
    assert [json.loads(r.body)["data"]["code"] for r in receiver.delivered()] == ["B-000", "B-001"]
