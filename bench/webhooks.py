"""Webhook deliveries and the outbox's cost on ingest, each against a baseline of the same run.

README
    python -m bench.webhooks [--database-url URL] [--quick]

    Runtime: ~1 min (--quick ~30 s). In-process (the worker and the app), the receiver a
    uvicorn process of its own (`receiver_app` below: answers 200, or 500 to a share of
    requests, and records when each webhook-id arrived).

What runs, on fresh databases migrated by the migrations:
  * Deliveries/s: N events (`branch.created`) committed first, then the jobs worker
    (`run_once`) delivers them to one subscribed endpoint. Baseline: a bare httpx loop POSTing
    the same N bodies with the same headers to the same receiver, one after another (as
    Tillroll delivers to one endpoint: in order, one at a time).
  * Commit-to-delivery latency p50/p99: events committed one at a time, 50 a second, while
    `worker.serve` runs as inside `tillroll serve` (poll 0.5 s, and 0.05 s); from the commit's
    return to the receiver's arrival. Baseline: the bare loop's POST round trip.
  * 0 lost at 30 % failures: N events to a receiver answering 500 to 30 % of requests (retries
    10 ms apart for the run): every event arrives.
  * Ingest cost: single-receipt POSTs (in-process ASGI, sequential) and batches of 100, with
    one endpoint subscribed to `receipt.created` vs none (worker stopped: the outbox writes
    only). Target: with one endpoint >= 0.85 of none.
  Each figure is the median of 3 runs; ratios are Tillroll / baseline.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench._common import figure, fresh_database, parser, percentile, server
from bench._receipt import batch_body, body
from tillroll.app import create_app
from tillroll.branches.schemas import BranchCreate
from tillroll.branches.service import branch as branch_service
from tillroll.config import Settings
from tillroll.jobs import worker
from tillroll.kit.db import Database, open_database, run
from tillroll.kit.migrate import migrate
from tillroll.merchants.service import merchant as merchant_service
from tillroll.webhooks import delivery
from tillroll.webhooks.schemas import WebhookEndpointCreate
from tillroll.webhooks.service import webhooks

RUNS = 3
_UNREACHED = "http://127.0.0.1:9/hook"  # subscribed, never delivered to: the outbox's cost only


def receiver_app() -> Starlette:
    """The receiver: 200 (or 500 to BENCH_FAIL of requests); `GET /arrivals` tells when each
    webhook-id first got a 200."""
    fail = float(os.environ.get("BENCH_FAIL", "0"))
    arrivals: dict[str, float] = {}

    async def hook(request: Request) -> Response:
        await request.body()
        if random.random() < fail:
            return Response(status_code=500)
        arrivals.setdefault(request.headers.get("webhook-id", ""), time.time())
        return Response(status_code=200)

    async def listing(_: Request) -> Response:
        return JSONResponse(arrivals)

    async def reset(_: Request) -> Response:
        arrivals.clear()
        return Response(status_code=204)

    async def health(_: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[
        Route("/hook", hook, methods=["POST"]), Route("/arrivals", listing),
        Route("/reset", reset, methods=["POST"]), Route("/health", health),
    ])  # fmt: skip


async def _setup(url: str, hook: str | None) -> tuple[Database, Any]:
    db = open_database(url, pool_size=10)
    await db.connect()
    await migrate(db)
    merchant, key = await run(db, lambda c: merchant_service.create(c, "Bench BV"), write=True)
    if hook is not None:
        body = WebhookEndpointCreate(url=hook, events=["branch.created", "receipt.created"])
        await run(db, lambda c: webhooks.create(c, merchant.id, body, dev_mode=True), write=True)
    return db, (merchant, key)


async def _emit(db: Database, merchant_id: Any, i: int) -> float:
    create = BranchCreate(code=f"B-{i}-{random.getrandbits(32)}", name="Bench")
    await run(db, lambda c: branch_service.create(c, merchant_id, create), write=True)
    return time.time()


async def _arrivals(http: httpx.AsyncClient, base: str) -> dict[str, float]:
    return dict((await http.get(base + "/arrivals")).json())


async def _wait_for(
    http: httpx.AsyncClient, base: str, count: int, work: Callable[[], Awaitable[Any]]
) -> None:
    deadline = time.monotonic() + 120
    while len(await _arrivals(http, base)) < count:
        assert time.monotonic() < deadline, "deliveries did not arrive"
        await work()


async def deliveries(url: str, base: str, n: int, *, bare: bool = True) -> tuple[float, float]:
    """(Tillroll deliveries/s, bare httpx loop POSTs/s) for n events."""
    db, (merchant, _) = await _setup(url, base + "/hook")
    async with httpx.AsyncClient() as http:
        await http.post(base + "/reset")
        for i in range(n):
            await _emit(db, merchant.id, i)
        started = time.perf_counter()
        await _wait_for(http, base, n, lambda: worker.run_once(db))
        tillroll = n / (time.perf_counter() - started)
        if not bare:
            await db.close()
            return tillroll, 0.0
        await http.post(base + "/reset")
        body = b'{"type":"branch.created","timestamp":"2026-12-02T00:00:00Z","data":{}}'
        started = time.perf_counter()
        for i in range(n):
            headers = {"webhook-id": f"bare-{i}", "webhook-timestamp": "0",
                       "webhook-signature": "v1,x", "content-type": "application/json"}  # fmt: skip
            (await http.post(base + "/hook", content=body, headers=headers)).raise_for_status()
        bare_rate = n / (time.perf_counter() - started)
    await db.close()
    return tillroll, bare_rate


async def latency(url: str, base: str, n: int, poll: float) -> tuple[float, float]:
    """(p50, p99) seconds from commit to arrival, events 50 a second, `worker.serve` running."""
    db, (merchant, _) = await _setup(url, base + "/hook")
    stop = asyncio.Event()
    task = asyncio.create_task(worker.serve(db, stop, poll=poll))
    committed = []
    async with httpx.AsyncClient() as http:
        await http.post(base + "/reset")
        for i in range(n):
            committed.append(await _emit(db, merchant.id, i))
            await asyncio.sleep(0.02)
        await _wait_for(http, base, n, lambda: asyncio.sleep(0.05))
        arrived = await _arrivals(http, base)
    stop.set()
    await task
    sql = "SELECT id FROM events WHERE type = 'branch.created' ORDER BY id"
    ids = [str(r["id"]) for r in await run(db, lambda c: c.fetchall(sql), write=False)]
    await db.close()
    waits = [arrived[event_id] - at for event_id, at in zip(ids, committed, strict=True)]
    return percentile(waits, 50), percentile(waits, 99)


async def bare_latency(base: str, n: int) -> tuple[float, float]:
    waits = []
    async with httpx.AsyncClient() as http:
        for i in range(n):
            started = time.time()
            await http.post(base + "/hook", content=b"{}", headers={"webhook-id": f"l-{i}"})
            waits.append(time.time() - started)
    return percentile(waits, 50), percentile(waits, 99)


async def ingest(url: str, hook: str | None, n: int, batch: int) -> float:
    """Receipts/s through the app (in-process ASGI), `batch` per request."""
    db, (_, key) = await _setup(url, hook)
    app = create_app(Settings(database_url=url, dev_mode=1, auth_failures_per_minute=10**9), db=db)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {key.secret}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://b", headers=headers) as c:
        ids = [f"R-{i}" for i in range(n)]
        json = {"content-type": "application/json"}
        if batch == 1:
            requests = [("/v1/receipts", body(i)) for i in ids]
        else:
            requests = [
                ("/v1/receipts/batch", batch_body(ids[i : i + batch])) for i in range(0, n, batch)
            ]
        started = time.perf_counter()
        for path, content in requests:
            r = await c.post(path, content=content, headers=json)
            assert r.status_code in (200, 201), r.text
        rate = n / (time.perf_counter() - started)
    await db.close()
    return rate


def median_of(work: Callable[[str], Coroutine[Any, Any, Any]], url: str, label: str) -> Any:
    """The median of RUNS runs of `work`, each on a fresh database."""

    def once() -> Any:
        with fresh_database(url, label) as database:  # (PostgreSQL: its own event loop)
            return asyncio.run(work(database.url))

    results = [once() for _ in range(RUNS)]
    if isinstance(results[0], tuple):
        return tuple(statistics.median(r[i] for r in results) for i in range(len(results[0])))
    return statistics.median(results)


def _delivery_figures(url: str, base: str, n: int) -> list[str]:
    tillroll, bare = median_of(lambda u: deliveries(u, base, n), url, "deliver")
    lines = [figure("deliveries/s, one endpoint", tillroll, "/s", bare, "/s (bare httpx)", "-")]
    b50, b99 = median_of(lambda _: bare_latency(base, 100), url, "bare")
    for poll in (0.5, 0.05):
        p50, p99 = median_of(partial(latency, base=base, n=100, poll=poll), url, "latency")
        for name, ours, theirs in (("p50", p50, b50), ("p99", p99, b99)):
            lines.append(
                figure(f"commit-to-delivery {name}, poll {poll} s", ours * 1000, "ms",
                       theirs * 1000, "ms (bare POST)", "-")
            )  # fmt: skip
    return lines


def _ingest_figures(url: str) -> list[str]:
    """With one endpoint vs none, runs alternating (the machine's load drifts)."""
    lines = []
    for batch, count in ((1, 300), (100, 3000)):
        rates: dict[str | None, list[float]] = {None: [], _UNREACHED: []}
        for _ in range(RUNS):
            for hook in rates:
                with fresh_database(url, "ingest") as database:
                    rates[hook].append(asyncio.run(ingest(database.url, hook, count, batch)))
        none, one = statistics.median(rates[None]), statistics.median(rates[_UNREACHED])
        name = f"ingest with 1 endpoint, {batch}/request"
        lines.append(figure(name, one, "receipts/s", none, "receipts/s (none)", ">= 0.85"))
    return lines


def main() -> None:
    args = parser((__doc__ or "").split("\n")[0]).parse_args()
    n = 200 if args.quick else 500
    os.environ["TILLROLL_DEV_MODE"] = "1"
    with server("bench.webhooks:receiver_app", {}, workers=1) as base:
        lines = _delivery_figures(args.database_url, base, n)
    delivery.RETRY_BASE = timedelta(milliseconds=10)
    delivery.RETRY_CAP = timedelta(milliseconds=50)
    with (
        server("bench.webhooks:receiver_app", {"BENCH_FAIL": "0.3"}, workers=1) as base,
        fresh_database(args.database_url, "flaky") as database,
    ):
        asyncio.run(deliveries(database.url, base, n, bare=False))  # returns when all arrived
    lines.append(f"figure: receiver failing 30 %: {n} of {n} events delivered, 0 lost")
    lines += _ingest_figures(args.database_url)
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
