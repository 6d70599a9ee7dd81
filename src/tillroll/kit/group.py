"""Group commit: concurrent writes of one process share one transaction, one savepoint each.

`Coalescer.run(work)` queues `work` (a function of the open connection) and answers with its
result once the transaction it ran in has committed. A drain task takes up to `max_items`
queued works at a time and runs them one after another in ONE write transaction, each inside
its own `SAVEPOINT`: a work that raises is rolled back to its savepoint and gets its own
exception, its neighbours are not touched. So a group costs one BEGIN and one durable COMMIT
(one fsync on SQLite; one commit round trip, and one turn of a hot row lock, on PostgreSQL)
however many works it holds.

A lone work starts at once: the drain only waits for company (up to `wait` seconds, until
`max_items` are queued) when other works are already queued. A group of one work runs
without a savepoint (a round trip less): if it raises, its transaction is rolled back.
Works arriving while a group runs form the next group. If the COMMIT itself fails (a
deferred constraint, a serialization failure), each work of the group is re-run in a
transaction of its own, so one bad work cannot fail the others; an unavailable database
fails them all (503).

A work may leave its tail to the end: `later(conn, fn)` returns a `Later` in a group (run
after the last work and the flushes, before COMMIT, in order; fails the group if it raises)
and runs `fn` at once elsewhere. The router builds a grouped answer that way, so it carries
what the flushes decided (the receipt numbers, on PostgreSQL given only at the end:
`kit.tables.Table.insert_numbered`).

`memo(conn)` is a per-group cache: what every work of a group reads the same way (a
merchant's signing secret, its webhook subscribers) is read once. `before_commit(conn, key,
fn)` registers a write to run once, after the last work and before COMMIT (the merchant's
number counter, taken once per group: `kit.repository.next_number`). Both are rolled back
with a work's savepoint, so a failed work leaves no trace in them either.
`insert_before_commit` buffers rows nobody reads inside the group and writes them with one
statement per table before COMMIT; rows a `Later` buffers (the idempotency keys of the
answers) are written after the `Later`s, the same way.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from tillroll.kit.db import Connection, Database, DatabaseUnavailable

T = TypeVar("T")
Work = Callable[[Connection], Awaitable[T]]
Flush = Callable[[Connection], Awaitable[None]]
log = logging.getLogger("tillroll")


@dataclass(slots=True)
class _State:
    """What one group's transaction remembers (see `memo`, `before_commit`)."""

    memo: dict[Hashable, Any] = field(default_factory=dict)
    flushes: dict[Hashable, Flush] = field(default_factory=dict)

    def snapshot(self) -> tuple[dict[Hashable, Any], dict[Hashable, Flush]]:
        return dict(self.memo), dict(self.flushes)

    def restore(self, saved: tuple[dict[Hashable, Any], dict[Hashable, Flush]]) -> None:
        self.memo, self.flushes = dict(saved[0]), dict(saved[1])


_active: dict[int, _State] = {}  # id(connection) → its group's state, while the group runs


def memo(conn: Connection) -> dict[Hashable, Any] | None:
    """The cache of the group `conn`'s transaction belongs to (None: not a group)."""
    state = _active.get(id(conn))
    return None if state is None else state.memo


def before_commit(conn: Connection, key: Hashable, flush: Flush) -> None:
    """Run `flush` once before the group's COMMIT (the last registration per `key` wins)."""
    _active[id(conn)].flushes[key] = flush


