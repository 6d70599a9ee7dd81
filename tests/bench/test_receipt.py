"""The benchmarks' own rows fit the schema Tillroll migrates to (so a schema change that the
benchmarks' baselines missed fails here, not at the next benchmark run)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from bench._receipt import DECODER, LINE_COLUMNS, RECEIPT_COLUMNS, body, insert_sql, rows

from tillroll.kit.db import open_database
from tillroll.kit.migrate import migrate


async def test_baseline_rows_insert_into_a_migrated_database(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    db = open_database(f"sqlite:///{path}")
    await db.connect()
    try:
        await migrate(db)
    finally:
        await db.close()
    merchant = uuid.uuid4()
    receipt, lines = rows(DECODER.decode(body("BENCH-1")), merchant, 1, sqlite=True)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys=OFF")  # the merchant row is not what is under test
    raw.execute(insert_sql("receipts", RECEIPT_COLUMNS, sqlite=True), receipt)
    raw.executemany(insert_sql("receipt_lines", LINE_COLUMNS, sqlite=True), lines)
    stored = raw.execute("SELECT unit_price, total FROM receipt_lines ORDER BY line_no").fetchall()
    raw.close()
    assert len(stored) == len(lines) == 5
    assert all(isinstance(price, str) for price, _ in stored)  # exact decimal text
