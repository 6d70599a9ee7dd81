"""The database: one small async interface over the raw drivers.

SQLite (stdlib `sqlite3`, called directly: short transactions, WAL, `BEGIN IMMEDIATE` for
writes) and PostgreSQL (`asyncpg` pool). SQL is written once with `:name` parameters; for
PostgreSQL they become `$n`. Both sides hand back the same Python types: `uuid.UUID`, aware
`datetime`, `date`, `bool`, `int`, `str` (JSON columns are text, decoded by repositories).
Why raw drivers and not an ORM: see docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, TypeVar

import asyncpg
import msgspec

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

Dialect = Literal["sqlite", "postgresql"]
Params = Mapping[str, Any]
PgConnection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"
T = TypeVar("T")
log = logging.getLogger("tillroll")


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


class ConflictRetry(Exception):
    """Raised inside a transaction when a concurrent writer won a race: rerun it."""


class UniqueViolation(Exception):
    """A unique constraint refused a row; `constraint` names it when the driver says."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(constraint or "unique constraint")
        self.constraint = constraint


class ForeignKeyViolation(Exception):
    """A foreign key refused a change: a row still referred to, or a reference to no row.

    `constraint` and `table` (the referring table) are set when the driver says (PostgreSQL);
    SQLite names neither.
    """

    def __init__(self, constraint: str | None = None, table: str | None = None) -> None:
        super().__init__(constraint or "foreign key constraint")
        self.constraint = constraint
        self.table = table


class Connection(Protocol):
    """One connection inside one transaction.

    Dialect differences live here, never in domain repositories: `for_update` (a row
    lock clause), `defer_foreign_keys`, `execute_together`.
    """

    dialect: Dialect
    committed: list[Callable[[], None]]
    """Called, in order, once this transaction has committed (never after a rollback)."""

    def for_update(self, *, skip_locked: bool = False) -> str: ...
    async def defer_foreign_keys(self) -> None: ...

    async def execute(self, sql: str, params: Params | None = None) -> None: ...
    async def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...
    async def execute_together(self, steps: Sequence[tuple[str, Params]]) -> None:
        """Data-changing statements (no RETURNING) run as one: on PostgreSQL one statement
        of data-modifying CTEs (one round trip; foreign keys checked at its end), on
        SQLite one after another (in-process, a statement costs no round trip)."""
        ...

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None: ...
    async def fetchone(self, sql: str, params: Params | None = None) -> Row | None: ...
    async def fetchall(self, sql: str, params: Params | None = None) -> list[Row]: ...
    async def fetchval(self, sql: str, params: Params | None = None) -> Any: ...


class Database(Protocol):
    dialect: Dialect
    url: str

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    def transaction(
        self, *, write: bool, wait: bool = True
    ) -> AbstractAsyncContextManager[Connection]:
        """One transaction. `wait=False`: a SQLite write that would queue for the write lock
        raises `DatabaseBusy` at once (best-effort writes on the read path)."""
        ...


def _after_commit(conn: SQLiteConnection | PostgresConnection) -> None:
    for callback in conn.committed:
        callback()


async def run(
    db: Database,
    work: Callable[[Connection], Awaitable[T]],
    *,
    write: bool,
    retries: int = 3,
    wait: bool = True,
) -> T:
    """Run `work` in one transaction; rerun it when it lost a race (`ConflictRetry`)."""
    for attempt in range(retries + 1):
        try:
            async with db.transaction(write=write, wait=wait) as conn:
                return await work(conn)
        except (ConflictRetry, UniqueViolation):
            if attempt == retries:
                raise
    raise AssertionError("unreachable")


def open_database(url: str, *, pool_size: int = 10) -> Database:
    if url.startswith("sqlite:///"):
        return SQLiteDatabase(url)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, pool_size=pool_size)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


# --- SQLite -----------------------------------------------------------------------------


def _adapt_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    # Fixed width (4-digit year, microseconds), so stored times sort as text.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


sqlite3.register_adapter(uuid.UUID, str)
sqlite3.register_adapter(datetime, _adapt_datetime)
sqlite3.register_adapter(date, date.isoformat)
# msgspec parses a UUID in C: a list page converts hundreds per request (uuid.UUID's own
# parser was a fifth of a 1M-line b2b list's time, bench/payments.py).
sqlite3.register_converter("UUID", lambda b: msgspec.convert(b.decode(), uuid.UUID))
sqlite3.register_converter("TIMESTAMPTZ", lambda b: datetime.fromisoformat(b.decode()))
sqlite3.register_converter("DATE", lambda b: date.fromisoformat(b.decode()))
sqlite3.register_converter("BOOLEAN", lambda b: b != b"0")