async def insert_before_commit(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows no later work of the group reads back (events, export cells): in a group,
    every work's rows of `table` go in with one statement before COMMIT (a failed work's
    rows are rolled back with its savepoint); outside one, at once."""
    state = _active.get(id(conn))
    if state is None:
        await conn.insert_rows(table, columns, rows)
        return
    key = ("rows", table, tuple(columns))
    state.memo[key] = (*state.memo.get(key, ()), *rows)  # a tuple: snapshots keep their own
    if key not in state.flushes:
        state.flushes[key] = functools.partial(_insert_buffered, key)


async def _insert_buffered(key: tuple[str, str, tuple[str, ...]], conn: Connection) -> None:
    rows = _active[id(conn)].memo.pop(key)  # rows buffered later: a new flush
    await conn.insert_rows(key[1], key[2], rows)


async def cached(conn: Connection, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """`load()`, read once per group (every time outside a group)."""
    found = memo(conn)
    if found is None:
        return await load()
    if key not in found:
        found[key] = await load()
    value: T = found[key]
    return value


@dataclass(frozen=True, slots=True)
class Later(Generic[T]):
    """The tail of a work, run after every work of its group and the flushes."""

    finish: Work[T]


async def later(conn: Connection, finish: Work[T]) -> T | Later[T]:
    """`finish` as a `Later` in a group; run now outside one."""
    if memo(conn) is not None:
        return Later(finish)
    return await finish(conn)


async def settled(conn: Connection, value: T | Later[T]) -> T:
    """`value`, its `Later` run first if it is one."""
    return await value.finish(conn) if isinstance(value, Later) else value


@dataclass(slots=True)
class _Item(Generic[T]):
    work: Work[T]
    future: asyncio.Future[T]
    weight: int = 1


class Coalescer:
    """One process's group commit over `db` (see the module docstring)."""

    def __init__(self, db: Database, *, max_items: int = 64, wait: float = 0.002) -> None:
        self.db = db
        self.max_items = max(1, max_items)
        self.wait = wait
        self.groups = 0  # committed groups, and the works they held (for tests and tuning)
        self.works = 0
        self._queue: list[_Item[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.Task[None] | None = None
        self._company = asyncio.Event()

    async def run(self, work: Work[T | Later[T]], *, weight: int = 1) -> T:
        """`work(conn)` in a group's transaction; its result (a `Later`'s, if it gave one)
        once that has committed. `weight`: what it counts against `max_items`; a work that
        fills a group by itself (a batch of 500 receipts) runs in a transaction of its own,
        beside the groups, as it would without group commit."""
        if weight >= self.max_items:
            async with self.db.transaction(write=True) as conn:
                return await settled(conn, await work(conn))
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing queued survives it
            self._loop, self._queue, self._drain = loop, [], None
            self._company = asyncio.Event()
        item: _Item[T] = _Item(work, loop.create_future(), max(1, weight))  # type: ignore[arg-type]
        self._queue.append(item)
        if self._weight() >= self.max_items:
            self._company.set()
        if self._drain is None or self._drain.done():
            self._drain = loop.create_task(self._run_groups())
        return await item.future

    async def _run_groups(self) -> None:
        while self._queue:
            if len(self._queue) > 1 and self._weight() < self.max_items and self.wait > 0:
                self._company.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._company.wait(), self.wait)
            taken, weight = 0, 0
            while taken < len(self._queue) and (
                not taken or weight + self._queue[taken].weight <= self.max_items
            ):
                weight += self._queue[taken].weight
                taken += 1
            group = [i for i in self._queue[:taken] if not i.future.done()]
            del self._queue[:taken]
            if group:
                await self._commit(group)

    def _weight(self) -> int:
        return sum(i.weight for i in self._queue)

    async def _commit(self, group: list[_Item[Any]]) -> None:
        try:
            results = await self._transaction(group)
        except DatabaseUnavailable as exc:
            for item in group:
                _settle(item, exc=exc)
            return
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0], exc=exc)
                return
            log.warning("a group of %d failed at commit; re-running each alone", len(group))
            for item in group:
                await self._commit([item])
            return
        self.groups += 1
        self.works += len(group)
        for item, (value, error) in zip(group, results, strict=True):
            _settle(item, value, error)

    async def _transaction(self, group: list[_Item[Any]]) -> list[tuple[Any, BaseException | None]]:
        results: list[tuple[Any, BaseException | None]] = []
        async with self.db.transaction(write=True) as conn:
            state = _active[id(conn)] = _State()
            try:
                if len(group) == 1:  # alone, it needs no savepoint: its failure is the group's
                    results.append((await group[0].work(conn), None))
                else:
                    for item in group:
                        results.append(await _in_savepoint(conn, state, item.work))
                await _flush(conn, state)
                for index, (value, error) in enumerate(results):
                    if isinstance(value, Later):
                        results[index] = (await value.finish(conn), error)
                await _flush(conn, state)  # what the `Later`s left (their idempotency keys)
            finally:
                del _active[id(conn)]
        return results


async def _flush(conn: Connection, state: _State) -> None:
    """Run the flushes registered so far, each once (a second pass runs only new ones)."""
    while state.flushes:
        key = next(iter(state.flushes))
        await state.flushes.pop(key)(conn)


async def _in_savepoint(
    conn: Connection, state: _State, work: Work[Any]
) -> tuple[Any, BaseException | None]:
    """One work in its own savepoint. On PostgreSQL savepoints are not released (a round trip
    less per work): each new one of the same name is the one `ROLLBACK TO` goes back to. On
    SQLite (no round trip) each is released, so its journal holds one work's pages, not all
    the group's nested savepoints' (docs/performance.md)."""
    saved = state.snapshot()
    await conn.execute("SAVEPOINT group_item")
    try:
        value = await work(conn)
    except Exception as exc:
        await conn.execute("ROLLBACK TO SAVEPOINT group_item")
        state.restore(saved)
        return None, exc
    if conn.dialect == "sqlite":
        await conn.execute("RELEASE SAVEPOINT group_item")
    return value, None


def _settle(item: _Item[Any], value: Any = None, exc: BaseException | None = None) -> None:
    if item.future.done():  # its request went away
        return
    if exc is not None:
        item.future.set_exception(exc)
    else:
        item.future.set_result(value)
