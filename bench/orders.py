"""Order updates and shipments through the API, against single-receipt ingest and the raw
driver of the same run; notify-me fan-out against the raw driver.

README
    python -m bench.orders [--database-url URL] [--quick]

    A fresh database (SQLite file, or a fresh PostgreSQL database on the given cluster) gets
    N online orders (default 100,000; `--quick` 10,000), placed through the services 500 per
    transaction. Then, in-process through the real app (httpx over ASGI, 8 requests in
    flight), several alternating runs of: `POST /v1/receipts` of one new online receipt (the
    baseline of the issue), `POST /v1/receipts/{id}/updates` and
    `POST /v1/receipts/{id}/shipments`, each on orders no other request touches; and the
    shipment's own statements (lock the order, read its items, insert the shipment, update
    items, order, receipt, insert its events) on the raw driver (sqlite3 / asyncpg), one
    transaction per shipment, 8 in flight on PostgreSQL. Medians of the runs' rates and
    p99s. Fan-out: S subscribers (default 100,000; `--quick` 20,000) of one out-of-stock
    product, a restock, and `jobs.worker.run_once` until all are notified; baseline: the
    same batches (1,000 subscriptions read, 1,000 event rows inserted, the subscriptions
    closed, one transaction each) on the raw driver.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import msgspec

from bench._common import figure, fmt, fresh_database, log, median, parser, percentile
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.jobs import worker
from tillroll.kit.db import Connection, Database, open_database, run
from tillroll.kit.ids import uuid7
from tillroll.kit.migrate import migrate
from tillroll.merchants.service import merchant as merchant_service
from tillroll.orders.schemas import OrderCreate
from tillroll.orders.service import order as order_service
from tillroll.receipts.schemas import ReceiptCreate
from tillroll.receipts.service import receipt as receipt_service

IN_FLIGHT = 8
ADDRESS = {
    "street_1": "1 Main St",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country": "US",
}
ORDER = msgspec.convert(
    {
        "account_holder_name": "Bench",
        "recipient_name": "Bench",
        "shipping_address": ADDRESS,
        "payment_method": "Visa 1234",
    },
    OrderCreate,
)


def online(external_id: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "type": "online",
        "issued_at": "2026-11-30T18:00:00Z",
        "currency": "USD",
        "prices_include_tax": False,
        "lines": [
            {"sku": "TEE", "name": "T-shirt", "quantity": "3", "unit_price": 1500, "total": 4500},
            {"sku": "MUG", "name": "Mug", "quantity": "1", "unit_price": 800, "total": 800},
        ],
        "subtotal": 5300,
        "shipping_total": 500,
        "tax_total": 400,
        "total": 6200,
    }


UPDATE = {
    "update_type": "cancel_item",
    "items": [{"line_no": 2}],
    "timestamp": "2026-12-01T09:00:00Z",
    "subtotal": 4500,
    "total": 5400,
}
SHIPMENT = {
    "carrier": "UPS",
    "tracking_number": "1ZW098R40361231305",
    "items": [{"line_no": 1, "quantity": 1}],
    "ship_date": "2026-12-01T15:00:00Z",
    "origin": {"city": "Cleveland", "state": "OH", "postal_code": "44101", "country": "US"},
    "destination": ADDRESS,
}


async def place_orders(db: Database, merchant_id: uuid.UUID, n: int) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for start in range(0, n, 500):
        bodies = [
            msgspec.json.decode(json.dumps(online(f"B-{i}")), type=ReceiptCreate)
            for i in range(start, min(n, start + 500))
        ]

        async def batch(conn: Connection, bodies: list[ReceiptCreate] = bodies) -> list[uuid.UUID]:
            result = await receipt_service.create_batch(conn, merchant_id, bodies)
            placed = []
            for item in result.results:
                assert item.receipt is not None
                await order_service.place(conn, merchant_id, item.receipt.id, ORDER, "bench")
                placed.append(item.receipt.id)
            return placed

        ids += await run(db, batch, write=True)
    return ids


@dataclass
class Rate:
    per_s: float
    p99_ms: float


async def rate(calls: list[Callable[[], Awaitable[int]]]) -> Rate:
    """Run `calls` with IN_FLIGHT at a time; requests per second and p99 latency."""
    latencies: list[float] = []
    queue = iter(calls)

    async def lane() -> None:
        for call in queue:
            start = time.perf_counter()
            status = await call()
            latencies.append(time.perf_counter() - start)
            assert status < 300, status

    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))
    return Rate(len(calls) / (time.perf_counter() - start), percentile(latencies, 99) * 1000)


def poster(
    client: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> Callable[[], Awaitable[int]]:
    async def call() -> int:
        return (await client.post(path, json=body)).status_code

    return call


# --- the raw driver's shipment ------------------------------------------------------------


def _sql(dialect: str) -> dict[str, str]:
    def p(n: int) -> str:
        return f"${n}" if dialect == "postgresql" else "?"

    lock = " FOR UPDATE" if dialect == "postgresql" else ""
    return {
        "lock": f"SELECT status FROM orders WHERE merchant_id = {p(1)} "
        f"AND receipt_id = {p(2)}{lock}",
        "items": f"SELECT line_no, quantity, shipped FROM order_items WHERE merchant_id = {p(1)} "
        f"AND receipt_id = {p(2)}",
        "shipment": "INSERT INTO shipments (merchant_id, id, receipt_id, carrier, tracking_number, "
        "tracking_url, items, ship_date, origin, destination, weight, weight_unit, status, "
        "status_at, delivered_at, body_hash, created_at) VALUES "
        f"({', '.join(p(i) for i in range(1, 18))})",
        "item": f"UPDATE order_items SET shipped = shipped + 1 WHERE merchant_id = {p(1)} "
        f"AND receipt_id = {p(2)} AND line_no = 1",
        "order": f"UPDATE orders SET status = {p(3)}, updated_at = {p(4)} WHERE merchant_id = "
        f"{p(1)} AND receipt_id = {p(2)}",
        "receipt": f"UPDATE receipts SET order_status = {p(3)} WHERE merchant_id = {p(1)} "
        f"AND id = {p(2)}",
        "event": f"INSERT INTO events (merchant_id, id, type, data, created_at) VALUES "
        f"({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)})",
    }


def _shipment_args(m: uuid.UUID, r: uuid.UUID, now: Any, sqlite: bool) -> tuple[Any, ...]:
    def ident(u: uuid.UUID) -> Any:
        return str(u) if sqlite else u

    items = json.dumps([{"line_no": 1, "quantity": 1}])
    addr = json.dumps(ADDRESS)
    return (
        ident(m),
        ident(uuid7()),
        ident(r),
        "UPS",
        "1ZW098R40361231305",
        "https://www.ups.com/track?tracknum=1ZW098R40361231305",
        items,
        now,
        addr,
        addr,
        "1",
        "LBS",
        "info_received",
        now,
        None,
        "x",
        now,
    )


def raw_sqlite_shipments(path: str, m: uuid.UUID, receipts: list[uuid.UUID]) -> Rate:
    sql = _sql("sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    latencies = []
    start = time.perf_counter()
    for r in receipts:
        t = time.perf_counter()
        now = datetime.now(UTC).isoformat()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql["lock"], (str(m), str(r))).fetchone()
        conn.execute(sql["items"], (str(m), str(r))).fetchall()
        conn.execute(sql["shipment"], _shipment_args(m, r, now, True))
        conn.execute(sql["item"], (str(m), str(r)))
        conn.execute(sql["order"], (str(m), str(r), "PARTIALLY_SHIPPED", now))
        conn.execute(sql["receipt"], (str(m), str(r), "PARTIALLY_SHIPPED"))
        for kind in ("shipment.created", "order.status_changed"):
            conn.execute(sql["event"], (str(m), str(uuid7()), kind, "{}", now))
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    conn.close()
    return Rate(len(receipts) / elapsed, percentile(latencies, 99) * 1000)


async def raw_pg_shipments(url: str, m: uuid.UUID, receipts: list[uuid.UUID]) -> Rate:
    sql = _sql("postgresql")
    pool = await asyncpg.create_pool(url, min_size=IN_FLIGHT, max_size=IN_FLIGHT)
    assert pool is not None

    async def one(r: uuid.UUID) -> int:
        now = datetime.now(UTC)
        async with pool.acquire() as conn, conn.transaction():
            await conn.fetchrow(sql["lock"], m, r)
            await conn.fetch(sql["items"], m, r)
            await conn.execute(sql["shipment"], *_shipment_args(m, r, now, False))
            await conn.execute(sql["item"], m, r)
            await conn.execute(sql["order"], m, r, "PARTIALLY_SHIPPED", now)
            await conn.execute(sql["receipt"], m, r, "PARTIALLY_SHIPPED")
            for kind in ("shipment.created", "order.status_changed"):
                await conn.execute(sql["event"], m, uuid7(), kind, "{}", now)
        return 201

    try:
        return await rate([lambda r=r: one(r) for r in receipts])  # type: ignore[misc]
    finally:
        await pool.close()


# --- fan-out ------------------------------------------------------------------------------


async def subscribers(db: Database, m: uuid.UUID, product: uuid.UUID, n: int) -> None:
    now = datetime.now(UTC)
    for start in range(0, n, 5000):
        rows = [
            (
                m,
                uuid7(),
                product,
                None,
                f"s{i}@example.com",
                f"email:s{i}@example.com",
                "open",
                now,
                None,
            )
            for i in range(start, min(n, start + 5000))
        ]

        async def insert(conn: Connection, rows: list[tuple[Any, ...]] = rows) -> None:
            await conn.insert_rows(
                "stock_subscriptions",
                (
                    "merchant_id",
                    "id",
                    "product_id",
                    "customer_id",
                    "email",
                    "open_key",
                    "status",
                    "created_at",
                    "closed_at",
                ),
                rows,
            )

        await run(db, insert, write=True)


def raw_sqlite_fanout(path: str, m: uuid.UUID, product: uuid.UUID) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    sent, start = 0, time.perf_counter()
    while True:
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(
            "SELECT id, email FROM stock_subscriptions WHERE merchant_id = ? AND product_id = ? "
            "AND status = 'open' ORDER BY id LIMIT 1000",
            (str(m), str(product)),
        ).fetchall()
        now = datetime.now(UTC).isoformat()
        conn.executemany(
            "INSERT INTO events (merchant_id, id, type, data, created_at) VALUES (?, ?, ?, ?, ?)",
            [
                (str(m), str(uuid7()), "product.back_in_stock", json.dumps({"email": e}), now)
                for _, e in rows
            ],
        )
        conn.executemany(
            "UPDATE stock_subscriptions SET status = 'notified', open_key = NULL, closed_at = ? "
            "WHERE merchant_id = ? AND id = ?",
            [(now, str(m), i) for i, _ in rows],
        )
        conn.execute("COMMIT")
        sent += len(rows)
        if len(rows) < 1000:
            break
    elapsed = time.perf_counter() - start
    conn.close()
    return sent / elapsed


async def raw_pg_fanout(url: str, m: uuid.UUID, product: uuid.UUID) -> float:
    conn = await asyncpg.connect(url)
    sent, start = 0, time.perf_counter()
    while True:
        async with conn.transaction():
            rows = await conn.fetch(
                "SELECT id, email FROM stock_subscriptions WHERE merchant_id = $1 AND "
                "product_id = $2 AND status = 'open' ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED",
                m,
                product,
            )
            now = datetime.now(UTC)
            await conn.copy_records_to_table(
                "events",
                records=[
                    (m, uuid7(), "product.back_in_stock", json.dumps({"email": r["email"]}), now)
                    for r in rows
                ],
                columns=["merchant_id", "id", "type", "data", "created_at"],
            )
            await conn.execute(
                "UPDATE stock_subscriptions SET status = 'notified', open_key = NULL, "
                "closed_at = $3 WHERE merchant_id = $1 AND id = ANY($2::uuid[])",
                m,
                [r["id"] for r in rows],
                now,
            )
        sent += len(rows)
        if len(rows) < 1000:
            break
    elapsed = time.perf_counter() - start
    await conn.close()
    return sent / elapsed


# --- the run ------------------------------------------------------------------------------


async def measure(url: str, dialect: str, orders: int, fan: int, runs: int, per_run: int) -> None:
    db = open_database(url, pool_size=IN_FLIGHT + 2)
    await db.connect()
    await migrate(db)
    merchant, key = await run(db, lambda c: merchant_service.create(c, "Bench"), write=True)
    m = merchant.id
    log(f"placing {orders} online orders")
    ids = await place_orders(db, m, orders)
    app = create_app(Settings(database_url=url, auth_failures_per_minute=10**9), db=db)
    headers = {"Authorization": f"Bearer {key.secret}"}
    transport = httpx.ASGITransport(app=app)
    results: dict[str, list[Rate]] = {"ingest": [], "updates": [], "shipments": [], "raw": []}
    cursor = iter(ids)
    async with httpx.AsyncClient(transport=transport, base_url="http://b", headers=headers) as c:
        await rate([poster(c, "/v1/receipts", online(f"W-{i}")) for i in range(200)])  # warm-up
        for n in range(runs):
            log(f"run {n + 1}/{runs}")
            results["ingest"].append(
                await rate(
                    [poster(c, "/v1/receipts", online(f"I-{n}-{i}")) for i in range(per_run)]
                )
            )
            chosen = [next(cursor) for _ in range(per_run)]
            results["updates"].append(
                await rate([poster(c, f"/v1/receipts/{r}/updates", UPDATE) for r in chosen])
            )
            chosen = [next(cursor) for _ in range(per_run)]
            results["shipments"].append(
                await rate([poster(c, f"/v1/receipts/{r}/shipments", SHIPMENT) for r in chosen])
            )
            chosen = [next(cursor) for _ in range(per_run)]
            if dialect == "sqlite":
                results["raw"].append(
                    raw_sqlite_shipments(url.removeprefix("sqlite:///"), m, chosen)
                )
            else:
                results["raw"].append(await raw_pg_shipments(url, m, chosen))
        await fanout(c, db, url, dialect, m, fan)
    await db.close()
    rates = {k: median([r.per_s for r in v]) for k, v in results.items()}
    p99 = {k: median([r.p99_ms for r in v]) for k, v in results.items()}
    for name in ("updates", "shipments"):
        print(
            figure(
                f"orders_{name}_{dialect}",
                rates[name],
                "req/s",
                rates["ingest"],
                "req/s single-receipt ingest",
                "≥ 0.50",
            )
        )
        print(
            f"figure: orders_{name}_p99_{dialect} = {fmt(p99[name])} ms; "
            f"baseline {fmt(p99['ingest'])} ms ingest p99"
        )
    print(
        figure(
            f"orders_shipments_vs_raw_{dialect}",
            rates["shipments"],
            "req/s",
            rates["raw"],
            "shipments/s raw driver, same statements",
            "—",
        )
    )


async def fanout(
    c: httpx.AsyncClient, db: Database, url: str, dialect: str, m: uuid.UUID, n: int
) -> None:
    timings: dict[str, float] = {}
    for label in ("api", "raw"):
        response = await c.post(
            "/v1/products", json={"external_id": f"FAN-{label}", "name": "Fan", "available": False}
        )
        product = uuid.UUID(response.json()["id"])
        log(f"fan-out ({label}): {n} subscribers")
        await subscribers(db, m, product, n)
        if label == "api":
            await c.post(f"/v1/products/{product}/restock", json={})
            start = time.perf_counter()
            await worker.run_once(db)
            timings[label] = n / (time.perf_counter() - start)
        elif dialect == "sqlite":
            timings[label] = raw_sqlite_fanout(url.removeprefix("sqlite:///"), m, product)
        else:
            timings[label] = await raw_pg_fanout(url, m, product)
    print(
        figure(
            f"notify_fanout_{dialect}",
            timings["api"],
            "notifications/s",
            timings["raw"],
            "notifications/s raw driver, same batches",
            "—",
        )
    )


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    orders, fan, runs, per_run = (
        (10_000, 20_000, 3, 600) if args.quick else (100_000, 100_000, 5, 2000)
    )
    with fresh_database(args.database_url, "orders") as fresh:
        asyncio.run(measure(fresh.url, fresh.dialect, orders, fan, runs, per_run))


if __name__ == "__main__":
    main()
