"""Read-heavy load with and without a read replica: what the routing costs.

README
    python -m bench.replica --database-url postgresql://…primary…/postgres \
        --read-database-url postgresql://…replica…/postgres [--quick]

    The primary's cluster gets a fresh tillroll_bench_* database (dropped afterwards); the
    replica must stream from that cluster (`pg_basebackup -R`), so the database appears on it
    too, under the same name. Runtime on 2 vCPUs: ~1.5 min with --quick (20,000 receipts,
    4 s per run), ~5 min without (100,000 receipts, 12 s per run).

How:
  * Fill as bench.read does (the real schema, raw COPY of receipts with 5 lines each), then
    wait until the replica has replayed it all.
  * Two servers like `tillroll serve --workers 2`, both up for the whole run: one with
    TILLROLL_DATABASE_URL only (baseline), one with TILLROLL_READ_DATABASE_URL too.
  * wrk, 16 connections, a mix of GET /v1/receipts/{id} (random ids, 3 in 4) and
    GET /v1/receipts?limit=50 (1 in 4); 5 runs each, interleaved (B, R, B, R, …) after a warm-up,
    so drift hits both alike. Figures: median requests/s and p50/p99 over the runs.
  * In-process, the routing alone: one read transaction (`SELECT 1`) through the router, on
    the replica, vs a plain pool to the same replica; 5 × 2,000, interleaved, median µs.
  * On one machine the replica shares the CPUs with the primary and the servers: this shows
    what routing costs (lag measurement, a second pool), not the scale-out a replica on its own
    machine gives.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench._common import (
    figure,
    fresh_database,
    log,
    median,
    migrate_and_merchant,
    parser,
    server,
    wrk,
)
from bench.read import Dataset, fill_pg
from tillroll.kit.db import Database, PostgresDatabase
from tillroll.kit.replica import ReplicatedDatabase

RUNS = 5
CONNECTIONS = 16

_LUA = """
local ids = {%s}
wrk.headers["Authorization"] = "Bearer %s"
local n = 0
request = function()
  n = n + 1
  if n %% 4 == 0 then
    return wrk.format("GET", "/v1/receipts?limit=50")
  end
  return wrk.format("GET", "/v1/receipts/" .. ids[math.random(#ids)])
end
"""


def _same_database(url: str, like: str) -> str:
    """`url` (a cluster) with the database name of `like`."""
    return urlunsplit(urlsplit(url)._replace(path=urlsplit(like).path))


async def _caught_up(primary: str, replica: str) -> None:
    one, two = await asyncpg.connect(primary), await asyncpg.connect(replica)
    try:
        target = await one.fetchval("SELECT pg_current_wal_lsn()::text")
        while not await two.fetchval(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            await asyncio.sleep(0.05)
        assert await two.fetchval("SELECT pg_is_in_recovery()"), "not a replica"
    finally:
        await one.close()
        await two.close()


def main() -> None:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--read-database-url", required=True, help="the replica's cluster")
    args = p.parse_args()
    n, seconds = (20_000, 4) if args.quick else (100_000, 12)
    with fresh_database(args.database_url, "replica") as db:
        read_url = _same_database(args.read_database_url, db.url)
        merchant, key = migrate_and_merchant(db.url)
        data = Dataset(uuid.UUID(merchant), n)
        asyncio.run(fill_pg(db.url, data))
        t0 = time.perf_counter()
        asyncio.run(_caught_up(db.url, read_url))
        log(f"filled {n:,} receipts; the replica caught up in {time.perf_counter() - t0:.1f}s")
        ids = random.Random(3).sample(data.sample_ids, min(1000, len(data.sample_ids)))
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(_LUA % (",".join(f'"{i}"' for i in ids), key))
        primary_env = {"TILLROLL_DATABASE_URL": db.url}
        replica_env = {**primary_env, "TILLROLL_READ_DATABASE_URL": read_url}
        with (
            server("tillroll.app:create_app", primary_env) as base,
            server("tillroll.app:create_app", replica_env) as routed,
        ):
            results: dict[str, list[tuple[float, float, float]]] = {"primary": [], "replica": []}
            for url in (base, routed):
                wrk(url + "/", script, seconds=2, connections=CONNECTIONS)  # warm-up
            for run in range(RUNS):
                for name, url in (("primary", base), ("replica", routed)):
                    r = wrk(url + "/", script, seconds=seconds, connections=CONNECTIONS)
                    assert r.non_2xx == 0 and r.socket_errors == 0, r
                    results[name].append((r.rps, r.p50_ms, r.p99_ms))
                    _assert_routing(routed)
                    log(f"run {run + 1} {name}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms, "
                        f"p99 {r.p99_ms:.2f} ms")  # fmt: skip
        routed_us, direct_us = asyncio.run(_routing_cost(db.url, read_url, 2000))
    _report(results, n)
    name = "read_transaction_routed_vs_direct_to_replica"
    print(figure(name, routed_us, "us", direct_us, "us", "none"), flush=True)


async def _routing_cost(primary: str, replica: str, k: int) -> tuple[float, float]:
    """Median µs of one read transaction (`SELECT 1`) through the router (on the replica)
    and through a plain pool to the same replica, in-process, interleaved."""
    direct = PostgresDatabase(replica, pool_size=1)
    routed = ReplicatedDatabase(
        PostgresDatabase(primary, pool_size=1), PostgresDatabase(replica, pool_size=1), max_lag=1.0
    )
    await direct.connect()
    await routed.connect()

    async def each(db: Database) -> float:
        t0 = time.perf_counter()
        for _ in range(k):
            async with db.transaction(write=False) as conn:
                await conn.fetchval("SELECT 1")
        return (time.perf_counter() - t0) / k * 1e6

    try:
        times: dict[str, list[float]] = {"routed": [], "direct": []}
        for _ in range(RUNS):
            times["direct"].append(await each(direct))
            times["routed"].append(await each(routed))
        assert routed.health.state == "in use", routed.health
    finally:
        await direct.close()
        await routed.close()
    log(f"read transaction µs, routed {times['routed']}, direct {times['direct']}")
    return median(times["routed"]), median(times["direct"])


def _assert_routing(base: str) -> None:
    """The routed server reads from its replica (not fallen back to the primary)."""
    with urllib.request.urlopen(base + "/health", timeout=5) as answer:
        replica = json.loads(answer.read())["replica"]
    assert replica["state"] == "in use", replica


def _report(results: dict[str, list[tuple[float, float, float]]], n: int) -> None:
    for i, (what, unit) in enumerate((("rps", "req/s"), ("p50", "ms"), ("p99", "ms"))):
        routed = median([r[i] for r in results["replica"]])
        alone = median([r[i] for r in results["primary"]])
        name = f"read_mix_{what}_postgresql_{n}_with_replica_vs_primary_only"
        print(figure(name, routed, unit, alone, unit, "none"), flush=True)


if __name__ == "__main__":
    main()
