"""Workers and deliveries: a worker killed mid-delivery (a real `tillroll worker` process)
leaves the event to be delivered after its lease, at most once more; concurrent workers on
one database never deliver to one endpoint at once nor one message twice; a slow receiver
never delays a request."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Tenant
from tests.webhooks.conftest import branches, drain, subscribe
from tests.webhooks.receiver import Receiver
from tillroll.jobs import worker
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, open_database, run

TILLROLL = Path(sys.executable).with_name("tillroll")


async def _end_leases(db: Database, tenant: Tenant) -> None:
    """What the passing of the leases does (the job's and the endpoint's), without waiting."""
    past = utc_now() - timedelta(seconds=1)

    async def work(conn: Connection) -> None:
        params = {"m": tenant.id, "t": past}
        await conn.execute(
            "UPDATE jobs SET run_at = :t WHERE merchant_id = :m AND status = 'pending'", params
        )
        await conn.execute(
            "UPDATE webhook_endpoints SET drain_until = :t WHERE merchant_id = :m", params
        )

    await run(db, work, write=True)


async def test_a_worker_killed_mid_delivery_delivers_after_restart(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.mode = "hang"  # takes the request, never answers
    await subscribe(tenant, receiver.url(), "branch.created")
    [code] = await branches(tenant, 1)
    env = {**os.environ, "TILLROLL_DATABASE_URL": db.url, "TILLROLL_DEV_MODE": "1"}
    process = subprocess.Popen(
        [str(TILLROLL), "worker", "--poll", "0.05"], env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while not receiver.received:
            assert time.monotonic() < deadline and process.poll() is None, "no delivery"
            await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    receiver.mode = "ok"
    await worker.run_once(db)
    assert receiver.delivered() == []  # the dead worker's leases still hold
    await _end_leases(db, tenant)
    await drain(db, lambda: len(receiver.delivered()) == 1)
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert json.loads(again.body)["data"]["code"] == code
    await asyncio.sleep(0.05)
    await worker.run_once(db)
    assert len(receiver.received) == 2  # at most once more


@pytest.fixture
async def others(db: Database) -> AsyncIterator[list[Database]]:
    """Two more connection sets to the database, as two more processes hold."""
    opened = [open_database(db.url, pool_size=5) for _ in range(2)]
    for database in opened:
        await database.connect()
    yield opened
    for database in opened:
        await database.close()


async def test_workers_never_share_an_endpoint_or_a_message(
    db: Database, tenant: Tenant, receiver: Receiver, others: list[Database]
) -> None:
    for path in ("/a", "/b", "/c"):
        await subscribe(tenant, receiver.url(path), "branch.created")
    await branches(tenant, 20)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(receiver.delivered()) < 60:
        assert loop.time() < deadline
        await asyncio.gather(*(worker.run_once(d) for d in (db, *others, db)))
        await asyncio.sleep(0.01)
    sent = Counter((r.path, r.headers["webhook-id"]) for r in receiver.received)
    assert len(sent) == 60 and set(sent.values()) == {1}
    assert receiver.max_in_flight == 1
    for path in ("/a", "/b", "/c"):
        codes = [json.loads(r.body)["data"]["code"] for r in receiver.delivered(path)]
        assert codes == sorted(codes)


async def test_a_slow_receiver_never_delays_a_request(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.mode, receiver.delay = "slow", 1.5
    await subscribe(tenant, receiver.url(), "branch.created")
    stop = asyncio.Event()
    task = asyncio.create_task(worker.serve(db, stop, poll=0.01))
    try:
        await branches(tenant, 1)
        deadline = time.monotonic() + 10
        while not receiver.in_flight.get("/hook"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await branches(tenant, 3, "C")
        listed = await tenant.client.get("/v1/branches")
        took = time.monotonic() - started
        assert listed.status_code == 200 and receiver.in_flight["/hook"] == 1
        assert took < 0.5, f"{took:.2f} s while a delivery was in flight"
    finally:
        stop.set()
        task.cancel()  # the slow deliveries still queued are not this test's
        with contextlib.suppress(asyncio.CancelledError):
            await task
