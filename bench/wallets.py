"""Wallet ledger writes/s through the API, against the raw driver doing the same inserts.

README
    python -m bench.wallets [--database-url URL] [--quick]

    URL is sqlite:///path (default sqlite:////tmp/tillroll_bench/bench.db; fresh files are
    made next to it) or postgresql://user@127.0.0.1:PORT/db (fresh tillroll_bench_* databases
    are created on the cluster and dropped afterwards). Runtime ~2 min (--quick ~40 s).

What runs, each setup on a fresh database migrated with `tillroll migrate`:
  * Tillroll: the real app (`create_app`) called in-process as an ASGI server calls it
    (middleware, router, auth by API key, idempotency keys, the ledger's row lock, sweep,
    lots, draws and the event row: everything but sockets and HTTP parsing), with its
    default settings: concurrent writes on one wallet are group-committed (`kit.group`; one
    group per wallet on PostgreSQL, the one group on SQLite). Each write is
    `POST /v1/wallets/{id}/entries` with its own `Idempotency-Key`, alternately a credit of
    2 and a debit of 1. (a) spread: 16 concurrent clients over 10,000 wallets (1,000 with
    --quick), each write on a random one; (b) hot: 64 concurrent clients on one wallet.
  * Baseline: the same entry row inserted plus the wallet's balance updated
    (`UPDATE … RETURNING` the new balance and sequence number), one transaction per write,
    by the raw driver: sqlite3 (WAL, synchronous=FULL, foreign keys on, `BEGIN IMMEDIATE`,
    one connection, writes one after another: what one SQLite writer can do), asyncpg (a pool
    of 20 connections, the same 16 / 64 concurrent clients).
  PostgreSQL: Tillroll's pool also has 20 connections. Each figure is the median of 3 runs
  (after a warm-up), the ratio is Tillroll / baseline; p99 is the per-write latency.
  Targets: spread >= 0.50 of the baseline; hot wallet >= 1,000 writes/s on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from bench._common import (
    figure,
    fmt,
    fresh_database,
    log,
    median,
    migrate_and_merchant,
    parser,
    percentile,
)
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.customers.schemas import CustomerCreate
from tillroll.customers.service import customer as customer_service
from tillroll.kit.db import Connection, Database, open_database, run
from tillroll.kit.ids import uuid7
from tillroll.wallets.schemas import EntryCreate, WalletCreate
from tillroll.wallets.service import wallet as wallet_service

RUNS = 3
POOL = 20
START = 10**9  # every wallet's opening credit, so debits never run short


@dataclass(frozen=True)
class Scenario:
    name: str
    wallets: int
    clients: int
    writes: int


def scenarios(quick: bool) -> list[Scenario]:
    return [
        Scenario("spread", 1000 if quick else 10_000, 16, 600 if quick else 2000),
        Scenario("hot", 1, 64, 600 if quick else 2000),
    ]


async def _wallets(db: Database, merchant: uuid.UUID, count: int) -> list[uuid.UUID]:
    """`count` customers with a credit wallet each, opened with `START`."""
    made: list[uuid.UUID] = []
    for chunk in range(0, count, 500):

        async def work(conn: Connection, n: int = min(500, count - chunk)) -> list[uuid.UUID]:
            ids = []
            for _ in range(n):
                person = await customer_service.create(conn, merchant, CustomerCreate())
                w = await wallet_service.create(
                    conn, merchant, person.id, WalletCreate(kind="credit")
                )
                await wallet_service.post_entry(
                    conn, merchant, w.id, EntryCreate(amount=START), "bench"
                )
                ids.append(w.id)
            return ids

        made += await run(db, work, write=True)
    return made


async def _drive(
    clients: int, writes: int, one: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """`writes` calls of `one(i)` by `clients` concurrent tasks: (writes/s, latencies in ms)."""
    counter = itertools.count()
    latencies: list[float] = []

    async def client() -> None:
        while (i := next(counter)) < writes:
            started = time.perf_counter()
            await one(i)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return writes / (time.perf_counter() - started), latencies


def _amount(i: int) -> int:
    return 2 if i % 2 == 0 else -1


async def tillroll_run(
    url: str, key: str, wallets: list[uuid.UUID], s: Scenario, db: Database
) -> tuple[float, list[float]]:
    app = create_app(Settings(database_url=url, auth_failures_per_minute=10**9), db=db)
    rng = random.Random(1)
    order = [rng.choice(wallets) for _ in range(s.writes)]
    tag = uuid.uuid4().hex

    async def one(i: int) -> None:
        body = msgspec.json.encode({"amount": _amount(i)})
        headers = [(b"authorization", f"Bearer {key}".encode()),
                   (b"content-type", b"application/json"),
                   (b"idempotency-key", f"{tag}-{i}".encode())]  # fmt: skip
        status, answer = await asgi_post(app, f"/v1/wallets/{order[i]}/entries", body, headers)
        assert status == 201, answer

    return await _drive(s.clients, s.writes, one)


async def asgi_post(
    app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """One POST straight into the ASGI app (no client library, no socket): what the server
    side costs, as uvicorn would call it."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no disconnect while the answer is written
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


