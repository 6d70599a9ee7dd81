"""In-process CPU time of the hot paths (SQLite): for comparing two commits on a busy machine.

README
    python -m bench.cpu [--receipts N]

    Migrates a fresh SQLite file, fills N receipts (default 20,000) with bench.read's
    generator, and measures CPU time (`time.process_time`, so other load on the machine and
    fsync waits do not count): ingest of one receipt per transaction (median of 1,300) and
    of a batch of 500 (median of 10); a list page of 50 by branch (median of 300) and a get
    by id (median of 2,000), each with its branch and customer summaries; the native CSV
    and Spaaza's CSV of all N (rows per CPU second, median of 3); a whole `POST
    /v1/receipts` through the ASGI app (middleware, routing, auth, ingest, the answer;
    median of 1,300), and the same POST to bench/baseline_app.py (the bare app). Run it
    before and after a change, interleaved, and compare the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import baseline_app
from bench._receipt import DECODER, body
from bench.read import Dataset, fill_sqlite
from tillroll.app import DATA_UPGRADES, create_app, wire_facades
from tillroll.compat.spaaza.export import stream_csv as spaaza_csv
from tillroll.config import Settings
from tillroll.kit.db import Connection, Database, open_database, run
from tillroll.kit.migrate import migrate
from tillroll.merchants.service import merchant as merchant_service
from tillroll.receipts import references
from tillroll.receipts.export import Window
from tillroll.receipts.export import stream_csv as native_csv
from tillroll.receipts.ingest import ingest
from tillroll.receipts.repository import ReceiptFilter


async def cpu_ms(
    db: Database, work: Callable[[Connection], Awaitable[Any]], n: int, write: bool
) -> float:
    times = []
    for _ in range(n):
        async with db.transaction(write=write) as conn:
            start = time.process_time()
            await work(conn)
            times.append(time.process_time() - start)
    return statistics.median(times) * 1000


async def http_cpu_ms(app: Any, headers: list[tuple[bytes, bytes]], n: int) -> float:
    """Median CPU time of `n` single `POST /v1/receipts` through an ASGI app, in-process."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/receipts", "raw_path": b"/v1/receipts",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *headers],
    }  # fmt: skip
    times, prefix = [], secrets.token_hex(4)
    for i in range(n):
        data = body(f"http-{prefix}-{i}")
        sent: list[Any] = []

        async def receive(data: bytes = data) -> dict[str, Any]:
            return {"type": "http.request", "body": data, "more_body": False}

        async def send(message: Any, sent: list[Any] = sent) -> None:
            sent.append(message)

        start = time.process_time()
        await app(dict(scope), receive, send)
        times.append(time.process_time() - start)
        assert sent[0]["status"] == 201, sent
    return statistics.median(times) * 1000


async def rows_per_cpu_s(stream: Callable[[], AsyncIterator[bytes]]) -> float:
    runs = []
    for _ in range(3):
        start, lines = time.process_time(), 0
        async for chunk in stream():
            lines += chunk.count(b"\n")
        runs.append((lines - 1) / (time.process_time() - start))
    return statistics.median(runs)


async def measure(path: Path, n: int) -> dict[str, float]:
    wire_facades()
    db = open_database(f"sqlite:///{path}")
    await db.connect()
    await migrate(db)
    merchant, key = await run(db, lambda conn: merchant_service.create(conn, "Bench"), write=True)
    m = merchant.id
    data = Dataset(m, n, text=True)
    fill_sqlite(str(path), data)
    for step in DATA_UPGRADES:
        await step(db)
    bodies = iter(DECODER.decode(body(f"cpu-{i}")) for i in range(10**9))
    out = {
        "ingest_single_ms": await cpu_ms(db, lambda c: ingest(c, m, [next(bodies)]), 1300, True),
        "ingest_batch500_ms": await cpu_ms(
            db, lambda c: ingest(c, m, [next(bodies) for _ in range(500)]), 10, True
        ),
    }
    where = ReceiptFilter(branch_id=data.branches[0])
    out["page50_ms"] = await cpu_ms(db, lambda c: references.page(c, m, where, 51), 300, False)
    some: uuid.UUID = data.sample_ids[0]
    out["get_ms"] = await cpu_ms(db, lambda c: references.get_many(c, m, [some]), 2000, False)
    window = Window(ReceiptFilter())
    out["native_csv_rows_per_cpu_s"] = await rows_per_cpu_s(lambda: native_csv(db, m, window))
    out["spaaza_csv_rows_per_cpu_s"] = await rows_per_cpu_s(lambda: spaaza_csv(db, m, window))
    app = create_app(Settings(database_url=f"sqlite:///{path}"), db=db)
    auth = [(b"authorization", f"Bearer {key.secret}".encode())]
    out["http_single_ms"] = await http_cpu_ms(app, auth, 1300)
    await db.close()
    os.environ |= {"BENCH_DATABASE_URL": f"sqlite:///{path}", "BENCH_MERCHANT_ID": str(m)}
    bare = baseline_app.create_app()
    async with bare.router.lifespan_context(bare):
        out["bare_http_single_ms"] = await http_cpu_ms(bare, [], 1300)
    out["http_single_vs_bare"] = out["http_single_ms"] / out["bare_http_single_ms"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(measure(Path(tmp) / "cpu.db", args.receipts))
    for name, value in results.items():
        print(f"cpu: {name} = {value:,.3f}")


if __name__ == "__main__":
    main()
