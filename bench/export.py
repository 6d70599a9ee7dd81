"""Export throughput and memory: /v1/receipts/export.csv and Spaaza's get-receipts.csv.

README
    python -m bench.export [--database-url URL] [--quick]

    Fills 1,000,000 receipts (5,000,000 lines) with bench.read's generator through the raw
    driver (--quick: 100,000), serves Tillroll in ONE worker process (so the process's peak
    RSS is the export's), and streams, with one client discarding the bytes:
      * the newest 100,000 receipts (an issued_from window) and all 1,000,000;
      * through the native export and through the Spaaza facade's get-receipts.csv.
    Baseline: the database's own CSV dump of the same columns (the native export's first 16
    of its 21: this dataset has no wallet entries, so its four wallet cells are empty, and
    the dump leaves them out; Spaaza's 27) and rows, same order
    (`sqlite3 -csv` / `psql -c "COPY (…) TO STDOUT (FORMAT csv)"`), plain column values
    (items_count dumped as a constant: Tillroll keeps it only inside the rendered cells, so
    the baseline is, if anything, flattered).
    Figures: rows/s (median of 3) vs the dump; peak RSS (VmHWM of the server process) at 1M
    vs at 100k (target within 10 %); for the facade, time to first byte vs the whole
    transfer (it must stream: first byte long before the last row is read).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench._common import (
    dialect_of,
    figure,
    fresh_database,
    log,
    median,
    migrate_and_merchant,
    parser,
    server,
    tillroll_cli,
)
from bench.read import Dataset, fill_pg, fill_sqlite

RUNS = 3

# The same 27 columns, as plain values (what the database dumps by itself).
DUMP_SQL = (
    "SELECT r.number, r.external_id, r.issued_at, r.type, 0, r.currency, "
    "r.currency, r.subtotal, r.total, r.shipping_total, {employee_code}, {employee_name}, "
    "b.number, b.name, b.code, c.member_number, NULL, c.member_number, c.external_id, "
    "c.email, c.first_name, c.last_name, c.gender, c.birthday, c.country, "
    "{postal}, r.notes "
    "FROM receipts r "
    "LEFT JOIN branches b ON b.merchant_id = r.merchant_id AND b.id = r.branch_id "
    "LEFT JOIN customers c ON c.merchant_id = r.merchant_id AND c.id = r.customer_id "
    "WHERE r.merchant_id = '{merchant}' AND r.issued_at >= '{since}' "
    "ORDER BY r.issued_at, r.number"
)


# The native export's first 16 columns (docs/exports.md), as plain values (its 4 wallet
# cells are empty here: the generated data has no wallet entries).
NATIVE_DUMP_SQL = (
    "SELECT r.number, r.id, r.external_id, r.type, r.issued_at, r.currency, r.subtotal, "
    "r.tax_total, r.shipping_total, r.discount_total, r.total, r.is_return, r.branch_id, "
    "b.code, r.customer_id, r.notes "
    "FROM receipts r "
    "LEFT JOIN branches b ON b.merchant_id = r.merchant_id AND b.id = r.branch_id "
    "WHERE r.merchant_id = '{merchant}' AND r.issued_at >= '{since}' "
    "ORDER BY r.issued_at, r.number"
)


def dump_sql(name: str, dialect: str, merchant: str, since: str) -> str:
    if name == "export":
        return NATIVE_DUMP_SQL.format(merchant=merchant, since=since)
    if dialect == "sqlite":
        parts = {
            "employee_code": "json_extract(r.employee, '$.code')",
            "employee_name": "json_extract(r.employee, '$.name')",
            "postal": "json_extract(c.billing_address, '$.postal_code')",
        }
    else:
        parts = {
            "employee_code": "r.employee ->> 'code'",
            "employee_name": "r.employee ->> 'name'",
            "postal": "c.billing_address ->> 'postal_code'",
        }
    return DUMP_SQL.format(merchant=merchant, since=since, **parts)


def native_dump(db: Any, sql: str) -> float:
    """Seconds for the database's own CSV dump to /dev/null."""
    if db.dialect == "sqlite":
        cmd = ["sqlite3", "-csv", "-header", str(db.path), sql]
    else:
        cmd = ["psql", db.url, "-q", "-c", f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"]
    start = time.perf_counter()
    with open("/dev/null", "wb") as sink:
        subprocess.run(cmd, stdout=sink, check=True, timeout=1800)
    return time.perf_counter() - start


def stream(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[float, float, int]:
    """(seconds to first byte, total seconds, data rows) of one streamed GET."""
    start = time.perf_counter()
    first = 0.0
    newlines = 0
    with httpx.stream("GET", url, params=params, headers=headers, timeout=1800) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            if not first:
                first = time.perf_counter() - start
            newlines += chunk.count(b"\n")
    return first, time.perf_counter() - start, newlines - 1


def peak_rss_kib(base_url: str) -> int:
    """VmHWM of the uvicorn process serving `base_url` (one worker: the server itself)."""
    port = base_url.rsplit(":", 1)[1]
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmdline = status.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"uvicorn" in b" ".join(cmdline) and port.encode() in cmdline:
            text = (status.parent / "status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", text)
            assert match
            return int(match.group(1))
    raise RuntimeError("server process not found")


def fill(db: Any, n: int) -> tuple[str, str, int]:
    merchant, key = migrate_and_merchant(db.url)
    data = Dataset(uuid.UUID(merchant), n, text=db.dialect == "sqlite")
    t0 = time.perf_counter()
    if db.dialect == "sqlite":
        fill_sqlite(str(db.path), data)
    else:
        asyncio.run(fill_pg(db.url, data))
    log(f"filled {n:,} receipts in {time.perf_counter() - t0:.0f}s")
    t0 = time.perf_counter()
    tillroll_cli(db.url, "migrate", timeout=1800)  # renders the CSV cells ingest would
    if db.dialect == "postgresql":  # that rewrote every receipt row; ingest writes it once
        asyncio.run(_vacuum(db.url))
    log(f"rendered their CSV cells in {time.perf_counter() - t0:.0f}s")
    number = int(tillroll_cli(db.url, "merchants", "list").split("\t", 1)[0])
    return merchant, key, number


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM FULL ANALYZE receipts")  # as compact as rows written once
    finally:
        await conn.close()


def since_for(db: Any, merchant: str, newest: int) -> str:
    """The issued_at of the `newest`-th newest receipt (a window holding that many)."""
    sql = (
        f"SELECT issued_at FROM receipts WHERE merchant_id = '{merchant}' "
        f"ORDER BY issued_at DESC, number DESC LIMIT 1 OFFSET {newest - 1}"
    )
    if db.dialect == "sqlite":
        cmd = ["sqlite3", str(db.path), sql]
    else:
        cmd = ["psql", db.url, "-tA", "-c", sql]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    return datetime.fromisoformat(text.replace(" ", "T")).isoformat()


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    lines: list[str] = []
    with fresh_database(args.database_url, "export") as db:
        merchant, key, chain = fill(db, sizes[-1])
        env = {"TILLROLL_DATABASE_URL": db.url}
        auth = {"Authorization": f"Bearer {key}", "Session-Chain-Id": str(chain)}
        results: dict[tuple[str, int], dict[str, float]] = {}
        for size in sizes:
            since = since_for(db, merchant, size)
            for name, path, params in (
                ("export", "/v1/receipts/export.csv", {"issued_from": since}),
                (
                    "get-receipts",
                    "/compat/spaaza/get-receipts.csv",
                    {"chain_id": str(chain), "min_created_datetime": since},
                ),
            ):
                sql = dump_sql(name, db.dialect, merchant, since)
                dump = median([native_dump(db, sql) for _ in range(RUNS)])
                with server("tillroll.app:create_app", env, workers=1) as base:
                    runs = [stream(base + path, params, auth) for _ in range(RUNS)]
                    rss = peak_rss_kib(base)
                rows = runs[0][2]
                assert rows == size, f"{name} streamed {rows} rows, expected {size}"
                total = median([r[1] for r in runs])
                results[(name, size)] = {
                    "rows_s": size / total,
                    "dump_rows_s": size / dump,
                    "rss": rss,
                    "ttfb": median([r[0] for r in runs]),
                    "total": total,
                }
                log(
                    f"{name} {size:,}: {size / total:,.0f} rows/s, dump {size / dump:,.0f}, "
                    f"RSS {rss / 1024:.0f} MiB, first byte {results[(name, size)]['ttfb']:.3f}s"
                )
        dialect = dialect_of(db.url)
        small, large = sizes
        for name in ("export", "get-receipts"):
            for size in sizes:
                r = results[(name, size)]
                lines.append(
                    figure(
                        f"{name}.csv rows/s at {size:,} ({dialect})",
                        r["rows_s"],
                        "rows/s",
                        r["dump_rows_s"],
                        "rows/s (db dump)",
                        ">= 0.50",
                    )
                )
            lines.append(
                figure(
                    f"{name}.csv peak RSS at {large:,} vs {small:,} ({dialect})",
                    results[(name, large)]["rss"] / 1024,
                    "MiB",
                    results[(name, small)]["rss"] / 1024,
                    "MiB",
                    "<= 1.10",
                )
            )
            r = results[(name, large)]
            lines.append(
                figure(
                    f"{name}.csv first byte vs whole transfer at {large:,} ({dialect})",
                    r["ttfb"],
                    "s",
                    r["total"],
                    "s",
                    "<< 1 (streams)",
                )
            )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
