"""Read replicas: read transactions on a streaming replica, everything else on the primary.

`ReplicatedDatabase` is a `Database` whose `transaction(write=False)` runs on the replica
while the replica is up and at most `max_lag` seconds behind the primary, and on the primary
otherwise; `transaction(write=True)` always runs on the primary, and so does every read made
inside it (the answer of a create, a read after a write in the same request). Nothing else
changes: the HTTP layer already opens a read transaction for GET and a write transaction for
the rest, so no domain code knows about the replica. How far behind the replica is gets
measured at most every `check_every` seconds (two small queries), never per request; a
replica that refuses or times out is left alone for `retry_after` seconds (doubling, capped)
and then tried again. docs/scaling.md has the operator's side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Literal

import asyncpg

from tillroll.config import Settings
from tillroll.kit.db import (
    Connection,
    Database,
    DatabaseUnavailable,
    Dialect,
    PostgresDatabase,
    Row,
    open_database,
)

log = logging.getLogger("tillroll")

CHECK_EVERY = 0.25
"""Seconds a lag measurement is trusted; the next read after it measures again."""
CHECK_WAIT = 1.0
"""Longest a lag measurement, or connecting to the replica, may take before it counts as down."""
RETRY_AFTER = 1.0
"""Seconds a replica that failed is left alone before it is tried again (doubling to RETRY_MAX)."""
RETRY_MAX = 15.0
_SAMPLES = 256  # primary positions remembered (about a minute at CHECK_EVERY)

State = Literal["in use", "lagging", "down", "not a replica"]


@dataclass(frozen=True, slots=True)
class ReplicaHealth:
    """What `/health` says about the replica."""

    state: State
    lag_ms: int | None  # None: not measured (down, or no bound yet)


_PRIMARY_LSN = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"
_REPLICA = """SELECT pg_is_in_recovery() AS recovering,
    (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS replayed,
    extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS since"""


class ReplicatedDatabase:
    """A primary and one streaming replica (hot standby) behind the `Database` interface."""

    dialect: Dialect = "postgresql"

    def __init__(
        self,
        primary: PostgresDatabase,
        replica: PostgresDatabase,
        *,
        max_lag: float,
        check_every: float = CHECK_EVERY,
        retry_after: float = RETRY_AFTER,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.url = primary.url
        self.max_lag = max_lag
        self.check_every = check_every
        self.retry_after = retry_after
        self.health = ReplicaHealth("down", None)
        self._failures = 0
        self._due = 0.0  # monotonic time of the next measurement
        self._checking: asyncio.Future[None] | None = None
        self._samples: deque[tuple[float, int]] = deque(maxlen=_SAMPLES)

    async def connect(self) -> None:
        """Open the primary (it must be up); the replica is measured, and may be down."""
        await self.primary.connect()
        await self.replica_health()

    async def close(self) -> None:
        if self._checking is not None:
            await asyncio.shield(self._checking)
        await self.primary.close()
        await self.replica.close()

    def transaction(
        self, *, write: bool, wait: bool = True
    ) -> AbstractAsyncContextManager[Connection]:
        if write:
            return self.primary.transaction(write=True, wait=wait)
        return self._read()

    async def replica_health(self) -> ReplicaHealth:
        """The replica's state, measured again if the last measurement is too old."""
        if time.monotonic() >= self._due:
            if self._checking is None or self._checking.done():
                self._checking = asyncio.ensure_future(self._check())
            await asyncio.shield(self._checking)  # one measurement, however many readers wait
        return self.health

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[Connection]:
        if (await self.replica_health()).state == "in use":
            entered = False
            try:
                async with self.replica.transaction(write=False) as conn:
                    entered = True
                    yield conn
                return
            except DatabaseUnavailable as exc:
                self._down(exc)
                if entered:  # it failed under the work: a 503; the next read is the primary's
                    raise
        async with self.primary.transaction(write=False) as conn:
            yield conn

    async def _check(self) -> None:
        try:
            lag = await self._measure()
        except _FAILED as exc:
            self._down(exc)
            return
        except _NotAReplica:
            self._set(ReplicaHealth("not a replica", None), self.retry_after)
            return
        self._failures = 0
        state: State = "in use" if lag is not None and lag <= self.max_lag else "lagging"
        lag_ms = None if lag is None else round(lag * 1000)
        self._set(ReplicaHealth(state, lag_ms), self.check_every)

    async def _measure(self) -> float | None:
        """Seconds the replica is behind at most (None: no bound known).

        The primary's WAL position is read first, then the replica's replay position: a
        replica that has replayed up to a position the primary had at time t holds all the
        primary held at t. The replica's last replayed commit time gives a second bound (the
        only one while the primary itself does not answer)."""
        try:
            position = await asyncio.wait_for(self._primary_position(), CHECK_WAIT / 2)
            self._samples.append((time.monotonic(), position))
        except _FAILED as exc:
            log.info("replica lag: the primary did not answer: %s", _text(exc))
        row = await asyncio.wait_for(self._replica_position(), CHECK_WAIT)
        if not row["recovering"]:
            raise _NotAReplica()
        replayed, since_commit = row["replayed"], row["since"]
        now = time.monotonic()
        bounds = [now - t for t, lsn in reversed(self._samples) if lsn <= replayed][:1]
        if since_commit is not None:
            bounds.append(max(since_commit, 0.0))
        return min(bounds, default=None)

    async def _primary_position(self) -> int:
        async with self.primary.transaction(write=False) as conn:
            position: int = await conn.fetchval(_PRIMARY_LSN)
        return position

    async def _replica_position(self) -> Row:
        await self.replica.connect()  # opens the pool if it is not open (it may be down)
        async with self.replica.transaction(write=False) as conn:
            row = await conn.fetchone(_REPLICA)
        assert row is not None
        return row

    def _down(self, exc: BaseException) -> None:
        self._failures += 1
        wait = min(self.retry_after * 2 ** (self._failures - 1), RETRY_MAX)
        if self.health.state != "down":
            log.warning("read replica down, reads go to the primary: %s", _text(exc))
        self._set(ReplicaHealth("down", None), wait)

    def _set(self, health: ReplicaHealth, valid_for: float) -> None:
        if health.state != self.health.state:
            log.info("read replica: %s (lag %s ms)", health.state, health.lag_ms)
        self.health = health
        self._due = time.monotonic() + valid_for


_FAILED = (DatabaseUnavailable, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""Refused, timed out (`TimeoutError` is an `OSError`), starting up, gone."""


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _NotAReplica(Exception):
    """The read URL names a server that is not in recovery (a primary, a promoted replica)."""


def open_configured(settings: Settings) -> Database:
    """The database of `settings`: with `read_database_url`, a primary and its replica."""
    check_settings(settings)
    primary = open_database(settings.database_url, pool_size=settings.pool_size)
    if not settings.read_database_url or not isinstance(primary, PostgresDatabase):
        return primary
    replica = PostgresDatabase(settings.read_database_url, pool_size=settings.pool_size)
    return ReplicatedDatabase(primary, replica, max_lag=settings.read_max_lag_ms / 1000)


def check_settings(settings: Settings) -> None:
    """Refuse a read URL unless both URLs are PostgreSQL (`ValueError`)."""
    urls = (settings.database_url, settings.read_database_url)
    if urls[1] and not all(u.startswith(("postgresql://", "postgres://")) for u in urls):
        raise ValueError("TILLROLL_READ_DATABASE_URL needs PostgreSQL for both URLs")


def primary_of(db: Database) -> Database:
    """The database writes go to: what background work (jobs, sweeps) reads from too."""
    return db.primary if isinstance(db, ReplicatedDatabase) else db
