"""kit/db.py against real databases: SQLite reads never queue behind a waiting write, and
PostgreSQL failures that mean "the server is out of reach" become `DatabaseUnavailable`."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tillroll.kit import db as kit_db
from tillroll.kit.db import (
    Database,
    DatabaseBusy,
    DatabaseUnavailable,
    PostgresDatabase,
    SQLiteDatabase,
    run,
)

_HOLD = """
import sqlite3, sys
raw = sqlite3.connect(sys.argv[1], isolation_level=None)
raw.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
raw.execute("COMMIT")
"""


@contextlib.contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Another process holds SQLite's write lock on `path` until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline() == b"locked\n"
        yield
    finally:
        holder.stdin.close()  # readline returns: the holder commits and exits
        assert holder.wait(timeout=10) == 0


# --- SQLite ---------------------------------------------------------------------------


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    database = SQLiteDatabase(f"sqlite:///{tmp_path / 'lanes.db'}")
    await database.connect()
    async with database.transaction(write=True) as conn:
        await conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        await conn.execute("INSERT INTO notes (body) VALUES ('first')")
    yield database
    await database.close()


async def _count(db: Database) -> int:
    async with db.transaction(write=False) as conn:
        return int(await conn.fetchval("SELECT COUNT(*) FROM notes"))


async def _counts(db: Database, times: int) -> list[int]:
    return [await _count(db) for _ in range(times)]


async def _add(db: Database, body: str) -> None:
    async with db.transaction(write=True) as conn:
        await conn.execute("INSERT INTO notes (body) VALUES (:b)", {"b": body})


async def test_reads_do_not_wait_behind_a_write_waiting_for_another_process(
    sqlite_db: SQLiteDatabase,
) -> None:
    with write_lock_held(sqlite_db.path):
        writes = [asyncio.create_task(_add(sqlite_db, f"w{n}")) for n in range(2)]
        await asyncio.sleep(0.1)  # both writes are now queued: one in BEGIN, one on the lock
        started = time.perf_counter()
        counts = await asyncio.wait_for(_counts(sqlite_db, 20), timeout=2)
        elapsed = time.perf_counter() - started
        assert counts == [1] * 20
        assert elapsed < 0.25, f"20 reads took {elapsed:.3f} s while a write waited"
        assert not any(w.done() for w in writes)
    await asyncio.wait_for(asyncio.gather(*writes), timeout=5)
    assert await _count(sqlite_db) == 3  # the reader sees the writes once committed


async def test_a_write_waits_at_most_write_wait(
    sqlite_db: SQLiteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit_db, "WRITE_WAIT", 0.3)
    with write_lock_held(sqlite_db.path):
        started = time.perf_counter()
        with pytest.raises(DatabaseBusy):
            await _add(sqlite_db, "late")
        assert 0.3 <= time.perf_counter() - started < 1.0
    await _add(sqlite_db, "now")
    assert await _count(sqlite_db) == 2


async def test_a_read_transaction_cannot_write(sqlite_db: SQLiteDatabase) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        async with sqlite_db.transaction(write=False) as conn:
            await conn.execute("INSERT INTO notes (body) VALUES ('sneaky')")
    assert await _count(sqlite_db) == 1


async def test_in_memory_database_reads_what_it_wrote() -> None:
    memory = SQLiteDatabase("sqlite:///:memory:")
    await memory.connect()
    try:
        async with memory.transaction(write=True) as conn:
            await conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        await _add(memory, "kept")
        assert await _count(memory) == 1
    finally:
        await memory.close()


# --- PostgreSQL -----------------------------------------------------------------------


@pytest.fixture
async def pg(db: Database) -> AsyncIterator[PostgresDatabase]:
    """A small pool of its own on the suite's PostgreSQL server."""
    if not isinstance(db, PostgresDatabase):
        pytest.skip("PostgreSQL pool behaviour: set TILLROLL_TEST_DATABASE_URL")
    database = PostgresDatabase(db.url, pool_size=1, acquire_wait=0.3)
    await database.connect()
    yield database
    await database.close()


async def _backend_pid(conn: kit_db.Connection) -> int:
    return int(await conn.fetchval("SELECT pg_backend_pid()"))


async def test_acquire_waits_at_most_acquire_wait(pg: PostgresDatabase) -> None:
    async with pg.transaction(write=False):  # the pool's only connection
        started = time.perf_counter()
        with pytest.raises(DatabaseUnavailable):
            async with pg.transaction(write=False):
                pass
        assert 0.3 <= time.perf_counter() - started < 1.0
    assert await run(pg, _backend_pid, write=False) > 0


async def test_a_connection_killed_mid_transaction_is_unavailable_then_replaced(
    pg: PostgresDatabase, db: Database
) -> None:
    async def kill(pid: int) -> None:
        async with db.transaction(write=False) as conn:
            assert await conn.fetchval("SELECT pg_terminate_backend(:p, 5000)", {"p": pid})

    with pytest.raises(DatabaseUnavailable):
        async with pg.transaction(write=True) as conn:
            victim = await _backend_pid(conn)
            await kill(victim)
            await conn.fetchval("SELECT 1")
    assert await run(pg, _backend_pid, write=False) not in (0, victim)


async def test_a_read_is_no_transaction_block_and_refuses_writes(pg: PostgresDatabase) -> None:
    async with pg.transaction(write=False) as conn:
        assert not conn.raw.is_in_transaction()  # type: ignore[attr-defined]
        with pytest.raises(kit_db.ReadOnlyError):
            await conn.execute("CREATE TEMP TABLE sneaky (n int)")
    async with pg.transaction(write=True) as conn:
        assert conn.raw.is_in_transaction()  # type: ignore[attr-defined]
        assert await conn.fetchval("SHOW TIME ZONE") == "UTC"  # the pool kept the session


async def test_bugs_and_bad_values_are_not_an_outage(pg: PostgresDatabase) -> None:
    with pytest.raises(asyncpg.UndefinedColumnError):
        async with pg.transaction(write=False) as conn:
            await conn.fetchval("SELECT no_such_column")
    with pytest.raises(asyncpg.DataError):  # an InterfaceError on an open connection
        async with pg.transaction(write=False) as conn:
            await conn.fetchval("SELECT :n::int", {"n": "not a number"})
    assert await run(pg, _backend_pid, write=False) > 0
