"""In-process CPU time of the hot paths (SQLite): for comparing two commits on a busy machine.

README
    python -m bench.cpu [--receipts N]

    Migrates a fresh SQLite file, fills N receipts (default 20,000) with bench.read's
    generator, and measures CPU time (`time.process_time`, so other load on the machine and
    fsync waits do not count): ingest of one receipt per transaction (median of 1,300) and
    of a batch of 500 (median of 10); a list page of 50 by branch (median of 300) and a get
    by id (median of 2,000), each with its branch and customer summaries; the native CSV
    and Spaaza's CSV of all N (rows per CPU second, median of 3). Run it before and after
    a change, interleaved, and compare the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bench._receipt import DECODER, body
from bench.read import Dataset, fill_sqlite
from tillroll.app import DATA_UPGRADES, wire_facades
from tillroll.compat.spaaza.export import stream_csv as spaaza_csv
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
    merchant, _ = await run(db, lambda conn: merchant_service.create(conn, "Bench"), write=True)
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
    await db.close()
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
