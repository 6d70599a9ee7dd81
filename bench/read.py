"""Read latency at scale: GET one receipt and a filtered list page, first page vs deep page.

README
    python -m bench.read [--database-url URL] [--quick] [--receipts N]

    URL as in bench.ingest (sqlite:///path, default sqlite:////tmp/tillroll_bench/bench.db;
    or a postgresql:// cluster where a fresh tillroll_bench_* database is made and dropped).
    Sizes: 1,000,000 receipts (5,000,000 lines); --quick 50,000. Runtime on 2 vCPUs: ~3-4 min
    full on either database (the fill takes 2-2.5 min); --quick ~30 s.

How:
  * Fill: the real schema via tillroll.kit.migrate, a merchant via `tillroll merchants
    create`, then raw-driver bulk inserts (sqlite3 executemany / asyncpg COPY, foreign-key
    checks off during the fill only) for that merchant: 20 branches (Zipf-like shares), 1 customer
    per 50 receipts (45 % of receipts name one, skewed towards regulars), 730 days of opening
    hours, 5 lines each from a 200-product catalogue, JSON columns as Tillroll writes them.
    PostgreSQL gets VACUUM ANALYZE after the fill (what autovacuum would do); SQLite is left
    as Tillroll leaves it (no ANALYZE).
  * Tillroll is served like `tillroll serve --workers 2` (uvicorn, uvloop, httptools); one
    keep-alive client (http.client) sends requests one after another, so the latencies are
    service times, not queueing. Each figure is the median over 3 runs of that run's p50/p99.
  * Requests: GET /v1/receipts/{id} over 1,000 random ids; GET /v1/receipts?branch_id=<the
    biggest branch>&issued_from=<window holding ~15k of its receipts>&limit=50 (first page);
    the same after following next_cursor 200 times (the 201st page; fewer if the window is
    smaller, as with --quick).
  * Baseline: the same SELECTs (receipt + branch/customer joins, then its lines) through the
    raw driver in-process (sqlite3 / asyncpg), same ids, same filter, same keyset values.
  Target: deep page / first page <= 1.5 (p50, and p99 reported).
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import asyncpg
import msgspec

from bench._common import (
    dialect_of,
    figure,
    fresh_database,
    log,
    median,
    migrate_and_merchant,
    parser,
    percentile,
    server,
)
from bench._receipt import LINE_COLUMNS, RECEIPT_COLUMNS, insert_sql, line_tuple, sqlite_time
from tillroll.receipts.repository import LINE_SELECT, RECEIPT_SELECT

RUNS = 3
DEPTH = 200
BRANCHES = 20
DAYS = 730
END = datetime(2026, 11, 21, tzinfo=UTC)
CHUNK = 20_000

BRANCH_COLUMNS = ("merchant_id", "id", "number", "code", "name", "timezone", "created_at",
                  "updated_at")  # fmt: skip
CUSTOMER_COLUMNS = (
    "merchant_id",
    "id",
    "number",
    "external_id",
    "member_number",
    "first_name",
    "last_name",
    "email",
    "registered",
    "send_email_receipt",
    "created_at",
    "updated_at",
)

# --- data -----------------------------------------------------------------------------------

EMPLOYEE = '{"code":"E07","name":"Sanne"}'
DISCOUNTS = "[]"
CATEGORIES = ["Dairy", "Bakery", "Produce", "Coffee", "Clothing > T-shirts", "Household"]


def _catalogue(rng: random.Random) -> list[tuple[str, str, str, int, str]]:
    items = []
    for k in range(200):
        price = rng.choice([49, 99, 119, 199, 249, 299, 349, 499, 899, 1299, 1999])
        rate = "0.21" if k % 3 == 0 else "0.09"
        items.append((f"SKU-{k:04d}", f"Product {k}", CATEGORIES[k % 6], price, rate))
    return items


def _uuid7(millis: int, rng: random.Random) -> uuid.UUID:
    rand = rng.getrandbits(74)
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    return uuid.UUID(int=value | 0b10 << 62 | rand & 0x3FFF_FFFF_FFFF_FFFF)


class Dataset:
    """Deterministic receipts for one merchant, generated chunk by chunk in time order."""

    def __init__(self, merchant_id: uuid.UUID, n: int, seed: int = 7, text: bool = False) -> None:
        self.text = text  # SQLite: UUIDs and times as the text Tillroll stores
        self.rng = random.Random(seed)
        self.merchant_id = merchant_id
        self.n = n
        self.start = END - timedelta(days=DAYS)
        self.catalogue = _catalogue(self.rng)
        weights = [1 / (k + 1) ** 0.8 for k in range(BRANCHES)]
        self.branch_weights = weights
        self.branches = [_uuid7(0, self.rng) for _ in range(BRANCHES)]
        self.n_customers = max(100, n // 50)
        self.customers = [_uuid7(0, self.rng) for _ in range(self.n_customers)]
        self.sample_ids: list[uuid.UUID] = []

    def branch_rows(self) -> list[tuple[Any, ...]]:
        now = END
        return [
            (
                self.merchant_id,
                b,
                k + 1,
                f"B{k + 1:03d}",
                f"Branch {k + 1}",
                "Europe/Amsterdam",
                now,
                now,
            )
            for k, b in enumerate(self.branches)
        ]

    def customer_rows(self) -> list[tuple[Any, ...]]:
        now = END
        return [
            (
                self.merchant_id,
                c,
                k + 1,
                f"C-{k + 1}",
                f"M{k + 1:08d}",
                "Alex",
                f"Shopper{k}",
                f"shopper{k}@example.org",
                True,
                k % 2 == 0,
                now,
                now,
            )
            for k, c in enumerate(self.customers)
        ]

    def chunks(self) -> Any:
        """Yield (receipt rows, line rows) with Python objects (UUID, datetime, bool)."""
        rng, text = self.rng, self.text
        m: Any = str(self.merchant_id) if text else self.merchant_id
        branch_ids: list[Any] = [str(b) for b in self.branches] if text else self.branches
        customer_ids: list[Any] = [str(c) for c in self.customers] if text else self.customers
        per_day = self.n / DAYS
        sample_every = max(1, self.n // 1000)
        for at in range(0, self.n, CHUNK):
            count = min(CHUNK, self.n - at)
            branches = rng.choices(range(BRANCHES), weights=self.branch_weights, k=count)
            receipts, lines = [], []
            for k in range(count):
                i = at + k
                day = int(i / per_day)
                issued = self.start + timedelta(
                    days=day, hours=8, seconds=int(((i % per_day) / per_day) * 13 * 3600)
                )
                issued += timedelta(milliseconds=rng.randrange(1000))
                millis = int(issued.timestamp() * 1000)
                rid_obj = _uuid7(millis, rng)
                if i % sample_every == 0:
                    self.sample_ids.append(rid_obj)
                rid: Any = str(rid_obj) if text else rid_obj
                when: Any = sqlite_time(issued) if text else issued
                created: Any = issued + timedelta(seconds=2)
                created = sqlite_time(created) if text else created
                customer = (
                    customer_ids[int(self.n_customers * rng.random() ** 2)]
                    if rng.random() < 0.45
                    else None
                )
                subtotal = 0
                for line_no in range(1, 6):
                    sku, name, category, price, rate = self.catalogue[rng.randrange(200)]
                    qty = 1 + (rng.random() < 0.2) + (rng.random() < 0.05)
                    total = price * qty
                    subtotal += total
                    lines.append(
                        line_tuple(
                            merchant_id=m,
                            receipt_id=rid,
                            line_no=line_no,
                            sku=sku,
                            barcode=None,
                            product_id=None,
                            name=name,
                            description=None,
                            category=category,
                            quantity=str(qty),
                            quantity_micro=qty * 1_000_000,
                            unit="item",
                            unit_price=str(price),
                            original_price=None,
                            discount=0,
                            vouchers=0,
                            total=total,
                            tax_rate=rate,
                            metadata=None,
                            return_of_receipt_id=None,
                            return_of_line_no=None,
                        )
                    )
                tax = subtotal * 9 // 109
                taxes = f'[{{"rate":"0.09","taxable_amount":{subtotal - tax},"tax_amount":{tax}}}]'
                payments = f'[{{"method":"card","amount":{subtotal}}}]'
                receipts.append(
                    (
                        m,
                        rid,
                        i + 1,
                        f"T{branches[k]:03d}-{i + 1:09d}",
                        "in_store",
                        when,
                        branch_ids[branches[k]],
                        customer,
                        EMPLOYEE,
                        "EUR",
                        True,
                        subtotal,
                        tax,
                        0,
                        0,
                        subtotal,
                        taxes,
                        payments,
                        DISCOUNTS,
                        None,
                        '{"till":"T-01"}',
                        False,
                        f"{i:064x}",
                        created,
                        None,
                        None,  # order_status: no order
                        None,  # csv_cells: rendered by `tillroll migrate` (bench.export)
                    )
                )
            yield receipts, lines


def _sqlite_values(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    def conv(v: Any) -> Any:
        if isinstance(v, uuid.UUID):
            return str(v)
        if isinstance(v, datetime):
            return sqlite_time(v)
        return v

    return [tuple(conv(v) for v in row) for row in rows]


def fill_sqlite(path: str, data: Dataset) -> None:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("PRAGMA cache_size=-400000")
    raw.execute("BEGIN")
    raw.executemany(
        insert_sql("branches", BRANCH_COLUMNS, sqlite=True), _sqlite_values(data.branch_rows())
    )
    raw.executemany(
        insert_sql("customers", CUSTOMER_COLUMNS, sqlite=True),
        _sqlite_values(data.customer_rows()),
    )
    raw.execute("COMMIT")
    ins_r = insert_sql("receipts", RECEIPT_COLUMNS, sqlite=True)
    ins_l = insert_sql("receipt_lines", LINE_COLUMNS, sqlite=True)
    done = 0
    for receipts, lines in data.chunks():
        raw.execute("BEGIN")
        raw.executemany(ins_r, receipts)
        raw.executemany(ins_l, lines)
        raw.execute("COMMIT")
        done += len(receipts)
        if done % 200_000 == 0:
            log(f"  filled {done:,} receipts")
    raw.execute(
        "UPDATE counters SET value = ? WHERE merchant_id = ? AND name = 'receipt'",
        (data.n, str(data.merchant_id)),
    )
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()


async def fill_pg(url: str, data: Dataset) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET session_replication_role = replica")  # no FK triggers
        await conn.copy_records_to_table(
            "branches", records=data.branch_rows(), columns=BRANCH_COLUMNS
        )
        await conn.copy_records_to_table(
            "customers", records=data.customer_rows(), columns=CUSTOMER_COLUMNS
        )
        done = 0
        for receipts, lines in data.chunks():
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "receipts", records=receipts, columns=RECEIPT_COLUMNS
                )
                await conn.copy_records_to_table(
                    "receipt_lines", records=lines, columns=LINE_COLUMNS
                )
            done += len(receipts)
            if done % 200_000 == 0:
                log(f"  filled {done:,} receipts")
        await conn.execute(
            "UPDATE counters SET value = $2 WHERE merchant_id = $1 AND name = 'receipt'",
            data.merchant_id,
            data.n,
        )
        await conn.execute("SET session_replication_role = DEFAULT")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# --- the SELECTs: ReceiptRepository's own, run through the raw driver --------------------

_RECEIPT, _LINE = RECEIPT_SELECT, LINE_SELECT


def _marks(sqlite: bool, first: int, count: int) -> str:
    return ", ".join("?" if sqlite else f"${first + k}" for k in range(count))


def sql_get(sqlite: bool) -> str:
    p: Callable[[int], str] = (lambda n: "?") if sqlite else (lambda n: f"${n}")
    return f"SELECT {_RECEIPT} WHERE r.merchant_id = {p(1)} AND r.id IN ({p(2)})"


def sql_page(sqlite: bool, after: bool) -> str:
    p: Callable[[int], str] = (lambda n: "?") if sqlite else (lambda n: f"${n}")
    keyset = f" AND (r.issued_at, r.number) < ({p(4)}, {p(5)})" if after else ""
    limit = p(6) if after else p(4)
    return (
        f"SELECT {_RECEIPT} WHERE r.merchant_id = {p(1)} AND r.branch_id = {p(2)} "
        f"AND r.issued_at >= {p(3)}{keyset} ORDER BY r.issued_at DESC, r.number DESC "
        f"LIMIT {limit}"
    )


def sql_lines(sqlite: bool, count: int) -> str:
    return (
        f"SELECT {_LINE} FROM receipt_lines WHERE merchant_id = {'?' if sqlite else '$1'} "
        f"AND receipt_id IN ({_marks(sqlite, 2, count)}) ORDER BY receipt_id, line_no"
    )


class RawSqlite:
    def __init__(self, path: str) -> None:
        self.raw = sqlite3.connect(path, isolation_level=None)

    def get(self, m: uuid.UUID, rid: uuid.UUID) -> None:
        rows = self.raw.execute(sql_get(True), (str(m), str(rid))).fetchall()
        self.raw.execute(sql_lines(True, 1), (str(m), rows[0][0])).fetchall()

    def page(self, m: uuid.UUID, branch: uuid.UUID, since: datetime, after: Any) -> Any:
        params: tuple[Any, ...] = (str(m), str(branch), sqlite_time(since))
        if after is not None:
            params += after
        rows = self.raw.execute(sql_page(True, after is not None), (*params, 51)).fetchall()
        ids = [r[0] for r in rows[:50]]
        self.raw.execute(sql_lines(True, len(ids)), (str(m), *ids)).fetchall()
        return (rows[49][4], rows[49][1]) if len(rows) > 50 else None


class RawPg:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self.conn = conn

    async def get(self, m: uuid.UUID, rid: uuid.UUID) -> None:
        rows = await self.conn.fetch(sql_get(False), m, rid)
        await self.conn.fetch(sql_lines(False, 1), m, rows[0][0])

    async def page(self, m: uuid.UUID, branch: uuid.UUID, since: datetime, after: Any) -> Any:
        params: tuple[Any, ...] = (m, branch, since)
        if after is not None:
            params += after
        async with self.conn.transaction(readonly=True):
            rows = await self.conn.fetch(sql_page(False, after is not None), *params, 51)
            ids = [r[0] for r in rows[:50]]
            await self.conn.fetch(sql_lines(False, len(ids)), m, *ids)
        return (rows[49][4], rows[49][1]) if len(rows) > 50 else None


# --- measuring ---------------------------------------------------------------------------


def timed(fn: Callable[[], Any], k: int) -> tuple[float, float]:
    """(p50 ms, p99 ms) of k calls."""
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50), percentile(times, 99)


async def atimed(fn: Callable[[], Any], k: int) -> tuple[float, float]:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50), percentile(times, 99)


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1."""

    def __init__(self, base: str, key: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {path}: {r.status} {data[:300]!r}")
        return data


def median_pair(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return median([p[0] for p in pairs]), median([p[1] for p in pairs])


def main() -> None:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--receipts", type=int, default=None, help="override the size")
    args = p.parse_args()
    dialect = dialect_of(args.database_url)
    sqlite = dialect == "sqlite"
    n = args.receipts or (50_000 if args.quick else 1_000_000)
    k_get, k_page = (300, 100) if args.quick else (1000, 300)
    log(f"read benchmark on {dialect}: {n:,} receipts")

    with fresh_database(args.database_url, "read") as db:
        # the schema through tillroll.kit.migrate (the CLI below finds it up to date)
        from tillroll.kit.db import open_database
        from tillroll.kit.migrate import migrate

        async def schema() -> None:
            database = open_database(db.url, pool_size=1)
            await database.connect()
            try:
                await migrate(database)
            finally:
                await database.close()

        asyncio.run(schema())
        merchant, key = migrate_and_merchant(db.url)
        m = uuid.UUID(merchant)
        data = Dataset(m, n, text=sqlite)
        t0 = time.perf_counter()
        if sqlite:
            assert db.path is not None
            fill_sqlite(str(db.path), data)
        else:
            asyncio.run(fill_pg(db.url, data))
        fill_s = time.perf_counter() - t0
        log(f"filled {n:,} receipts + {5 * n:,} lines in {fill_s:.0f}s ({n / fill_s:,.0f}/s)")

        rng = random.Random(11)
        ids = rng.sample(data.sample_ids, min(1000, len(data.sample_ids)))
        branch = data.branches[0]
        since = window_start(db, m, branch)
        log(f"filter: branch {branch}, issued_from {since.isoformat()} "
            f"({(END - since).days} days)")  # fmt: skip

        tr = measure_tillroll(db.url, key, ids, branch, since, k_get, k_page)
        raw = measure_raw(db, m, ids, branch, since, k_get, k_page, tr["depth"])

    depth = tr["depth"]
    page = f"page{depth + 1}"
    d = dialect
    lines = []
    for what, label in (("get", "get_by_id"), ("first", "list_page1"), ("deep", f"list_{page}")):
        for q, i in (("p50", 0), ("p99", 1)):
            name = f"read_{label}_{q}_{d}_{n}_vs_raw_driver"
            lines.append(figure(name, tr[what][i], "ms", raw[what][i], "ms", "none"))
    for q, i in (("p50", 0), ("p99", 1)):
        lines.append(figure(f"read_{page}_vs_page1_{q}_{d}_{n}", tr["deep"][i], "ms",
                            tr["first"][i], "ms", "<= 1.5"))  # fmt: skip
    lines.append(figure(f"read_raw_{page}_vs_page1_p50_{d}_{n}", raw["deep"][0], "ms",
                        raw["first"][0], "ms", "none"))  # fmt: skip
    print("\n".join(lines), flush=True)


def window_start(db: Any, m: uuid.UUID, branch: uuid.UUID) -> datetime:
    """issued_at of about the 15,000th newest receipt of the branch (or its oldest)."""
    if db.dialect == "sqlite":
        raw = sqlite3.connect(str(db.path))
        try:
            count = raw.execute(
                "SELECT count(*) FROM receipts WHERE merchant_id = ? AND branch_id = ?",
                (str(m), str(branch)),
            ).fetchone()[0]
            text = raw.execute(
                "SELECT issued_at FROM receipts WHERE merchant_id = ? AND branch_id = ? "
                "ORDER BY issued_at DESC LIMIT 1 OFFSET ?",
                (str(m), str(branch), min(15_000, count - 1)),
            ).fetchone()[0]
        finally:
            raw.close()
        return datetime.fromisoformat(text).replace(microsecond=0)

    async def pg() -> datetime:
        conn = await asyncpg.connect(db.url)
        try:
            count = await conn.fetchval(
                "SELECT count(*) FROM receipts WHERE merchant_id = $1 AND branch_id = $2",
                m,
                branch,
            )
            value: datetime = await conn.fetchval(
                "SELECT issued_at FROM receipts WHERE merchant_id = $1 AND branch_id = $2 "
                "ORDER BY issued_at DESC LIMIT 1 OFFSET $3",
                m,
                branch,
                min(15_000, count - 1),
            )
        finally:
            await conn.close()
        return value.astimezone(UTC).replace(microsecond=0)

    return asyncio.run(pg())


def measure_tillroll(
    url: str,
    key: str,
    ids: list[uuid.UUID],
    branch: uuid.UUID,
    since: datetime,
    k_get: int,
    k_page: int,
) -> dict[str, Any]:
    first_path = "/v1/receipts?" + urlencode(
        {"branch_id": str(branch), "issued_from": since.isoformat(), "limit": 50}
    )
    with server("tillroll.app:create_app", {"TILLROLL_DATABASE_URL": url}) as base:
        client = Client(base, key)
        # follow the cursors; the deep page is the last full page within DEPTH follows
        path, depth, prev = first_path, 0, first_path
        seen: set[str] = set()
        while True:
            page = msgspec.json.decode(client.get(path))
            if len(page["data"]) < 50:  # a short last page: measure the one before
                path, depth = prev, depth - 1
                break
            seen.update(r["id"] for r in page["data"])
            if page["next_cursor"] is None or depth == DEPTH:
                break
            prev = path
            path = first_path + "&" + urlencode({"cursor": page["next_cursor"]})
            depth += 1
        assert len(seen) >= 50 * (depth + 1), "pages overlap"
        deep_path = path
        log(f"tillroll: deep page = page {depth + 1} ({len(seen):,} distinct receipts seen)")
        got = msgspec.json.decode(client.get(f"/v1/receipts/{ids[0]}"))
        assert len(got["lines"]) == 5
        cycle = itertools.cycle(ids)
        for _ in range(50):  # warm-up
            client.get(f"/v1/receipts/{next(cycle)}")
            client.get(first_path)
            client.get(deep_path)
        gets, firsts, deeps = [], [], []
        for run in range(RUNS):
            gets.append(timed(lambda: client.get(f"/v1/receipts/{next(cycle)}"), k_get))
            firsts.append(timed(lambda: client.get(first_path), k_page))
            deeps.append(timed(lambda: client.get(deep_path), k_page))
            log(f"tillroll run {run + 1}: get p50/p99 {gets[-1][0]:.2f}/{gets[-1][1]:.2f} ms, "
                f"page1 {firsts[-1][0]:.2f}/{firsts[-1][1]:.2f} ms, page{depth + 1} "
                f"{deeps[-1][0]:.2f}/{deeps[-1][1]:.2f} ms")  # fmt: skip
    return {
        "get": median_pair(gets),
        "first": median_pair(firsts),
        "deep": median_pair(deeps),
        "depth": depth,
    }


def measure_raw(
    db: Any,
    m: uuid.UUID,
    ids: list[uuid.UUID],
    branch: uuid.UUID,
    since: datetime,
    k_get: int,
    k_page: int,
    depth: int,
) -> dict[str, Any]:
    cycle = itertools.cycle(ids)
    if db.dialect == "sqlite":
        raw = RawSqlite(str(db.path))
        after = None
        for _ in range(depth):
            after = raw.page(m, branch, since, after)
        log(f"raw: deep page = page {depth + 1}")
        deep_after = after
        timed(lambda: raw.get(m, next(cycle)), 50)
        gets, firsts, deeps = [], [], []
        for _ in range(RUNS):
            gets.append(timed(lambda: raw.get(m, next(cycle)), k_get))
            firsts.append(timed(lambda: raw.page(m, branch, since, None), k_page))
            deeps.append(timed(lambda: raw.page(m, branch, since, deep_after), k_page))
        raw.raw.close()
    else:

        async def pg() -> tuple[list[Any], list[Any], list[Any]]:
            conn = await asyncpg.connect(db.url)
            raw = RawPg(conn)
            after = None
            for _ in range(depth):
                after = await raw.page(m, branch, since, after)
            log(f"raw: deep page = page {depth + 1}")
            deep_after = after
            await atimed(lambda: raw.get(m, next(cycle)), 50)
            gets, firsts, deeps = [], [], []
            for _ in range(RUNS):
                gets.append(await atimed(lambda: raw.get(m, next(cycle)), k_get))
                firsts.append(await atimed(lambda: raw.page(m, branch, since, None), k_page))
                deeps.append(await atimed(lambda: raw.page(m, branch, since, deep_after), k_page))
            await conn.close()
            return gets, firsts, deeps

        gets, firsts, deeps = asyncio.run(pg())
    for run in range(RUNS):
        log(f"raw run {run + 1}: get p50/p99 {gets[run][0]:.3f}/{gets[run][1]:.3f} ms, "
            f"page1 {firsts[run][0]:.3f}/{firsts[run][1]:.3f} ms, deep "
            f"{deeps[run][0]:.3f}/{deeps[run][1]:.3f} ms")  # fmt: skip
    return {"get": median_pair(gets), "first": median_pair(firsts), "deep": median_pair(deeps)}


if __name__ == "__main__":
    main()
