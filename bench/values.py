"""Value receipts: signal ingest through HTTP, and a receipt over many signals, each against
the raw driver doing the same work in the same run.

README
    python -m bench.values [--database-url URL] [--quick]

    URL as in bench/ingest.py (sqlite:///path or a PostgreSQL cluster). Runtime: ~3 min
    (--quick ~1 min).

What runs, on a fresh database migrated by `tillroll migrate` (merchant from `tillroll
merchants create`), the server being `uvicorn tillroll.app:create_app --factory --workers 2`:
  * Ingest: POST /v1/signals/bulk with 1,000 signals per request (unique idempotency keys,
    50 external customers, one value metric bound to the event, so each signal is also
    valued), 2 concurrent clients, bodies encoded before the clock. Baseline: the same rows
    Tillroll stores (`value_signals` + `value_signal_values`) inserted by the raw driver in
    transactions of 1,000 (sqlite3 executemany on one connection, SQLite having one writer;
    asyncpg copy_records_to_table on 2 concurrent connections, as the 2 HTTP clients). Target:
    ratio >= 0.30.
  * Receipt: 1M signals (200k with --quick) of one customer in one month across 5 metrics,
    loaded by the raw driver; POST /v1/value-receipts/sync (a draft: recomputed each call)
    against the database's own GROUP BY over the same rows. Target: time ratio <= 1.5.
  Each figure is the median of 3 timed runs after a warm-up.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec

from bench._common import (
    FreshDatabase,
    figure,
    fresh_database,
    log,
    median,
    migrate_and_merchant,
    parser,
    server,
)
from tillroll.kit.ids import uuid7

START = datetime(2026, 11, 1, tzinfo=UTC)
PER_REQUEST = 1000
METRIC = {
    "name": "Hours saved", "event_name": "ticket.resolved", "currency": "EUR",
    "formula": {"expression": "minutes / 60", "variables": [{"id": "minutes", "default": 20}]},
    "unit": {"type": "duration", "duration_unit": "hours"}, "value_per_unit": "50",
}  # fmt: skip


def bulk_body(run: str, n: int) -> bytes:
    signals = [
        {
            "event_name": "ticket.resolved",
            "external_customer_id": f"c{i % 50}",
            "timestamp": (START + timedelta(seconds=i * 37)).isoformat(),
            "idempotency_key": f"{run}-{i}",
            "data": {"minutes": 15 + i % 10},
        }
        for i in range(n)
    ]
    return msgspec.json.encode({"signals": signals})


async def _post_all(base: str, key: str, bodies: list[bytes], path: str) -> float:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    queue = list(bodies)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            response = await client.post(path, content=queue.pop())
            assert response.status_code == 200, response.text

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as a, \
            httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as b:  # fmt: skip
        began = time.perf_counter()
        await asyncio.gather(worker(a), worker(b))
        return time.perf_counter() - began


async def _ids(fresh: FreshDatabase, merchant: str) -> tuple[list[uuid.UUID], uuid.UUID]:
    """The customers and the metric the HTTP runs made (for the baseline's rows)."""
    sql_c = "SELECT id FROM customers WHERE merchant_id = ? ORDER BY id"
    sql_m = "SELECT id FROM value_metrics WHERE merchant_id = ?"
    if fresh.dialect == "sqlite":
        raw = sqlite3.connect(str(fresh.path))
        customers = [uuid.UUID(r[0]) for r in raw.execute(sql_c, (merchant,))]
        metric = uuid.UUID(raw.execute(sql_m, (merchant,)).fetchone()[0])
        raw.close()
        return customers, metric
    conn = await asyncpg.connect(fresh.url)
    try:
        m = uuid.UUID(merchant)
        customers = [r[0] for r in await conn.fetch(sql_c.replace("?", "$1"), m)]
        return customers, await conn.fetchval(sql_m.replace("?", "$1"), m)
    finally:
        await conn.close()


def rows(merchant: uuid.UUID, customers: list[uuid.UUID], metrics: list[uuid.UUID], run: str,
         n: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:  # fmt: skip
    """`value_signals` and `value_signal_values` rows, as Tillroll writes them."""
    signals, values = [], []
    now = datetime.now(UTC)
    for i in range(n):
        sid, at = uuid7(), START + timedelta(seconds=i * 2)
        customer, metric = customers[i % len(customers)], metrics[i % len(metrics)]
        data = msgspec.json.encode({"minutes": 15 + i % 10}).decode()
        signals.append((merchant, sid, f"e{i % len(metrics)}", customer, None, None, None, at,
                        data, f"{run}-{i}", now))  # fmt: skip
        values.append((merchant, sid, metric, customer, None, None, at, at.toordinal(),
                       250_000 + i % 7))  # fmt: skip
    return signals, values


SIGNAL_COLS = (
    "merchant_id",
    "id",
    "event_name",
    "customer_id",
    "external_customer_id",
    "product_id",
    "order_id",
    "occurred_at",
    "data",
    "idempotency_key",
    "created_at",
)
VALUE_COLS = ("merchant_id", "signal_id", "metric_id", "customer_id", "product_id", "order_id",
              "occurred_at", "day", "quantity_micro")  # fmt: skip


async def raw_insert(fresh: FreshDatabase, batches: list[tuple[list[Any], list[Any]]]) -> float:
    """Insert the batches, one transaction each; seconds taken."""
    if fresh.dialect == "sqlite":
        raw = sqlite3.connect(str(fresh.path), isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA foreign_keys=ON")
        marks_s, marks_v = ",".join("?" * len(SIGNAL_COLS)), ",".join("?" * len(VALUE_COLS))
        began = time.perf_counter()
        for signals, values in batches:
            raw.execute("BEGIN IMMEDIATE")
            raw.executemany(f"INSERT INTO value_signals VALUES ({marks_s})", _sqlite(signals))
            raw.executemany(f"INSERT INTO value_signal_values VALUES ({marks_v})", _sqlite(values))
            raw.execute("COMMIT")
        raw.close()
        return time.perf_counter() - began
    conns = [await asyncpg.connect(fresh.url) for _ in range(2)]  # as the 2 HTTP clients

    async def insert(conn: asyncpg.Connection, share: list[tuple[list[Any], list[Any]]]) -> None:
        for signals, values in share:
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "value_signals", records=signals, columns=SIGNAL_COLS
                )
                await conn.copy_records_to_table(
                    "value_signal_values", records=values, columns=VALUE_COLS
                )

    try:
        began = time.perf_counter()
        await asyncio.gather(insert(conns[0], batches[0::2]), insert(conns[1], batches[1::2]))
        return time.perf_counter() - began
    finally:
        for conn in conns:
            await conn.close()


def _sqlite(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    adapt: dict[type, Callable[[Any], str]] = {
        uuid.UUID: str,
        datetime: lambda d: d.isoformat(timespec="microseconds"),
    }
    return [tuple(adapt[type(v)](v) if type(v) in adapt else v for v in row) for row in batch]


def ingest(url: str, quick: bool) -> str:
    requests = 6 if quick else 15
    with fresh_database(url, "values_ingest") as fresh:
        merchant, key = migrate_and_merchant(fresh.url)
        with server("tillroll.app:create_app", {"TILLROLL_DATABASE_URL": fresh.url}) as base:
            auth = {"Authorization": f"Bearer {key}"}
            assert (
                httpx.post(base + "/v1/value-metrics", json=METRIC, headers=auth).status_code == 201
            )
            asyncio.run(_post_all(base, key, [bulk_body("warm", PER_REQUEST)], "/v1/signals/bulk"))
            rates = []
            for run in range(3):
                bodies = [bulk_body(f"r{run}-{i}", PER_REQUEST) for i in range(requests)]
                seconds = asyncio.run(_post_all(base, key, bodies, "/v1/signals/bulk"))
                rates.append(requests * PER_REQUEST / seconds)
                log(f"tillroll ingest run {run}: {rates[-1]:.0f} signals/s")
        customers, metric = asyncio.run(_ids(fresh, merchant))
        base_rates = []
        for run in range(3):
            batches = [rows(uuid.UUID(merchant), customers, [metric], f"b{run}-{i}", PER_REQUEST)
                       for i in range(requests)]  # fmt: skip
            seconds = asyncio.run(raw_insert(fresh, batches))
            base_rates.append(requests * PER_REQUEST / seconds)
            log(f"raw driver run {run}: {base_rates[-1]:.0f} signals/s")
    return figure(
        f"signal ingest, bulk of 1000 ({fresh.dialect})", median(rates), "signals/s",
        median(base_rates), "signals/s (raw driver, same rows)", ">= 0.30",
    )  # fmt: skip


def receipt(url: str, quick: bool) -> str:
    n = 200_000 if quick else 1_000_000
    with fresh_database(url, "values_receipt") as fresh:
        merchant, key = migrate_and_merchant(fresh.url)
        with server("tillroll.app:create_app", {"TILLROLL_DATABASE_URL": fresh.url}) as base:
            auth = {"Authorization": f"Bearer {key}"}
            for i in range(5):
                body = {**METRIC, "name": f"Metric {i}", "event_name": f"e{i}"}
                assert (
                    httpx.post(base + "/v1/value-metrics", json=body, headers=auth).status_code
                    == 201
                )
            customer = httpx.post(base + "/v1/customers", json={"external_id": "big"}, headers=auth)
            customer_id = uuid.UUID(customer.json()["id"])
            metrics = [uuid.UUID(m["id"]) for m in httpx.get(
                base + "/v1/value-metrics", headers=auth).json()["data"]]  # fmt: skip
            log(f"loading {n} signals")
            batches = [rows(uuid.UUID(merchant), [customer_id], metrics, f"l{i}", 20_000)
                       for i in range(n // 20_000)]  # fmt: skip
            asyncio.run(raw_insert(fresh, batches))
            asyncio.run(_settle(fresh))
            period = {"external_customer_id": "big", "start": START.isoformat(),
                      "end": (START + timedelta(days=30)).isoformat()}  # fmt: skip
            times = []
            for run in range(4):  # the first creates it; a draft is recomputed each time
                began = time.perf_counter()
                answer = httpx.post(base + "/v1/value-receipts/sync", json=period, headers=auth,
                                    timeout=600)  # fmt: skip
                assert answer.status_code in (200, 201), answer.text
                times.append(time.perf_counter() - began)
                log(f"tillroll sync run {run}: {times[-1] * 1000:.0f} ms")
            occurrences = sum(line["occurrences"] for line in answer.json()["lines"])
            assert occurrences == n, occurrences
        base_times = [asyncio.run(_group_by(fresh, merchant, customer_id)) for _ in range(4)]
        log(f"GROUP BY runs: {[round(t * 1000) for t in base_times]} ms")
    ms, base_ms = median(times[1:]) * 1000, median(base_times[1:]) * 1000
    return figure(
        f"value receipt over {n} signals, 5 metrics ({fresh.dialect})", ms, "ms",
        base_ms, "ms (the database's GROUP BY)", "time ratio <= 1.5",
    )  # fmt: skip


async def _settle(fresh: FreshDatabase) -> None:
    """Statistics (and PostgreSQL's visibility map) as after autovacuum, for both sides."""
    if fresh.dialect == "sqlite":
        raw = sqlite3.connect(str(fresh.path))
        raw.execute("ANALYZE")
        raw.close()
        return
    conn = await asyncpg.connect(fresh.url)
    try:
        await conn.execute("VACUUM ANALYZE value_signal_values")
    finally:
        await conn.close()


async def _group_by(fresh: FreshDatabase, merchant: str, customer: uuid.UUID) -> float:
    sql = ("SELECT metric_id, count(*), sum(quantity_micro) FROM value_signal_values "
           "WHERE merchant_id = ? AND customer_id = ? AND occurred_at >= ? AND occurred_at < ? "
           "GROUP BY metric_id")  # fmt: skip
    end = START + timedelta(days=30)
    if fresh.dialect == "sqlite":
        raw = sqlite3.connect(str(fresh.path))
        began = time.perf_counter()
        raw.execute(sql, (merchant, str(customer), START.isoformat(timespec="microseconds"),
                          end.isoformat(timespec="microseconds"))).fetchall()  # fmt: skip
        taken = time.perf_counter() - began
        raw.close()
        return taken
    conn = await asyncpg.connect(fresh.url)
    try:
        numbered = sql.replace("= ?", "= $1", 1).replace("= ?", "= $2", 1)
        numbered = numbered.replace(">= ?", ">= $3").replace("< ?", "< $4")
        began = time.perf_counter()
        await conn.fetch(numbered, uuid.UUID(merchant), customer, START, end)
        return time.perf_counter() - began
    finally:
        await conn.close()


def main() -> None:
    args = parser(__doc__.split("\n")[0]).parse_args()
    for line in (ingest(args.database_url, args.quick), receipt(args.database_url, args.quick)):
        print(line, flush=True)


if __name__ == "__main__":
    main()