class SQLiteConnection:
    dialect: Dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.committed: list[Callable[[], None]] = []
        self._deferring = False

    def for_update(self, *, skip_locked: bool = False) -> str:
        return ""  # a write transaction already holds the database's write lock

    async def defer_foreign_keys(self) -> None:
        """Check foreign keys at this transaction's commit. Set once per transaction: the
        pragma expires every prepared statement (each is compiled again on its next use)."""
        if not self._deferring:
            self.raw.execute("PRAGMA defer_foreign_keys = ON")
            self._deferring = True

    async def execute(self, sql: str, params: Params | None = None) -> None:
        with _sqlite_errors():
            self.raw.execute(sql, params or {})

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        with _sqlite_errors():
            self.raw.executemany(sql, rows)

    async def execute_together(self, steps: Sequence[tuple[str, Params]]) -> None:
        for sql, params in steps:
            await self.execute(sql, params)

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Many rows at once, values in `columns` order (positional: the fastest path)."""
        marks = ", ".join("?" * len(columns))
        with _sqlite_errors():
            self.raw.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )

    async def fetchone(self, sql: str, params: Params | None = None) -> Row | None:
        with _sqlite_errors():
            row: Row | None = self.raw.execute(sql, params or {}).fetchone()
        return row

    async def fetchall(self, sql: str, params: Params | None = None) -> list[Row]:
        with _sqlite_errors():
            return self.raw.execute(sql, params or {}).fetchall()

    async def fetchval(self, sql: str, params: Params | None = None) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]  # type: ignore[index]


class _sqlite_errors:
    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc):
            raise UniqueViolation(str(exc).removeprefix("UNIQUE constraint failed: ")) from exc
        if isinstance(exc, sqlite3.IntegrityError) and "FOREIGN KEY" in str(exc):
            raise ForeignKeyViolation() from exc
        if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
            raise ConflictRetry(str(exc)) from exc


def sqlite_connect(
    path: str, *, convert: bool = True, busy_ms: int | None = None
) -> sqlite3.Connection:
    """A connection; `convert=False` leaves values as SQLite stores them (faster bulk reads).

    `busy_ms`: how long one statement may block waiting for another process's lock."""
    busy = _READ_BUSY_MS if busy_ms is None else busy_ms
    raw = sqlite3.connect(
        path,
        isolation_level=None,
        detect_types=sqlite3.PARSE_DECLTYPES if convert else 0,
        check_same_thread=False,
        timeout=busy / 1000,
    )
    raw.row_factory = sqlite3.Row
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    raw.execute(f"PRAGMA busy_timeout={busy}")
    return raw


_READ_BUSY_MS = 50
"""Readers never wait for writers under WAL; this only covers SQLite's own rare exclusive
moments (recovering the WAL index after a crash)."""
_WRITE_BUSY_MS = 5
"""How long `BEGIN IMMEDIATE` may block the event loop on another process's write lock;
it then retries asynchronously (the loop keeps serving), up to `WRITE_WAIT` seconds."""
WRITE_WAIT = 15.0


class ReadOnlyError(RuntimeError):
    """A write statement on a read transaction's connection: a bug, never client input."""


class DatabaseUnavailable(Exception):
    """The database cannot serve now (unreachable, restarting, locked too long): retry.

    The router answers it with 503 and `Retry-After`; `reason` is the client-facing text."""

    reason = "The database is unavailable; retry in a moment."


class DatabaseBusy(DatabaseUnavailable):
    """Another process held the write lock for longer than the write wait."""

    reason = "The database is busy; retry in a moment."


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


async def _begin(raw: sqlite3.Connection, write: bool, wait: float) -> None:
    """BEGIN, waiting up to `wait` s for another process's write lock without blocking the
    event loop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    pause = 0.001
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            return
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or loop.time() > deadline:
                raise DatabaseBusy(str(exc)) from exc
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


class _Lane:
    """One connection and the lock its transactions take turns through."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.lock = asyncio.Lock()


