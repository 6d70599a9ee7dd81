"""Deliveries to real local receivers: signed per Standard Webhooks (verified by the
`standardwebhooks` package), at least once with one webhook-id, in order per endpoint,
retried with backoff, Retry-After honoured, a timeout per attempt, no redirects followed,
and a delivery log."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import Tenant
from tests.webhooks.conftest import branches, drain, subscribe
from tests.webhooks.receiver import Received, Receiver
from tillroll.jobs import worker
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Database, run
from tillroll.webhooks import delivery


def _codes(received: list[Received]) -> list[str]:
    return [json.loads(r.body)["data"]["code"] for r in received]


async def test_deliveries_are_signed_and_in_order(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = await subscribe(tenant, receiver.url(), "branch.created")
    assert endpoint["secret"].startswith("whsec_")
    codes = await branches(tenant, 5)
    await drain(db, lambda: len(receiver.delivered()) == 5)
    verifier = Webhook(endpoint["secret"])
    events = (await tenant.client.get("/v1/events", params={"type": "branch.created"})).json()
    for got, event in zip(receiver.delivered(), events["data"], strict=True):
        body = verifier.verify(got.body, got.headers)
        assert body == {"type": "branch.created", "timestamp": event["created_at"],
                        "data": event["data"]}  # fmt: skip
        assert got.headers["webhook-id"] == event["id"]
        assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    assert _codes(receiver.delivered()) == codes
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(receiver.received[0].body, receiver.received[0].headers)


async def test_only_subscribed_types_are_sent(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    await subscribe(tenant, receiver.url(), "customer.created")
    await branches(tenant, 2)
    await tenant.client.post("/v1/customers", json={"member_number": "M-1"})
    await drain(db, lambda: len(receiver.delivered()) == 1)
    await asyncio.sleep(0.05)
    await worker_round(db)
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["customer.created"]


async def worker_round(db: Database) -> None:
    await worker.run_once(db)


async def test_a_flaky_receiver_gets_everything_in_order(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    """30 % of answers are 500: every event arrives, retries keep their webhook-id, and the
    successful deliveries come in event order."""
    receiver.mode = "flaky"
    await subscribe(tenant, receiver.url(), "branch.created")
    codes = await branches(tenant, 40)
    await drain(db, lambda: len(receiver.delivered()) >= 40, seconds=30)
    assert _codes(receiver.delivered()) == codes
    by_id: dict[str, set[str]] = {}
    for r in receiver.received:
        by_id.setdefault(r.headers["webhook-id"], set()).add(json.loads(r.body)["data"]["code"])
    assert len(by_id) == 40 and all(len(v) == 1 for v in by_id.values())
    assert len(receiver.received) > 40  # some were retried
    assert receiver.max_in_flight == 1  # one at a time per endpoint


async def test_a_failure_is_retried_with_backoff_and_logged(
    db: Database, tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RETRY_BASE", timedelta(seconds=30))
    monkeypatch.setattr(delivery, "RETRY_CAP", timedelta(hours=1))
    receiver.mode = "redirect"  # a 302 is a failure: never followed
    endpoint = await subscribe(tenant, receiver.url(), "branch.created")
    await branches(tenant, 2)
    await drain(db, lambda: len(receiver.received) >= 1)
    await worker_round(db)
    assert [r.path for r in receiver.received] == ["/hook"]  # no redirect, no second event
    log = await tenant.client.get(f"/v1/webhook-endpoints/{endpoint['id']}/attempts")
    [attempt] = log.json()["data"]
    assert (attempt["status_code"], attempt["error"], attempt["attempt"]) == (302, "HTTP 302", 1)
    assert len(attempt["response_body"]) == 1000 and attempt["duration_ms"] >= 0
    state = (await tenant.client.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert state["failing_since"] is not None and state["enabled"]
    due = await _next_attempt(db, endpoint["id"])
    assert timedelta(seconds=14) < due - utc_now() <= timedelta(seconds=30)


async def _next_attempt(db: Database, endpoint_id: str):  # type: ignore[no-untyped-def]
    sql = (
        "SELECT next_attempt_at FROM webhook_messages "
        "WHERE endpoint_id = :e ORDER BY event_id LIMIT 1"
    )
    return await run(db, lambda c: c.fetchval(sql, {"e": endpoint_id}), write=False)


async def test_retry_after_is_honoured(db: Database, tenant: Tenant, receiver: Receiver) -> None:
    receiver.mode = "retry_after"
    endpoint = await subscribe(tenant, receiver.url(), "branch.created")
    await branches(tenant, 1)
    await drain(db, lambda: len(receiver.received) >= 1)
    due = await _next_attempt(db, endpoint["id"])
    assert timedelta(seconds=115) < due - utc_now() <= timedelta(seconds=120)


async def test_a_slow_receiver_times_out_then_gets_it(
    db: Database, tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "TIMEOUT", 0.3)
    receiver.mode, receiver.delay = "slow", 1.0
    endpoint = await subscribe(tenant, receiver.url(), "branch.created")
    await branches(tenant, 1)
    await drain(db, lambda: len(receiver.received) >= 1)
    receiver.mode = "ok"  # (the receiver's answer to the timed-out attempt comes too late)
    url = f"/v1/webhook-endpoints/{endpoint['id']}/attempts"
    for _ in range(200):
        log = (await tenant.client.get(url)).json()
        if log["data"][0]["status_code"] == 200:
            break
        await worker_round(db)
        await asyncio.sleep(0.02)
    first = log["data"][-1]
    assert first["status_code"] is None and first["error"].startswith("ReadTimeout")
    assert 250 <= first["duration_ms"] < 900
    assert log["data"][0]["status_code"] == 200


async def test_a_vanished_receiver_gets_it_when_back(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = await subscribe(tenant, receiver.url(), "branch.created")
    port = receiver.port
    receiver.stop()
    codes = await branches(tenant, 3)
    url = f"/v1/webhook-endpoints/{endpoint['id']}/attempts"

    async def failed() -> int:
        return len((await tenant.client.get(url)).json()["data"])

    for _ in range(100):
        if await failed() >= 2:
            break
        await worker_round(db)
        await asyncio.sleep(0.02)
    errors = {a["error"].split(":")[0] for a in (await tenant.client.get(url)).json()["data"]}
    assert errors == {"ConnectError"}
    back = Receiver().start(port)
    try:
        await drain(db, lambda: len(back.delivered()) == 3)
        assert _codes(back.delivered()) == codes
    finally:
        back.stop()


async def test_the_url_is_checked_again_at_delivery(
    db: Database, tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = await subscribe(tenant, receiver.url(), "branch.created")
    monkeypatch.setenv("TILLROLL_DEV_MODE", "0")
    await branches(tenant, 1)
    url = f"/v1/webhook-endpoints/{endpoint['id']}/attempts"
    for _ in range(50):
        await worker_round(db)
        if (await tenant.client.get(url)).json()["data"]:
            break
        await asyncio.sleep(0.02)
    [attempt] = (await tenant.client.get(url)).json()["data"][:1]
    assert attempt["error"].startswith("refused: the URL resolves to 127.0.0.1")
    assert receiver.received == []


@pytest.mark.parametrize(("header", "seconds"), [("120", 120), ("²", None), ("soon", None)])
def test_retry_after_reads_only_ascii_seconds_or_a_date(header: str, seconds: int | None) -> None:
    """A receiver's header is untrusted text: what is neither is no wait, never an error."""
    response = httpx.Response(503, headers=[(b"Retry-After", header.encode("latin-1"))])
    wait = delivery.retry_after(response, datetime.now(UTC))
    assert wait == (None if seconds is None else timedelta(seconds=seconds))
