"""B2B payments: payments/s through the API, and a searched, sorted list over 1M receipt lines.

README
    python -m bench.payments [--database-url URL] [--quick]

    URL as for bench.ingest (sqlite:///path, default sqlite:////tmp/tillroll_bench/bench.db;
    or a PostgreSQL cluster URL: fresh tillroll_bench_* databases, dropped afterwards).
    Needs `wrk`. Runtime: ~3 min (--quick ~1.5 min).

What runs, on fresh databases migrated with `tillroll migrate`:
  * Payments: `uvicorn tillroll.app:create_app --factory --workers 2` (as `tillroll serve
    --workers 2`); wrk -c16 POSTs /v1/payments, each with a fresh Idempotency-Key and 3
    allocations taken round-robin from 300 invoices (so payments meet on invoices now and
    then, as they would, without all queueing on one row).
    Baseline: the same writes by the raw driver in-process, one transaction per payment:
    lock the 3 invoices (FOR UPDATE on PostgreSQL), the 3 guarded balance updates, the 3
    counters, the payment, receipt and 3 line rows, the audit and event rows (sqlite3: one
    connection, as SQLite serialises writes anyway; asyncpg: 8 concurrent connections).
  * Query: 1,000,000 receipt lines (333,334 receipts) inserted by the raw driver, then
    GET /v1/payment-receipt-lines?q=<prefix>&search_by=reference_number&sort=amount&order=asc
    &limit=50 (a prefix matching 30 lines) by wrk -c1: p50/p99.
    Baseline: the same URL on bench/baseline_app.py (bare Starlette, served the same way),
    which runs the same two statements (the page, and the count and total per currency,
    bench/_lines.py) by hand on the raw driver and answers the same JSON page; the two
    servers take turns run by run. Extra column: the b2b service in-process against the two
    statements on the raw driver, call by call (what the service costs above the SQL; the
    service call the endpoint makes, `lines_answer`).
    `--query-only` skips the payments figure.
  Each figure is the median of 3 timed runs (after a warm-up); ratios are Tillroll / baseline.
  Targets: payments/s >= 0.40 of the raw driver; query p50 <= 1.5x the bare app's.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import _lines
from bench._common import (
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
from tillroll.b2b.receipts import receipt as receipt_service
from tillroll.b2b.schemas import LineQuery
from tillroll.b2b.tables import AUDIT, LINES, PAYMENTS, RECEIPTS
from tillroll.kit.db import open_database, run

INVOICES_N = 300
AMOUNT = 10**14  # never exhausted by a benchmark run
LINES_N = 1_000_000
RUNS = 3


@dataclass
class Setup:
    base: str
    key: str
    merchant: uuid.UUID
    company: uuid.UUID
    invoices: list[uuid.UUID]


def _setup(base: str, key: str, merchant: str) -> Setup:
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
        company = http.post("/v1/customers", json={"external_id": "5707"}).raise_for_status()
        cid = company.json()["id"]
        invoices = [
            http.post(
                "/v1/invoices",
                json={"invoice_number": f"B-{n:05d}", "customer_id": cid, "currency": "USD",
                      "amount": AMOUNT},
            ).raise_for_status().json()["id"]
            for n in range(INVOICES_N)
        ]  # fmt: skip
    return Setup(base, key, uuid.UUID(merchant), uuid.UUID(cid), [uuid.UUID(i) for i in invoices])


_LUA = """
local invoices = {%s}
local company = "%s"
local n = 0
local thread_id = tostring(math.random(1, 1e9))
request = function()
  n = n + 1
  local a = invoices[(n * 3) %% #invoices + 1]
  local b = invoices[(n * 3 + 1) %% #invoices + 1]
  local c = invoices[(n * 3 + 2) %% #invoices + 1]
  local body = '{"customer_id":"' .. company .. '","currency":"USD","total":600,' ..
    '"payer_name":"Cash","reference_number":"R' .. n .. '","allocations":[' ..
    '{"invoice_id":"' .. a .. '","amount":100},{"invoice_id":"' .. b .. '","amount":200},' ..
    '{"invoice_id":"' .. c .. '","amount":300}]}'
  return wrk.format("POST", "/v1/payments", {
    ["Authorization"] = "Bearer %s", ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. thread_id .. "-" .. n}, body)
end
"""


def _api_payments(s: Setup, seconds: int) -> float:
    ids = ",".join(f'"{i}"' for i in s.invoices)
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(_LUA % (ids, s.company, s.key))
    wrk(s.base + "/v1/payments", script, seconds=2, connections=16)  # warm-up
    rates = []
    for _ in range(RUNS):
        result = wrk(s.base + "/v1/payments", script, seconds=seconds, connections=16)
        assert result.non_2xx == 0 and result.socket_errors == 0, result
        rates.append(result.rps)
    return median(rates)


# --- the raw-driver baseline ---------------------------------------------------------------


def _row(table: Any, **values: Any) -> tuple[Any, ...]:
    return tuple(values[n] for n in table.names)


def _payment_rows(s: Setup, n: int, numbers: tuple[int, int, int]) -> dict[str, Any]:
    """The rows one payment writes (numbers from the counters)."""
    now = datetime.now(UTC)
    pid, rid = uuid.uuid4(), uuid.uuid4()
    common = {
        "merchant_id": s.merchant, "customer_id": s.company, "payer_name": "Cash",
        "payer_customer_id": s.company, "payment_type": "Offline", "reference_number": f"R{n}",
        "transaction_type": "Paid", "external_id": None, "external_customer_id": None,
        "currency": "USD", "created_at": now, "updated_at": now,
    }  # fmt: skip
    picked = [s.invoices[(n * 3 + k) % len(s.invoices)] for k in range(3)]
    lines = [
        _row(LINES, **common, id=uuid.uuid4(), number=numbers[2] + k, receipt_id=rid,
             receipt_number=numbers[1], payment_id=pid, payment_number=numbers[0],
             invoice_id=inv, invoice_seq=1, invoice_number="B", amount=100 * (k + 1),
             payment_status=3, deleted_at=None, customer_ref="5707")
        for k, inv in enumerate(picked)
    ]  # fmt: skip
    return {
        "invoices": picked,
        "payment": _row(PAYMENTS, **common, id=pid, number=numbers[0], memo="", total=600,
                        processing_status=3, applied=True, funding_status=0, channel_id=None,
                        customer_ref="5707", customer_name="Bench Co"),
        "receipt": _row(RECEIPTS, **common, id=rid, number=numbers[1], payment_id=pid,
                        payment_number=numbers[0], memo="", total=600, payment_status=3,
                        deleted_at=None, customer_ref="5707"),
        "lines": lines,
        "audit": _row(AUDIT, merchant_id=s.merchant, id=uuid.uuid4(), at=now, actor="key",
                      action="payment.recorded", object_type="payment", object_id=pid,
                      changes='{"total": 600}'),
        "event": (s.merchant, uuid.uuid4(), "payment.recorded", '{"total": 600}', now),
    }  # fmt: skip


def _marks(n: int, pg: bool) -> str:
    return ", ".join(f"${i}" for i in range(1, n + 1)) if pg else ", ".join("?" * n)


def _sql(pg: bool) -> dict[str, str]:
    lock = " FOR UPDATE" if pg else ""
    p: Callable[[int], str] = (lambda i: f"${i}") if pg else (lambda i: "?")
    ins = {
        t.name: f"INSERT INTO {t.name} ({', '.join(t.names)}) VALUES ({_marks(len(t.names), pg)})"
        for t in (PAYMENTS, RECEIPTS, LINES, AUDIT)
    }
    return {
        **ins,
        "lock": f"SELECT id, open_balance FROM invoices WHERE merchant_id = {p(1)} "
        f"AND id IN ({p(2)}, {p(3)}, {p(4)}) ORDER BY id{lock}",
        "move": f"UPDATE invoices SET open_balance = open_balance - {p(1)}, updated_at = {p(2)} "
        f"WHERE merchant_id = {p(3)} AND id = {p(4)} AND open_balance >= {p(5)}",
        "counter": f"UPDATE counters SET value = value + {p(1)} WHERE merchant_id = {p(2)} "
        f"AND name = {p(3)} RETURNING value",
        "event": f"INSERT INTO events (merchant_id, id, type, data, created_at) "
        f"VALUES ({_marks(5, pg)})",
    }


def _raw_sqlite(s: Setup, path: Path, seconds: float) -> float:
    sql = _sql(False)
    raw = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        raw.execute(f"PRAGMA {pragma}")
    m = str(s.merchant)

    def one(n: int) -> None:
        raw.execute("BEGIN IMMEDIATE")
        numbers = tuple(
            raw.execute(sql["counter"], (c, m, name)).fetchone()[0] - c + 1
            for name, c in (("payment", 1), ("payment_receipt", 1), ("payment_receipt_line", 3))
        )
        rows = _payment_rows(s, n, numbers)
        ids = [str(i) for i in rows["invoices"]]
        raw.execute(sql["lock"], (m, *sorted(ids))).fetchall()
        now = datetime.now(UTC).isoformat()
        for k, inv in enumerate(ids):
            raw.execute(sql["move"], (100 * (k + 1), now, m, inv, 100 * (k + 1)))
        adapt = [tuple(_adapt(v) for v in r) for r in (rows["payment"], rows["receipt"])]
        raw.execute(sql["payments"], adapt[0])
        raw.execute(sql["payment_receipts"], adapt[1])
        raw.executemany(
            sql["payment_receipt_lines"], [tuple(map(_adapt, x)) for x in rows["lines"]]
        )
        raw.execute(sql["payment_audit"], tuple(map(_adapt, rows["audit"])))
        raw.execute(sql["event"], tuple(map(_adapt, rows["event"])))
        raw.execute("COMMIT")

    return _timed(one, seconds)


def _adapt(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, bool):
        return int(value)
    return value


def _timed(one: Any, seconds: float) -> float:
    for n in range(50):
        one(10_000_000 + n)  # warm-up
    rates = []
    counter = 20_000_000
    for _ in range(RUNS):
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            one(counter)
            counter += 1
            done += 1
        rates.append(done / (time.perf_counter() - started))
    return median(rates)


async def _raw_pg(s: Setup, url: str, seconds: float) -> float:
    sql = _sql(True)
    pool = await asyncpg.create_pool(url, min_size=8, max_size=8)
    counter = iter(range(30_000_000, 10**9))

    async def one(conn: Any, n: int) -> None:
        async with conn.transaction():
            rows = _payment_rows(s, n, (0, 0, 0))
            await conn.fetch(sql["lock"], s.merchant, *sorted(rows["invoices"]))
            now = datetime.now(UTC)
            for k, inv in enumerate(rows["invoices"]):
                await conn.execute(sql["move"], 100 * (k + 1), now, s.merchant, inv, 100 * (k + 1))
            numbers = []
            for name, c in (("payment", 1), ("payment_receipt", 1), ("payment_receipt_line", 3)):
                numbers.append(await conn.fetchval(sql["counter"], c, s.merchant, name) - c + 1)
            rows = _payment_rows(s, n, tuple(numbers))
            await conn.execute(sql["payments"], *rows["payment"])
            await conn.execute(sql["payment_receipts"], *rows["receipt"])
            await conn.executemany(sql["payment_receipt_lines"], rows["lines"])
            await conn.execute(sql["payment_audit"], *rows["audit"])
            await conn.execute(sql["event"], *rows["event"])

    async def worker(deadline: float) -> int:
        done = 0
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                await one(conn, next(counter))
                done += 1
        return done

    async def window(length: float) -> float:
        started = time.perf_counter()
        done = await asyncio.gather(*(worker(started + length) for _ in range(8)))
        return sum(done) / (time.perf_counter() - started)

    try:
        await window(1.0)
        rates = [await window(seconds) for _ in range(RUNS)]
    finally:
        await pool.close()
    return median(rates)


# --- the list query over 1M lines -----------------------------------------------------------


def _many_lines(s: Setup) -> list[tuple[Any, ...]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(LINES_N):
        receipt = n // 3
        rows.append(_row(
            LINES, merchant_id=s.merchant, id=uuid.uuid4(), number=10_000_000 + n,
            receipt_id=uuid.UUID(int=receipt + 1), receipt_number=receipt + 1,
            payment_id=uuid.UUID(int=receipt + 1), payment_number=receipt + 1,
            invoice_id=s.invoices[n % len(s.invoices)], invoice_seq=1 + n % len(s.invoices),
            invoice_number="B", customer_id=s.company, payer_name=f"Payer {receipt % 997}",
            payer_customer_id=s.company, payment_type="Offline",
            reference_number=f"Q{receipt:07d}", transaction_type="Paid", external_id=None,
            external_customer_id=None, currency="USD", amount=100 + n % 9000,
            payment_status=n % 5, created_at=start + timedelta(seconds=n),
            updated_at=start + timedelta(seconds=n), deleted_at=None, customer_ref="5707",
        ))  # fmt: skip
    return rows


def _load_lines(db: FreshDatabase, s: Setup) -> None:
    """Lines only: the foreign keys to receipts are not what the query reads (off here)."""
    rows = _many_lines(s)
    if db.dialect == "sqlite":
        assert db.path is not None
        raw = sqlite3.connect(db.path, isolation_level=None)
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("BEGIN")
        raw.executemany(_sql(False)["payment_receipt_lines"], [tuple(map(_adapt, r)) for r in rows])
        raw.execute("COMMIT")
        raw.execute("ANALYZE")
        raw.close()
        return

    async def copy() -> None:
        conn = await asyncpg.connect(db.url)
        try:
            await conn.execute("ALTER TABLE payment_receipt_lines DISABLE TRIGGER ALL")
            await conn.copy_records_to_table(
                "payment_receipt_lines", records=rows, columns=list(LINES.names)
            )
            await conn.execute("ALTER TABLE payment_receipt_lines ENABLE TRIGGER ALL")
            await conn.execute("ANALYZE payment_receipt_lines")
        finally:
            await conn.close()

    asyncio.run(copy())


PREFIX = "Q012345"  # receipts Q0123450..Q0123459: 30 lines
QUERY = f"q={PREFIX}&search_by=reference_number&sort=amount&order=asc&limit=50"


def _http_query(bases: dict[str, str], key: str, seconds: int) -> dict[str, tuple[float, float]]:
    """GET /v1/payment-receipt-lines?QUERY by wrk -c1 on each server, the servers taking
    turns run by run (so both see the same machine load): name → (p50, p99) medians."""
    auth = {"Authorization": f"Bearer {key}"}
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {key}"\n')
    urls = {name: f"{base}/v1/payment-receipt-lines?{QUERY}" for name, base in bases.items()}
    with httpx.Client(headers=auth) as http:
        pages = {name: http.get(url).raise_for_status().json() for name, url in urls.items()}
    for page in pages.values():
        assert page["meta"]["total_count"] == 30 and len(page["data"]) == 30, page["meta"]
    samples: dict[str, list[Any]] = {name: [] for name in urls}
    for run_no in range(RUNS + 1):
        for name, url in urls.items():
            result = wrk(url, script, seconds=seconds if run_no else 2, connections=1)
            assert result.non_2xx == 0 and result.socket_errors == 0, result
            if run_no:  # the first round warms up
                samples[name].append(result)
    return {
        name: (median([r.p50_ms for r in rs]), median([r.p99_ms for r in rs]))
        for name, rs in samples.items()
    }


async def _hand_sql(db: FreshDatabase, s: Setup) -> tuple[Any, Any]:
    """The page and totals statements by hand on the raw driver: (run once, close)."""
    page, totals = _lines.statements("reference_number", "amount", "asc", pg=db.dialect != "sqlite")
    if db.dialect == "sqlite":
        assert db.path is not None
        raw = sqlite3.connect(db.path)
        params = (str(s.merchant), PREFIX, PREFIX + _lines.TOP)

        async def one_sqlite() -> None:
            raw.execute(page, (*params, 51, 0)).fetchall()
            assert raw.execute(totals, params).fetchall()[0][1] == 30

        async def close_sqlite() -> None:
            raw.close()

        return one_sqlite, close_sqlite
    conn = await asyncpg.connect(db.url)
    args = (s.merchant, PREFIX, PREFIX + _lines.TOP)
    pg_page, pg_totals = await conn.prepare(page), await conn.prepare(totals)

    async def one_pg() -> None:
        await pg_page.fetch(*args, 51, 0)
        assert (await pg_totals.fetch(*args))[0]["n"] == 30

    return one_pg, conn.close


def _in_process(db: FreshDatabase, s: Setup, seconds: float) -> dict[str, float]:
    """Hand SQL and the same list through the b2b service (no HTTP), interleaved call by
    call so both see the same machine load: p50/p99 of each."""
    query = LineQuery(q=PREFIX, search_by="reference_number", sort="amount", order="asc")

    async def measure() -> dict[str, float]:
        database = open_database(db.url, pool_size=2)
        await database.connect()
        hand, close = await _hand_sql(db, s)

        async def service() -> None:
            page = await run(
                database,
                lambda conn: receipt_service.lines_answer(conn, s.merchant, query),
                write=False,
            )
            assert page.meta.total_count == 30

        samples: dict[str, list[float]] = {"sql": [], "svc": []}
        try:
            for run_no in range(RUNS + 1):
                started = time.perf_counter()
                while time.perf_counter() - started < seconds:
                    for name, call in (("sql", hand), ("svc", service)):
                        t = time.perf_counter()
                        await call()
                        if run_no:  # the first run warms up
                            samples[name].append((time.perf_counter() - t) * 1000)
        finally:
            await close()
            await database.close()
        return {f"{k}_p{q}_ms": percentile(v, q) for k, v in samples.items() for q in (50, 99)}

    return asyncio.run(measure())


def _query_figures(db: FreshDatabase, s: Setup, key: str, seconds: int) -> dict[str, float]:
    """The 1M-line query: Tillroll and the bare app over HTTP, hand SQL and the b2b service
    in-process; p50/p99 in ms."""
    bare_env = {"BENCH_DATABASE_URL": db.url, "BENCH_MERCHANT_ID": str(s.merchant)}
    with (
        server("tillroll.app:create_app", {"TILLROLL_DATABASE_URL": db.url}) as base,
        server("bench.baseline_app:create_app", bare_env) as bare,
    ):
        http = _http_query({"api": base, "bare": bare}, key, seconds)
    local = _in_process(db, s, seconds)
    return {
        **{
            f"{name}_p{q}_ms": v
            for name, pair in http.items()
            for q, v in zip((50, 99), pair, strict=True)
        },
        **local,
    }


def main() -> None:
    cli = parser(__doc__.split("\n")[0])
    cli.add_argument("--query-only", action="store_true", help="skip the payments/s figure")
    args = cli.parse_args()
    seconds = 3 if args.quick else 6
    dialect = dialect_of(args.database_url)
    out: dict[str, float] = {}
    with fresh_database(args.database_url, "payments") as db:
        merchant, key = migrate_and_merchant(db.url)
        with server("tillroll.app:create_app", {"TILLROLL_DATABASE_URL": db.url}) as base:
            s = _setup(base, key, merchant)
            if not args.query_only:
                log("payments through the API")
                out["api_payments_s"] = _api_payments(s, seconds)
        if not args.query_only:
            log("payments by the raw driver")
            if db.dialect == "sqlite":
                assert db.path is not None
                out["raw_payments_s"] = _raw_sqlite(s, db.path, seconds)
            else:
                out["raw_payments_s"] = asyncio.run(_raw_pg(s, db.url, seconds))
        log(f"loading {LINES_N} receipt lines")
        _load_lines(db, s)
        out.update(_query_figures(db, s, key, max(2, seconds // 2)))
    if not args.query_only:
        api_s, raw_s = out["api_payments_s"], out["raw_payments_s"]
        print(figure(f"payments/s 3 allocations ({dialect})", api_s, "payments/s", raw_s,
                     "payments/s raw driver", ">= 0.40"))  # fmt: skip
    for q in (50, 99):
        api, bare, sql, svc = (out[f"{k}_p{q}_ms"] for k in ("api", "bare", "sql", "svc"))
        print(f"figure: 1M lines searched+sorted query ({dialect}) p{q}: Tillroll {api:.2f} ms, "
              f"bare Starlette + hand SQL {bare:.2f} ms, ratio {api / bare:.2f} (target p50 <= "
              f"1.5); in-process: b2b service {svc:.2f} ms, hand SQL {sql:.2f} ms, ratio "
              f"{svc / sql:.2f}")  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