class SQLiteDatabase:
    """Per process: one connection for writes, one for reads, each with its own turn lock.

    Statements run synchronously on the event loop (measured fastest for short transactions,
    see docs/architecture.md); several processes share the file through SQLite's own locks.
    Under WAL a reader never waits for a writer, so a write waiting for another process's
    lock (`BEGIN IMMEDIATE`, asynchronously, up to `WRITE_WAIT` s, then `DatabaseBusy`)
    queues only the writes behind it. An in-memory database has one connection for both.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = url.removeprefix("sqlite:///")
        self._writer: _Lane | None = None
        self._reader: _Lane | None = None

    async def connect(self) -> None:
        if self._writer is not None:
            return
        if self.path == ":memory:":
            self._writer = self._reader = _Lane(sqlite_connect(self.path))
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = _Lane(sqlite_connect(self.path, busy_ms=_WRITE_BUSY_MS))
        self._writer.raw.execute("PRAGMA temp_store=MEMORY")  # savepoint journals: no files
        reader = sqlite_connect(self.path)
        reader.execute("PRAGMA query_only=ON")
        self._reader = _Lane(reader)

    async def close(self) -> None:
        for lane in {id(x): x for x in (self._writer, self._reader) if x}.values():
            lane.raw.close()
        self._writer = self._reader = None

    @asynccontextmanager
    async def transaction(self, *, write: bool, wait: bool = True) -> AsyncIterator[Connection]:
        lane = self._writer if write else self._reader
        assert lane is not None, "database not connected"
        if not wait and lane.lock.locked():
            raise DatabaseBusy("another write is waiting or running")
        async with lane.lock:
            raw = lane.raw
            await _begin(raw, write, WRITE_WAIT if wait else 0.0)
            conn = SQLiteConnection(raw)
            try:
                yield conn
                raw.execute("COMMIT")
            except BaseException:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise
        _after_commit(conn)

    def connection(self) -> sqlite3.Connection:
        """A separate connection of its own (migrations, streamed exports)."""
        return sqlite_connect(self.path)


# --- PostgreSQL ------------------------------------------------------------------------

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=1024)
def to_numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """`WHERE a = :a AND b = :b` → (`WHERE a = $1 AND b = $2`, ("a", "b"))."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAM.sub(number, sql), tuple(names)


def _args(sql: str, params: Params | None) -> tuple[str, list[Any]]:
    text, names = to_numbered(sql)
    values = params or {}
    return text, [values[n] for n in names]


_COPY_FROM = 50  # rows


class PostgresConnection:
    dialect: Dialect = "postgresql"

    def __init__(self, raw: PgConnection, *, read_only: bool = False) -> None:
        self.raw = raw
        self.read_only = read_only
        self.committed: list[Callable[[], None]] = []

    def for_update(self, *, skip_locked: bool = False) -> str:
        """A row lock clause; `skip_locked`: leave rows another transaction locked out."""
        return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"

    def _writing(self) -> None:
        if self.read_only:
            raise ReadOnlyError("a write statement in a read (write=False) transaction")

    async def defer_foreign_keys(self) -> None:
        """Deferrable foreign keys are declared `INITIALLY DEFERRED` in the migrations."""

    async def execute(self, sql: str, params: Params | None = None) -> None:
        self._writing()
        text, args = _args(sql, params)
        async with _pg_errors():
            await self.raw.execute(text, *args)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if not rows:
            return
        self._writing()
        text, names = to_numbered(sql)
        async with _pg_errors():
            await self.raw.executemany(text, [[r[n] for n in names] for r in rows])

    async def execute_together(self, steps: Sequence[tuple[str, Params]]) -> None:
        """`WITH s0 AS (…), s1 AS (…) SELECT 1`, each step's parameters renamed `s<i>_…`."""
        parts: list[str] = []
        params: dict[str, Any] = {}
        for i, (sql, values) in enumerate(steps):
            renamed = _PARAM.sub(rf":s{i}_\1", sql)
            parts.append(f"s{i} AS ({renamed})")
            params |= {f"s{i}_{k}": v for k, v in values.items()}
        if parts:
            await self.execute(f"WITH {', '.join(parts)} SELECT 1", params)

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Many rows at once, inside the transaction: COPY (binary) for a batch; a plain
        INSERT for a few rows, where COPY's own set-up round trip would cost more."""
        if not rows:
            return
        self._writing()
        async with _pg_errors():
            if len(rows) >= _COPY_FROM:
                await self.raw.copy_records_to_table(table, records=rows, columns=list(columns))
            else:
                marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
                await self.raw.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )

    async def fetchone(self, sql: str, params: Params | None = None) -> Row | None:
        text, args = _args(sql, params)
        async with _pg_errors():
            row: Row | None = await self.raw.fetchrow(text, *args)
        return row

    async def fetchall(self, sql: str, params: Params | None = None) -> list[Row]:
        text, args = _args(sql, params)
        async with _pg_errors():
            rows = await self.raw.fetch(text, *args)
        return list(rows)

    async def fetchval(self, sql: str, params: Params | None = None) -> Any:
        text, args = _args(sql, params)
        async with _pg_errors():
            return await self.raw.fetchval(text, *args)


