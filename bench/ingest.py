"""Ingest throughput: receipts/s (5 lines each) through HTTP, against raw-driver baselines.

README
    python -m bench.ingest [--database-url URL] [--quick] [--single-only] [--versus CHECKOUT]

    URL is sqlite:///path (fresh files are made next to it; default
    sqlite:////tmp/tillroll_bench/bench.db) or postgresql://user@127.0.0.1:54329/db (the
    cluster: a fresh tillroll_bench_* database is created per setup and dropped afterwards).
    Needs `wrk` (apt-get install -y wrk). Runtime: ~4 min (--quick ~2 min).

What runs, each setup on a fresh database migrated with `tillroll migrate`:
  * Tillroll: `uvicorn tillroll.app:create_app --factory --workers 2 --loop uvloop --http
    httptools` (what `tillroll serve --workers 2` runs), merchant from `tillroll merchants
    create`; wrk -t1 -c32 with a Lua script making a unique external_id per receipt;
    (a) POST /v1/receipts, (b) POST /v1/receipts/batch with 500 receipts.
  * Baseline 2 (single), "(a) the bare app": bench/baseline_app.py served the same way (2
    workers, 32 clients): msgspec decode + the same rows by the raw driver, one transaction
    per receipt, numbered from the same counter row.
  * Baseline (b) (single): the same app's POST /raw/receipts, served the same way: the same
    rows, one receipt per transaction, no counter (a number made by the process).
  * Baseline 1 (batch): the same rows (receipt + 5 lines, same columns, same counter row)
    inserted by the raw driver in-process, in transactions of 500: sqlite3 executemany (WAL,
    synchronous=FULL, foreign keys on, like Tillroll); asyncpg executemany and
    copy_records_to_table (2 concurrent connections). Rows are built before the clock starts.
  * --versus CHECKOUT: another checkout's Tillroll (e.g. a worktree of main, with its own
    .venv) served too, its single-POST runs interleaved with the others: old vs new; and the
    latency of a lone POST (one client, one request at a time, LONE requests a run),
    interleaved too: p50/p99 of new vs old.
  Each figure is the median of 3 timed runs (after a warm-up); ratios are Tillroll / baseline.
  Targets (issue 14): single POST >= 1.5 of the bare app and >= 1.0 of (b); batch on SQLite
  >= 0.50 of baseline 1; on PostgreSQL no worse than before (1.04 of executemany, 0.61 of
  COPY); a lone POST no more than 1 ms slower (p50 and p99) than the old code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import sqlite3
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec

from bench._common import (
    ROOT,
    WORKERS,
    FreshDatabase,
    dialect_of,
    figure,
    fresh_database,
    log,
    median,
    migrate_and_merchant,
    parser,
    percentile,
    server,
    wrk,
)
from bench._receipt import (
    COUNTER_PG,
    COUNTER_SQLITE,
    DECODER,
    LINE_COLUMNS,
    PART1,
    PART2,
    RECEIPT_COLUMNS,
    batch_body,
    body,
    insert_sql,
    rows,
)

BATCH = 500
CLIENTS = 32
RUNS = 3
LONE = 300  # sequential requests per lone-POST latency run

_LUA = """
local part1 = [==[%(part1)s]==]
local part2 = [==[%(part2)s]==]
local prefix = "%(prefix)s"
local per = %(per)d
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%(auth)s
request = function()
  if per == 1 then
    n = n + 1
    return wrk.format(nil, nil, nil, part1 .. prefix .. n .. part2)
  end
  local t = {}
  for i = 1, per do
    n = n + 1
    t[i] = part1 .. prefix .. n .. part2
  end
  return wrk.format(nil, nil, nil, '{"receipts":[' .. table.concat(t, ",") .. ']}')