_UPDATE = (
    "UPDATE wallets SET balance = balance + {a}, entry_count = entry_count + 1, updated_at = {t} "
    "WHERE merchant_id = {m} AND id = {w} RETURNING balance, entry_count"
)
_INSERT = (
    "INSERT INTO wallet_entries (merchant_id, id, wallet_id, seq, amount, balance_after, reason, "
    "actor, created_at) VALUES ({p})"
)


def _sqlite_baseline(
    path: str, merchant: uuid.UUID, wallets: list[uuid.UUID], s: Scenario
) -> tuple[float, list[float]]:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    update = _UPDATE.format(a="?", t="?", m="?", w="?")
    insert = _INSERT.format(p=", ".join("?" * 9))
    rng = random.Random(1)
    order = [str(rng.choice(wallets)) for _ in range(s.writes)]
    m = str(merchant)
    latencies = []
    started = time.perf_counter()
    for i in range(s.writes):
        t0 = time.perf_counter()
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        raw.execute("BEGIN IMMEDIATE")
        balance, seq = raw.execute(update, (_amount(i), now, m, order[i])).fetchone()
        raw.execute(
            insert, (m, str(uuid7()), order[i], seq, _amount(i), balance, "manual", "bench", now)
        )
        raw.execute("COMMIT")
        latencies.append((time.perf_counter() - t0) * 1000)
    rate = s.writes / (time.perf_counter() - started)
    raw.close()
    return rate, latencies


async def _pg_baseline(
    url: str, merchant: uuid.UUID, wallets: list[uuid.UUID], s: Scenario
) -> tuple[float, list[float]]:
    pool = await asyncpg.create_pool(url, min_size=POOL, max_size=POOL)
    update = _UPDATE.format(a="$1", t="$2", m="$3", w="$4")
    insert = _INSERT.format(p=", ".join(f"${n}" for n in range(1, 10)))
    rng = random.Random(1)
    order = [rng.choice(wallets) for _ in range(s.writes)]

    async def one(i: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            now = datetime.now(UTC)
            row = await conn.fetchrow(update, _amount(i), now, merchant, order[i])
            assert row is not None
            await conn.execute(insert, merchant, uuid7(), order[i], row["entry_count"], _amount(i),
                               row["balance"], "manual", "bench", now)  # fmt: skip

    try:
        return await _drive(s.clients, s.writes, one)
    finally:
        await pool.close()


async def measure(url: str, merchant: uuid.UUID, key: str, s: Scenario) -> list[str]:
    db = open_database(url, pool_size=POOL)
    await db.connect()
    try:
        log(f"{s.name}: opening {s.wallets} wallets")
        wallets = await _wallets(db, merchant, s.wallets)
        ours: list[tuple[float, list[float]]] = []
        base: list[tuple[float, list[float]]] = []
        for attempt in range(RUNS + 1):  # the first of each is a warm-up
            ours.append(await tillroll_run(url, key, wallets, s, db))
            if db.dialect == "sqlite":
                base.append(_sqlite_baseline(url.removeprefix("sqlite:///"), merchant, wallets, s))
            else:
                base.append(await _pg_baseline(url, merchant, wallets, s))
            log(f"{s.name} run {attempt}: tillroll {fmt(ours[-1][0])}/s, raw {fmt(base[-1][0])}/s")
    finally:
        await db.close()
    ours, base = ours[1:], base[1:]
    rate, base_rate = median([r for r, _ in ours]), median([r for r, _ in base])
    p99 = median([percentile(lat, 99) for _, lat in ours])
    base_p99 = median([percentile(lat, 99) for _, lat in base])
    target = (
        ">= 0.50"
        if s.name == "spread"
        else (">= 1000 writes/s" if db.dialect == "postgresql" else "-")
    )
    label = f"wallet writes {db.dialect} {s.name} ({s.clients} clients, {s.wallets} wallets)"
    return [
        figure(label, rate, "writes/s", base_rate, "writes/s raw", target),
        f"figure: p99 {label} = {fmt(p99)} ms; baseline {fmt(base_p99)} ms",
    ]


def main() -> None:
    args = parser(__doc__.split("\n")[0]).parse_args()
    lines: list[str] = []
    for s in scenarios(args.quick):
        with fresh_database(args.database_url, f"wallets_{s.name}") as fresh:
            merchant, key = migrate_and_merchant(fresh.url)
            lines += asyncio.run(measure(fresh.url, uuid.UUID(merchant), key, s))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
