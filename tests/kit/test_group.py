"""kit/group.py on the real test database (SQLite file or PostgreSQL): concurrent works share
one transaction, a failing work is rolled back alone, the counter is gapless, a lone work
never waits, and a COMMIT that fails re-runs each work on its own."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from functools import partial
from pathlib import Path

import pytest

from tillroll.kit import group
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, UniqueViolation, run
from tillroll.kit.group import Coalescer
from tillroll.kit.repository import next_number
from tillroll.merchants.service import merchant as merchant_service


async def _merchant(db: Database) -> uuid.UUID:
    merchant, _ = await run(db, lambda conn: merchant_service.create(conn, "Group"), write=True)
    return merchant.id


async def _put(conn: Connection, merchant_id: uuid.UUID, key: str) -> str:
    """A row written by one work (an idempotency key row: any table would do)."""
    await conn.execute(
        "INSERT INTO idempotency_keys (merchant_id, key, request_hash, status, body, created_at) "
        "VALUES (:m, :k, '', 201, :b, :t)",
        {"m": merchant_id, "k": key, "b": b"{}", "t": utc_now()},
    )
    return key


async def _keys(db: Database, merchant_id: uuid.UUID) -> set[str]:
    return await run(db, lambda conn: _keys_in(conn, merchant_id), write=False)


async def _keys_in(conn: Connection, merchant_id: uuid.UUID) -> set[str]:
    rows = await conn.fetchall(
        "SELECT key FROM idempotency_keys WHERE merchant_id = :m", {"m": merchant_id}
    )
    return {r["key"] for r in rows}


async def test_concurrent_works_commit_in_one_transaction(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)

    async def work(conn: Connection, key: str) -> str:
        return await _put(conn, merchant_id, key)

    keys = [f"k{i}" for i in range(20)]
    results = await asyncio.gather(*(coalescer.run(partial(work, key=k)) for k in keys))
    assert results == keys
    assert await _keys(db, merchant_id) == set(keys)
    assert coalescer.works == 20
    assert coalescer.groups == 1  # queued before the drain ran: one group, one COMMIT


async def test_a_failing_work_is_rolled_back_alone(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)

    async def bad(conn: Connection) -> str:
        await _put(conn, merchant_id, "written-then-refused")
        raise ValueError("refused")

    async def clash(conn: Connection) -> str:
        return await _put(conn, merchant_id, "k1")  # the same key as a neighbour: unique

    works = [
        lambda c: _put(c, merchant_id, "k0"),
        lambda c: _put(c, merchant_id, "k1"),
        bad,
        clash,
        lambda c: _put(c, merchant_id, "k2"),
    ]
    results = await asyncio.gather(*(coalescer.run(w) for w in works), return_exceptions=True)
    assert results[:2] == ["k0", "k1"] and results[4] == "k2"
    assert isinstance(results[2], ValueError)
    assert isinstance(results[3], UniqueViolation)
    assert await _keys(db, merchant_id) == {"k0", "k1", "k2"}


async def test_a_lone_work_runs_without_a_savepoint_and_a_failure_leaves_nothing(
    db: Database,
) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)
    statements: list[str] = []

    async def bad(conn: Connection) -> str:
        execute = conn.execute

        async def noted(sql: str, params: object = None) -> None:
            statements.append(sql)
            await execute(sql, params)  # type: ignore[arg-type]

        conn.execute = noted  # type: ignore[method-assign]
        await _put(conn, merchant_id, "written-then-refused")

        async def flush(c: Connection) -> None:
            await _put(c, merchant_id, "flushed")

        group.before_commit(conn, "flush", flush)
        raise ValueError("refused")

    try:
        await coalescer.run(bad)
    except ValueError:
        pass
    else:
        raise AssertionError("the work's error did not reach its caller")
    assert await coalescer.run(lambda c: _put(c, merchant_id, "next")) == "next"
    assert not [s for s in statements if "SAVEPOINT" in s]
    assert await _keys(db, merchant_id) == {"next"}


async def test_rows_a_later_buffers_are_written_after_the_laters_once(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)

    def row(key: str) -> tuple[object, ...]:
        return (merchant_id, key, "", 201, b"{}", utc_now())

    async def work(conn: Connection, key: str) -> group.Later[str] | str:
        await group.insert_before_commit(conn, "idempotency_keys", COLUMNS, [row(f"{key}-work")])

        async def finish(conn: Connection) -> str:
            await group.insert_before_commit(conn, "idempotency_keys", COLUMNS, [row(key)])
            return key

        return await group.later(conn, finish)

    keys = [f"k{i}" for i in range(5)]
    assert await asyncio.gather(*(coalescer.run(partial(work, key=k)) for k in keys)) == keys
    assert coalescer.groups == 1
    assert await _keys(db, merchant_id) == {*keys, *(f"{k}-work" for k in keys)}


COLUMNS = ("merchant_id", "key", "request_hash", "status", "body", "created_at")


async def test_numbers_are_gapless_across_a_failed_work(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)

    async def take(conn: Connection, fail: bool) -> int:
        number = await next_number(conn, merchant_id, "receipt")
        if fail:
            raise ValueError("after taking a number")
        return number

    fails = [False, False, True, False, True, True, False, False]
    results = await asyncio.gather(
        *(coalescer.run(partial(take, fail=f)) for f in fails), return_exceptions=True
    )
    numbers = [r for r in results if isinstance(r, int)]
    assert numbers == [1, 2, 3, 4, 5]  # in commit order, no gap where a work failed
    counter = await run(
        db,
        lambda conn: conn.fetchval(
            "SELECT value FROM counters WHERE merchant_id = :m AND name = 'receipt'",
            {"m": merchant_id},
        ),
        write=False,
    )
    assert counter == 5
    assert await run(db, lambda c: next_number(c, merchant_id, "receipt"), write=True) == 6


async def test_a_lone_work_does_not_wait_for_company(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=30.0)  # a wait no test would survive
    started = time.monotonic()
    assert await coalescer.run(lambda c: _put(c, merchant_id, "alone")) == "alone"
    assert time.monotonic() - started < 5
    assert coalescer.groups == 1


async def test_a_group_waits_at_most_its_wait_for_company(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.2)
    started = time.monotonic()
    first = [coalescer.run(partial(_put, merchant_id=merchant_id, key=f"w{i}")) for i in range(3)]
    await asyncio.gather(*first)
    elapsed = time.monotonic() - started
    assert 0.15 < elapsed < 5  # three queued: the group waited 0.2 s for more, no longer


async def test_a_full_group_does_not_wait(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=4, wait=30.0)
    started = time.monotonic()
    works = [coalescer.run(partial(_put, merchant_id=merchant_id, key=f"f{i}")) for i in range(5)]
    await asyncio.gather(*works)  # four (full: no wait), then the fifth alone (no wait)
    assert time.monotonic() - started < 5
    assert coalescer.groups == 2


async def test_a_failed_commit_reruns_each_work_alone(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)

    async def refuse(_: Connection) -> None:
        raise ValueError("refused at commit")

    async def poisoned(conn: Connection) -> str:
        group.before_commit(conn, "poison", refuse)  # fails whichever group it is in
        return await _put(conn, merchant_id, "poisoned")

    works: list[group.Work[str]] = [
        partial(_put, merchant_id=merchant_id, key=f"r{i}") for i in range(4)
    ]
    works.insert(2, poisoned)
    results = await asyncio.gather(*(coalescer.run(w) for w in works), return_exceptions=True)
    assert isinstance(results[2], ValueError)
    assert [r for r in results if isinstance(r, str)] == ["r0", "r1", "r2", "r3"]
    assert await _keys(db, merchant_id) == {"r0", "r1", "r2", "r3"}


async def test_the_memo_is_read_once_per_group_and_rolled_back_with_a_work(db: Database) -> None:
    coalescer = Coalescer(db, max_items=64, wait=0.05)
    loads: list[int] = []

    async def load() -> int:
        loads.append(1)
        return len(loads)

    async def read(conn: Connection, fail: bool) -> int:
        value = await group.cached(conn, "thing", load)
        if fail:
            raise ValueError("rolled back")
        return value

    fails = [True, False, False]  # the first reader's load is undone with its savepoint
    results = await asyncio.gather(
        *(coalescer.run(partial(read, fail=f)) for f in fails), return_exceptions=True
    )
    assert isinstance(results[0], ValueError)
    assert results[1:] == [2, 2]  # loaded again once, then shared
    assert await run(db, lambda c: group.cached(c, "thing", load), write=False) == 3


async def test_weights_bound_a_group(db: Database) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=10, wait=0.05)
    weights = [1, 8, 5, 1, 50]  # [1, 8], [5, 1]; the heavy one in a transaction of its own
    works = [
        coalescer.run(partial(_put, merchant_id=merchant_id, key=f"h{i}"), weight=w)
        for i, w in enumerate(weights)
    ]
    assert await asyncio.gather(*works) == [f"h{i}" for i in range(5)]
    assert (coalescer.groups, coalescer.works) == (2, 4)
    assert await _keys(db, merchant_id) == {f"h{i}" for i in range(5)}


async def test_rows_inserted_before_commit_go_in_once_without_a_failed_works(
    db: Database,
) -> None:
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)
    columns = ["merchant_id", "key", "request_hash", "status", "body", "created_at"]

    def row(key: str) -> tuple[object, ...]:
        return (merchant_id, key, "", 201, b"{}", utc_now())

    async def buffered(conn: Connection, key: str, fail: bool = False) -> str:
        await group.insert_before_commit(conn, "idempotency_keys", columns, [row(key)])
        assert key not in await _keys_in(conn, merchant_id)  # not written until the end
        if fail:
            raise ValueError("refused")
        return key

    works = [
        partial(buffered, key="b0"),
        partial(buffered, key="refused", fail=True),
        partial(buffered, key="b1"),
    ]
    results = await asyncio.gather(*(coalescer.run(w) for w in works), return_exceptions=True)
    assert results[0] == "b0" and results[2] == "b1" and isinstance(results[1], ValueError)
    assert coalescer.groups == 1
    assert await _keys(db, merchant_id) == {"b0", "b1"}
    # outside a group the rows go in at once
    await run(
        db,
        lambda conn: group.insert_before_commit(conn, "idempotency_keys", columns, [row("now")]),
        write=True,
    )
    assert "now" in await _keys(db, merchant_id)


def _temp_files() -> list[str]:
    """SQLite's temporary files this process holds open (unlinked `etilqs_*` files)."""
    fds = Path("/proc/self/fd")
    return [t for t in (_link(fds / f) for f in os.listdir(fds)) if "etilqs_" in t]


def _link(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:  # closed meanwhile (the listing's own descriptor)
        return ""


async def test_a_group_on_sqlite_journals_its_savepoints_in_memory(db: Database) -> None:
    """Each work's savepoint journal stays in memory (released; the writer's temp_store):
    nested savepoints of a group once spilled to temporary files under the write lock."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's savepoint journal")
    merchant_id = await _merchant(db)
    coalescer = Coalescer(db, max_items=64, wait=0.05)
    seen: list[list[str]] = []

    async def work(conn: Connection, key: str) -> str:
        await _put(conn, merchant_id, key)
        await conn.execute(  # every work changes the same pages again: each savepoint
            "UPDATE idempotency_keys SET body = :b WHERE merchant_id = :m",  # journals them
            {"b": secrets.token_bytes(2000), "m": merchant_id},
        )
        seen.append(_temp_files())
        return key

    keys = [f"j{i}" for i in range(40)]
    assert await asyncio.gather(*(coalescer.run(partial(work, key=k)) for k in keys)) == keys
    assert coalescer.groups == 1
    assert seen == [[]] * len(keys)