end
"""


def lua_script(folder: Path, prefix: str, per: int, key: str | None) -> Path:
    auth = f'wrk.headers["Authorization"] = "Bearer {key}"' if key else ""
    path = folder / f"post_{prefix}.lua"
    path.write_text(
        _LUA % {"part1": PART1, "part2": PART2, "prefix": prefix, "per": per, "auth": auth}
    )
    return path


def post(url: str, data: bytes, key: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.loads(r.read())


def count_receipts(db: FreshDatabase) -> int:
    if db.dialect == "sqlite":
        raw = sqlite3.connect(str(db.path))
        try:
            return int(raw.execute("SELECT count(*) FROM receipts").fetchone()[0])
        finally:
            raw.close()

    async def pg() -> int:
        conn = await asyncpg.connect(db.url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM receipts"))
        finally:
            await conn.close()

    return asyncio.run(pg())


@dataclass
class Setup:
    """One app served on its own fresh database, ready for timed runs."""

    label: str
    db: FreshDatabase
    base: str
    path: str
    per: int
    auth: str | None
    tmp: Path
    stored: int = 0
    rates: list[float] = field(default_factory=list)


@contextlib.contextmanager
def http_setup(base_url: str, app: str, per: int, root: Path = ROOT) -> Iterator[Setup]:
    """`app` ('tillroll', 'baseline' or 'raw': the baseline app's no-counter route) of the
    checkout at `root` served on a fresh database, preflight done."""
    label = f"{app}_{'single' if per == 1 else 'batch'}{'' if root == ROOT else '_versus'}"
    with fresh_database(base_url, label) as db, tempfile.TemporaryDirectory() as tmp:
        merchant_id, key = migrate_and_merchant(db.url, root)
        if app == "tillroll":
            target, env, auth = "tillroll.app:create_app", {"TILLROLL_DATABASE_URL": db.url}, key
        else:
            target = "bench.baseline_app:create_app"
            env = {"BENCH_DATABASE_URL": db.url, "BENCH_MERCHANT_ID": merchant_id}
            auth = None
        path = "/v1/receipts" if per == 1 else "/v1/receipts/batch"
        if app == "raw":
            target, path = "bench.baseline_app:create_app", "/raw/receipts"
        with server(target, env, root=root) as base:
            # Preflight: the body is accepted (201 for each receipt), so the runs measure success.
            if per == 1:
                status, _ = post(base + path, body("preflight-1"), auth)
                assert status == 201, status
            else:
                ids = [f"pre-{i}" for i in range(per)]
                status, answer = post(base + path, batch_body(ids), auth)
                statuses = {item["status"] for item in answer["results"]}
                assert status == 200 and statuses == {201}, (status, statuses)
            setup = Setup(label, db, base, path, per, auth, Path(tmp), stored=per)
            yield setup
        in_db = count_receipts(db)
        log(f"{label}: {in_db} receipts in the database (>= {setup.stored} expected)")


def warm_up(s: Setup, seconds: int) -> None:
    script = lua_script(s.tmp, "w" + secrets.token_hex(3) + "-", s.per, s.auth)
    res = wrk(s.base + s.path, script, seconds=seconds, connections=CLIENTS)
    s.stored += res.requests - res.non_2xx


def timed_run(s: Setup, run: int, seconds: int) -> None:
    """One timed run. Single receipts: wrk for `seconds`. Batches: a fixed amount of work
    (each of the 32 clients posts `seconds // 5` prebuilt batches of 500), timed from the
    first request to the last answer; a fixed wrk duration would count only the few batches
    finishing inside the window while abandoned ones keep the server busy into the next run.
    """
    if s.per == 1:
        script = lua_script(s.tmp, f"r{run}{secrets.token_hex(3)}-", s.per, s.auth)
        res = wrk(s.base + s.path, script, seconds=seconds, connections=CLIENTS)
        ok = res.requests - res.non_2xx
        rate = ok / res.seconds
        detail = (
            f"{res.requests} requests in {res.seconds:.1f}s, non-2xx {res.non_2xx}, "
            f"socket errors {res.socket_errors}, p50 {res.p50_ms:.1f} ms, p99 {res.p99_ms:.1f} ms"
        )
    else:
        ok, elapsed, p50, p99 = asyncio.run(
            post_batches(s.base + s.path, s.auth, s.per, max(1, seconds // 5))
        )
        rate = ok / elapsed
        detail = (
            f"{ok} receipts stored in {elapsed:.1f}s, batch latency p50 {p50:.0f} ms, "
            f"p99 {p99:.0f} ms"
        )
    s.rates.append(rate)
    s.stored += ok
    log(f"{s.label} ({s.db.dialect}) run {run + 1}: {rate:,.0f} receipts/s ({detail})")


async def post_batches(
    url: str, key: str | None, per: int, each: int
) -> tuple[int, float, float, float]:
    """CLIENTS clients post `each` batches each; (receipts stored, seconds, p50 ms, p99 ms)."""
    prefix = secrets.token_hex(3)
    bodies = [
        [batch_body([f"b{prefix}-{c}-{b}-{i}" for i in range(per)]) for b in range(each)]
        for c in range(CLIENTS)
    ]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    answers: list[bytes] = []
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:

        async def one_client(mine: list[bytes]) -> None:
            for data in mine:
                t0 = time.perf_counter()
                r = await client.post(url, content=data, headers=headers)
                latencies.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                answers.append(r.content)

        start = time.perf_counter()
        await asyncio.gather(*(one_client(mine) for mine in bodies))
        elapsed = time.perf_counter() - start
    stored = sum(
        1 for a in answers for item in msgspec.json.decode(a)["results"] if item["status"] == 201
    )
    return stored, elapsed, percentile(latencies, 50), percentile(latencies, 99)


# --- baseline 1: the raw driver in-process -------------------------------------------------


def prebuilt(merchant_id: uuid.UUID, n: int, *, sqlite: bool) -> list[Any]:
    prefix = secrets.token_hex(4)
    return [rows(DECODER.decode(body(f"raw-{prefix}-{i}")), merchant_id, 0, sqlite=sqlite)
            for i in range(n)]  # fmt: skip


def _numbered(row: tuple[Any, ...], number: int) -> tuple[Any, ...]:
    return (*row[:2], number, *row[3:])


def raw_sqlite(path: Path, merchant_id: uuid.UUID, n: int, per_txn: int) -> float:
    data = prebuilt(merchant_id, n, sqlite=True)
    raw = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    ins_r = insert_sql("receipts", RECEIPT_COLUMNS, sqlite=True)
    ins_l = insert_sql("receipt_lines", LINE_COLUMNS, sqlite=True)
    m = str(merchant_id)
    start = time.perf_counter()
    for at in range(0, n, per_txn):
        chunk = data[at : at + per_txn]
        raw.execute("BEGIN IMMEDIATE")
        last = raw.execute(COUNTER_SQLITE, (m, len(chunk))).fetchone()[0]
        first = last - len(chunk) + 1
        raw.executemany(ins_r, [_numbered(r, first + k) for k, (r, _) in enumerate(chunk)])
        raw.executemany(ins_l, [line for _, lines in chunk for line in lines])
        raw.execute("COMMIT")
    elapsed = time.perf_counter() - start
    raw.close()
    return n / elapsed


async def raw_pg(url: str, merchant_id: uuid.UUID, n: int, per_txn: int, method: str) -> float:
    data = prebuilt(merchant_id, n, sqlite=False)
    chunks = [data[at : at + per_txn] for at in range(0, n, per_txn)]
    tasks = 2
    ins_r = insert_sql("receipts", RECEIPT_COLUMNS, sqlite=False)
    ins_l = insert_sql("receipt_lines", LINE_COLUMNS, sqlite=False)
    pool = await asyncpg.create_pool(url, min_size=tasks, max_size=tasks)
    queue: asyncio.Queue[list[Any]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def worker() -> None:
        async with pool.acquire() as conn:
            while not queue.empty():
                chunk = queue.get_nowait()
                async with conn.transaction():
                    last = await conn.fetchval(COUNTER_PG, merchant_id, len(chunk))
                    first = last - len(chunk) + 1
                    receipts = [_numbered(r, first + k) for k, (r, _) in enumerate(chunk)]
                    lines = [line for _, ls in chunk for line in ls]
                    if method == "copy":
                        await conn.copy_records_to_table(
                            "receipts", records=receipts, columns=RECEIPT_COLUMNS
                        )
                        await conn.copy_records_to_table(
                            "receipt_lines", records=lines, columns=LINE_COLUMNS
                        )
                    else:
                        await conn.executemany(ins_r, receipts)
                        await conn.executemany(ins_l, lines)

    try:
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        elapsed = time.perf_counter() - start
    finally:
        await pool.close()
    return n / elapsed


def raw_setup(base_url: str, n: int, per_txn: int, method: str = "executemany") -> list[float]:
    label = f"raw_{method}_{per_txn}"
    with fresh_database(base_url, label) as db:
        merchant_id, _ = migrate_and_merchant(db.url)
        mid = uuid.UUID(merchant_id)
        rates = []
        for run in range(RUNS + 1):  # the first run warms up
            if db.dialect == "sqlite":
                assert db.path is not None
                rate = raw_sqlite(db.path, mid, n, per_txn)
            else:
                rate = asyncio.run(raw_pg(db.url, mid, n, per_txn, method))
            if run:
                rates.append(rate)
            log(f"{label} ({db.dialect}) run {run}{' (warm-up)' if not run else ''}: "
                f"{rate:,.0f} receipts/s")  # fmt: skip
        in_db = count_receipts(db)
        log(f"{label}: {in_db} receipts in the database ({(RUNS + 1) * n} expected)")
    return rates


def single_posts(
    url: str, seconds: int, warm: int, versus: Path | None
) -> tuple[list[float], list[tuple[float, float]]]:
    """Median single-POST rates of Tillroll, the bare app, baseline (b) (and the `versus`
    checkout's Tillroll): all servers up at once (idle between runs), runs interleaved
    (Tillroll, bare, (b), versus, Tillroll, …) so drift on the noisy VM hits all alike. With
    `versus`, also the lone-POST latency (p50, p99 ms) of Tillroll and of `versus`."""
    with contextlib.ExitStack() as stack:
        setups = [
            stack.enter_context(http_setup(url, "tillroll", 1)),
            stack.enter_context(http_setup(url, "baseline", 1)),
            stack.enter_context(http_setup(url, "raw", 1)),
        ]
        if versus is not None:
            setups.append(stack.enter_context(http_setup(url, "tillroll", 1, versus.resolve())))
        for s in setups:
            warm_up(s, warm)
        for run in range(RUNS):
            for s in setups:
                timed_run(s, run, seconds)
        lone = lone_posts([setups[0], setups[3]]) if versus is not None else []
    return [median(s.rates) for s in setups], lone


def lone_posts(setups: list[Setup]) -> list[tuple[float, float]]:
    """(p50, p99) ms of one client posting one receipt at a time, per setup: RUNS runs of
    LONE requests each, interleaved, medians of the runs."""
    runs: list[list[tuple[float, float]]] = [[] for _ in setups]
    for run in range(RUNS + 1):  # the first run warms up
        for s, mine in zip(setups, runs, strict=True):
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {s.auth}"}
            latencies = []
            with httpx.Client(base_url=s.base, headers=headers, timeout=30) as client:
                for i in range(LONE):
                    data = body(f"lone-{run}-{secrets.token_hex(3)}-{i}")
                    t0 = time.perf_counter()
                    response = client.post(s.path, content=data)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 201, response.text
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            log(f"{s.label} lone POST run {run}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
            if run:
                mine.append((p50, p99))
    return [(median([r[0] for r in m]), median([r[1] for r in m])) for m in runs]


def single_figures(d: str, rates: list[float], lone: list[tuple[float, float]]) -> list[str]:
    tr, bare, raw, *versus = rates
    u = "receipts/s"
    lines = [
        figure(f"ingest_single_http_{d}_vs_bare_app", tr, u, bare, u, ">= 1.5"),
        figure(f"ingest_single_http_{d}_vs_raw_no_counter_1_per_txn", tr, u, raw, u, ">= 1.0"),
        figure(f"bare_app_single_http_{d}_vs_raw_no_counter_1_per_txn", bare, u, raw, u, "none"),
    ]
    if versus:
        lines.append(figure(f"ingest_single_http_{d}_vs_versus", tr, u, versus[0], u, "none"))
    for (new50, new99), (old50, old99) in [lone] if len(lone) == 2 else []:
        lines += [
            figure(f"ingest_lone_post_p50_{d}_vs_versus", new50, "ms", old50, "ms", "<= +1 ms"),
            figure(f"ingest_lone_post_p99_{d}_vs_versus", new99, "ms", old99, "ms", "<= +1 ms"),
        ]
    return lines


def main() -> None:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--single-only", action="store_true", help="only the single-POST figures")
    p.add_argument(
        "--versus",
        type=Path,
        metavar="CHECKOUT",
        help="another checkout of Tillroll (with its own .venv, e.g. a worktree of main) "
        "whose single POSTs run interleaved with this one's: old vs new as a ratio",
    )
    args = p.parse_args()
    url, quick = args.database_url, args.quick
    dialect = dialect_of(url)
    seconds, warm = (5, 2) if quick else (10, 3)
    n_batch = 10_000 if quick else 20_000
    log(f"ingest benchmark on {dialect}, {WORKERS} workers, {CLIENTS} clients, quick={quick}")

    rates, lone = single_posts(url, seconds, warm, args.versus)
    singles = single_figures(dialect, rates, lone)
    if args.single_only:
        print("\n".join(singles), flush=True)
        return
    with http_setup(url, "tillroll", BATCH) as trb:
        for run in range(RUNS):
            timed_run(trb, run, seconds)
    tr_batch = median(trb.rates)
    raw_batch = median(raw_setup(url, n_batch, BATCH))
    raw_copy = median(raw_setup(url, n_batch, BATCH, "copy")) if dialect == "postgresql" else 0.0
    u, d = "receipts/s", dialect
    target = ">= 0.50" if dialect == "sqlite" else ">= 1.04 (before issue 14)"
    lines = [
        *singles,
        figure(f"ingest_batch500_http_{d}_vs_raw_executemany_500_per_txn", tr_batch, u,
               raw_batch, u, target),
    ]  # fmt: skip
    if dialect == "postgresql":
        lines.append(
            figure(f"ingest_batch500_http_{d}_vs_raw_copy_500_per_txn", tr_batch, u, raw_copy, u,
                   ">= 0.61 (before issue 14)")
        )  # fmt: skip
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