@asynccontextmanager
async def _pg_errors() -> AsyncIterator[None]:
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise UniqueViolation(exc.constraint_name) from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise ForeignKeyViolation(exc.constraint_name, exc.table_name) from exc
    except (asyncpg.SerializationError, asyncpg.DeadlockDetectedError) as exc:
        raise ConflictRetry(str(exc)) from exc


ACQUIRE_WAIT = 5.0
"""Longest wait for a pool connection (a free one, or a new one being opened), in seconds."""

_OUTAGE = (
    OSError,  # refused, reset, unreachable, and TimeoutError (the acquire wait)
    asyncpg.PostgresConnectionError,  # 08xxx: the connection is gone
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # 57P01: pg_ctl stop -m fast, pg_terminate_backend
    asyncpg.CrashShutdownError,  # 57P02: pg_ctl stop -m immediate, a backend crash
    asyncpg.TooManyConnectionsError,  # 53300
)


def _is_closed(raw: PgConnection) -> bool:
    try:
        return raw.is_closed()
    except asyncpg.InterfaceError:  # the pool took it back already: it closed under us
        return True


def _discard(raw: PgConnection) -> None:
    with suppress(asyncpg.InterfaceError):  # already back in the pool
        raw.terminate()


def _unavailable(exc: Exception) -> DatabaseUnavailable:
    log.warning("PostgreSQL unavailable: %s: %s", type(exc).__name__, exc)
    return DatabaseUnavailable(str(exc))


class PostgresDatabase:
    """An asyncpg pool. An outage raises `DatabaseUnavailable` (503) instead of hanging or
    failing with a 500: acquiring waits at most `acquire_wait` s, and a connection the
    server dropped is discarded by the pool and replaced on the next acquire, so the
    process recovers by itself when the server is back."""

    dialect: Dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int, acquire_wait: float = ACQUIRE_WAIT) -> None:
        self.url = url
        self.pool_size = pool_size
        self.acquire_wait = acquire_wait
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None

    async def connect(self) -> None:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                init=_init_pg_connection,
                reset=_keep_session,
                timeout=self.acquire_wait,  # opening one connection
            )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def transaction(self, *, write: bool, wait: bool = True) -> AsyncIterator[Connection]:
        """`wait` is for SQLite's single write lock; PostgreSQL has none to wait for.

        A read (`write=False`) opens no transaction block: under READ COMMITTED every
        statement takes its own snapshot inside a block too, so `BEGIN READ ONLY` and
        `COMMIT` were two round trips that changed no answer. Instead of the server's
        read-only check, the connection refuses `execute`/`executemany`/`insert_rows`
        (`ReadOnlyError`); SQLite's reader is `query_only` as before."""
        assert self._pool is not None, "database not connected"
        try:
            async with self._pool.acquire(timeout=self.acquire_wait) as raw:
                try:
                    if write:
                        conn = PostgresConnection(raw)
                        async with raw.transaction():
                            yield conn
                        _after_commit(conn)
                    else:  # see `transaction`'s docstring
                        yield PostgresConnection(raw, read_only=True)
                except (asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
                    if isinstance(exc, asyncpg.InternalClientError):
                        _discard(raw)  # lost track of the protocol: the server hung up mid-reply
                    if _is_closed(raw):  # "connection is closed" and the like
                        raise _unavailable(exc) from exc
                    raise
        except _OUTAGE as exc:
            raise _unavailable(exc) from exc

    @asynccontextmanager
    async def raw_connection(self) -> AsyncIterator[PgConnection]:
        """A pooled connection for work outside `transaction` (migrations); whatever session
        state it leaves (an advisory lock, a setting) is reset before it goes back."""
        assert self._pool is not None, "database not connected"
        async with self._pool.acquire(timeout=self.acquire_wait) as raw:
            try:
                yield raw
            finally:
                if not _is_closed(raw):
                    await raw.reset()


async def _init_pg_connection(raw: asyncpg.Connection[asyncpg.Record]) -> None:
    await raw.execute("SET TIME ZONE 'UTC'")


async def _keep_session(raw: asyncpg.Connection[asyncpg.Record]) -> None:
    """The pool's reset on release, without asyncpg's reset query (a round trip per
    request): `transaction` leaves no session state to reset (no session SET, LISTEN,
    session advisory lock or open cursor; an unfinished transaction asyncpg rolls back
    before this runs), and `raw_connection` resets its own. So the session keeps the
    init's `SET TIME ZONE 'UTC'` too, which the reset query's `RESET ALL` used to undo."""
