"""Read replicas on a real primary and a real streaming replica (two local PostgreSQL 15
clusters: `initdb`, `pg_basebackup -R`, a hot standby on its own port), started by this
module whatever database the rest of the suite runs on; skipped only when the PostgreSQL
binaries are absent. Where a read went is told by the server (`pg_is_in_recovery()`), or by
a row only the primary has while the replica's replay is paused."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Connection, PostgresDatabase, run
from tillroll.kit.migrate import migrate
from tillroll.kit.replica import CHECK_WAIT, ReplicatedDatabase, open_configured, primary_of
from tillroll.merchants.service import merchant as merchant_service

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CHECK_EVERY = 0.05
RETRY_AFTER = 0.3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_postgres(command: str, *, timeout: float = 60) -> None:
    subprocess.run(
        ["su", "postgres", "-c", command], check=True, stdout=subprocess.DEVNULL, timeout=timeout
    )


@dataclass
class Server:
    """One local cluster (the primary or the replica)."""

    data: Path
    port: int

    def url(self, database: str = "replica_test") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def ctl(self, *args: str) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.data} -c wal_level=replica -c hot_standby=on"
        )
        _as_postgres(
            f"{PG_BIN}/pg_ctl -D {self.data} -l {self.data}/log -o '{options}' -w {' '.join(args)}"
        )


@dataclass
class Pair:
    primary: Server
    replica: Server

    async def replica_sql(self, sql: str) -> object:
        raw = await asyncpg.connect(self.replica.url())
        try:
            return await raw.fetchval(sql)
        finally:
            await raw.close()

    async def pause(self) -> None:
        """Stop replaying WAL on the replica (it keeps receiving it)."""
        await self.replica_sql("SELECT pg_wal_replay_pause()")
        while await self.replica_sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
            await asyncio.sleep(0.01)

    async def resume(self) -> None:
        await self.replica_sql("SELECT pg_wal_replay_resume()")

    async def caught_up(self) -> None:
        """Wait until the replica has replayed all the primary has written."""
        raw = await asyncpg.connect(self.primary.url())
        try:
            target = await raw.fetchval("SELECT pg_current_wal_lsn()::text")
        finally:
            await raw.close()
        query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
        deadline = time.monotonic() + 20
        while not await self.replica_sql(query):
            assert time.monotonic() < deadline, "the replica does not catch up"
            await asyncio.sleep(0.01)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """A primary (wal_level=replica) and a hot standby made from it by `pg_basebackup -R`."""
    if not all((PG_BIN / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")):
        pytest.skip(f"PostgreSQL 15 binaries are not installed in {PG_BIN}")
    if os.geteuid() != 0:
        pytest.skip("starting PostgreSQL clusters needs root (su postgres)")
    home = Path(tempfile.mkdtemp(prefix="tillroll-replica-"))
    shutil.chown(home, "postgres")
    primary = Server(home / "primary", _free_port())
    replica = Server(home / "replica", _free_port())
    started: list[Server] = []
    try:
        _as_postgres(
            f"{PG_BIN}/initdb -D {primary.data} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8"
        )
        primary.ctl("start")
        started.append(primary)
        _as_postgres(f"{PG_BIN}/createdb -h 127.0.0.1 -p {primary.port} replica_test")
        _as_postgres(
            f"{PG_BIN}/pg_basebackup -h 127.0.0.1 -p {primary.port} -U postgres "
            f"-D {replica.data} -R -X stream --checkpoint=fast"
        )
        replica.ctl("start")
        started.append(replica)
        yield Pair(primary, replica)
    finally:
        for server in reversed(started):
            subprocess.run(
                ["su", "postgres", "-c", f"{PG_BIN}/pg_ctl -D {server.data} -m immediate stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
            )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
async def schema(pair: Pair) -> str:
    """The primary migrated (the replica replays it); its URL."""
    primary = PostgresDatabase(pair.primary.url(), pool_size=2)
    await primary.connect()
    try:
        await migrate(primary)
    finally:
        await primary.close()
    await pair.caught_up()
    return pair.primary.url()


@pytest.fixture
async def rdb(pair: Pair, schema: str) -> AsyncIterator[ReplicatedDatabase]:
    """Reads within 2 s of lag go to the replica."""
    database = _replicated(schema, pair, max_lag=2.0)
    await database.connect()
    yield database
    await database.close()


def _replicated(primary: str, pair: Pair, *, max_lag: float) -> ReplicatedDatabase:
    return ReplicatedDatabase(
        PostgresDatabase(primary, pool_size=4),
        PostgresDatabase(pair.replica.url(), pool_size=4),
        max_lag=max_lag,
        check_every=CHECK_EVERY,
        retry_after=RETRY_AFTER,
    )


async def _in_recovery(conn: Connection) -> bool:
    return bool(await conn.fetchval("SELECT pg_is_in_recovery()"))


async def _read_on_replica(db: ReplicatedDatabase) -> bool:
    """Whether a read transaction ran on the replica (a server in recovery)."""
    return await run(db, _in_recovery, write=False)


async def test_reads_go_to_the_replica_and_writes_to_the_primary(rdb: ReplicatedDatabase) -> None:
    assert await _read_on_replica(rdb)
    assert not await run(rdb, _in_recovery, write=True)
    assert (await rdb.replica_health()).state == "in use"
    assert primary_of(rdb) is rdb.primary


async def test_the_lag_is_measured_once_per_interval_not_per_read(
    rdb: ReplicatedDatabase,
) -> None:
    await rdb.replica_health()
    before = rdb.health
    for _ in range(20):
        assert await _read_on_replica(rdb)
    assert rdb.health is before  # 20 reads within the interval: no new measurement
    await asyncio.sleep(CHECK_EVERY * 2)
    await _read_on_replica(rdb)
    assert rdb.health is not before
    assert rdb.health.lag_ms is not None and rdb.health.lag_ms < 2000


async def test_a_replica_behind_the_limit_leaves_reads_to_the_primary(
    pair: Pair, schema: str
) -> None:
    db = _replicated(schema, pair, max_lag=0.3)
    await db.connect()
    try:
        assert await _read_on_replica(db)
        await pair.pause()
        try:
            await run(db, lambda c: c.execute("CREATE TABLE lag_probe (n INT)"), write=True)
            await asyncio.sleep(0.3 + 2 * CHECK_EVERY)
            assert not await _read_on_replica(db)
            health = await db.replica_health()
            assert health.state == "lagging" and health.lag_ms is not None
            assert health.lag_ms > 300
        finally:
            await pair.resume()
        await pair.caught_up()
        await asyncio.sleep(2 * CHECK_EVERY)
        assert await _read_on_replica(db)  # caught up: back to the replica
    finally:
        await run(db, lambda c: c.execute("DROP TABLE IF EXISTS lag_probe"), write=True)
        await db.close()


async def test_a_stopped_replica_leaves_reads_to_the_primary_until_it_is_back(
    rdb: ReplicatedDatabase, pair: Pair
) -> None:
    assert await _read_on_replica(rdb)
    pair.replica.ctl("-m", "fast", "stop")
    try:
        assert not await _read_on_replica(rdb)  # the pooled connection failed: the primary
        assert (await rdb.replica_health()).state == "down"
        started = time.perf_counter()
        for _ in range(20):  # the breaker is open: no connection attempt per read
            assert not await _read_on_replica(rdb)
        assert time.perf_counter() - started < RETRY_AFTER
    finally:
        pair.replica.ctl("start")
    await pair.caught_up()
    deadline = time.monotonic() + 10
    while not await _read_on_replica(rdb):  # tried again after the breaker's wait
        assert time.monotonic() < deadline, "the replica is not used again"
        await asyncio.sleep(RETRY_AFTER / 3)
    assert (await rdb.replica_health()).state == "in use"


async def test_a_server_not_in_recovery_is_not_used_as_a_replica(schema: str) -> None:
    db = ReplicatedDatabase(
        PostgresDatabase(schema, pool_size=2), PostgresDatabase(schema, pool_size=2), max_lag=2.0
    )
    await db.connect()
    try:
        assert (await db.replica_health()).state == "not a replica"
        assert not await _read_on_replica(db)
    finally:
        await db.close()


async def test_a_replica_down_at_start_up_leaves_reads_to_the_primary(schema: str) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{_free_port()}/replica_test"  # nobody listens
    db = ReplicatedDatabase(
        PostgresDatabase(schema, pool_size=2),
        PostgresDatabase(nowhere, pool_size=2),
        max_lag=2.0,
    )
    await db.connect()  # the primary is up: the app starts
    try:
        assert db.health.state == "down"
        assert not await _read_on_replica(db)
    finally:
        await db.close()


async def test_a_replica_that_never_answers_holds_up_one_measurement_only(schema: str) -> None:
    with socket.socket() as silent:  # connections complete, nothing is ever said on them
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        db = ReplicatedDatabase(
            PostgresDatabase(schema, pool_size=2),
            PostgresDatabase(f"postgresql://postgres@127.0.0.1:{port}/x", pool_size=2),
            max_lag=2.0,
            retry_after=5.0,
        )
        started = time.perf_counter()
        await db.connect()
        try:
            assert time.perf_counter() - started < CHECK_WAIT + 0.5
            assert db.health.state == "down"
            started = time.perf_counter()
            for _ in range(10):
                assert not await _read_on_replica(db)
            assert time.perf_counter() - started < 0.5
        finally:
            await db.close()


def test_a_read_url_needs_postgresql_on_both_sides() -> None:
    for primary, replica in (
        ("sqlite:///x.db", "postgresql://h/db"),
        ("postgresql://h/db", "sqlite:///x.db"),
    ):
        with pytest.raises(ValueError, match="TILLROLL_READ_DATABASE_URL"):
            open_configured(Settings(database_url=primary, read_database_url=replica))
    plain = open_configured(Settings(database_url="postgresql://h/db"))
    assert isinstance(plain, PostgresDatabase)  # no read URL: no replica


def test_tillroll_serve_refuses_a_read_url_on_sqlite(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TILLROLL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "TILLROLL_READ_DATABASE_URL": "postgresql://127.0.0.1/none",
    }
    tillroll = Path(sys.executable).parent / "tillroll"
    refused = subprocess.run(
        [str(tillroll), "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1
    assert "Error: TILLROLL_READ_DATABASE_URL needs PostgreSQL" in refused.stderr
    assert "Traceback" not in refused.stderr


# --- the API on the replicated database -------------------------------------------------


@pytest.fixture
async def api(rdb: ReplicatedDatabase, pair: Pair) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of the app on `rdb`, its merchant and key already on the replica."""
    _, key = await run(rdb, lambda c: merchant_service.create(c, "Replicated"), write=True)
    await pair.caught_up()
    app = create_app(Settings(database_url=rdb.url, serve_worker=0), db=rdb)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {key.secret}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tillroll.test", headers=headers
    ) as client:
        yield client


async def test_a_create_answers_from_the_primary_and_a_get_reads_the_replica(
    api: httpx.AsyncClient, pair: Pair
) -> None:
    await pair.pause()
    try:
        created = await api.post("/v1/customers", json={"first_name": "Primary"})
        assert created.status_code == 201, created.text
        assert created.json()["first_name"] == "Primary"  # read back inside the write
        customer = created.json()["id"]
        hidden = await api.get(f"/v1/customers/{customer}")
        assert hidden.status_code == 404, hidden.text  # the replica has not replayed it
        listed = await api.get("/v1/customers")
        assert customer not in {c["id"] for c in listed.json()["data"]}
    finally:
        await pair.resume()
    await pair.caught_up()
    shown = await api.get(f"/v1/customers/{customer}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["first_name"] == "Primary"


async def test_health_shows_the_replica(api: httpx.AsyncClient) -> None:
    health = (await api.get("/health")).json()
    assert health["status"] == "ok"
    assert health["replica"]["state"] == "in use"
    assert 0 <= health["replica"]["lag_ms"] < 2000


# --- `tillroll serve` with the setting ---------------------------------------------------


def test_tillroll_serve_reads_from_the_replica(pair: Pair, schema: str, tmp_path: Path) -> None:
    tillroll = Path(sys.executable).parent / "tillroll"
    env = {
        **os.environ,
        "TILLROLL_DATABASE_URL": schema,
        "TILLROLL_READ_DATABASE_URL": pair.replica.url(),
        "TILLROLL_READ_MAX_LAG_MS": "60000",
    }
    created = subprocess.run(
        [str(tillroll), "merchants", "create", "--name", f"Serve {uuid.uuid4().hex[:6]}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.split()[-1]
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(tillroll), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        _serve_checks(f"http://127.0.0.1:{port}", key, pair, process)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def _serve_checks(base: str, key: str, pair: Pair, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "tillroll serve exited"
        try:
            health = httpx.get(f"{base}/health").json()
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "tillroll serve did not start"
            time.sleep(0.1)
    assert health["replica"]["state"] == "in use", health
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
        asyncio.run(pair.caught_up())  # the merchant's key is on the replica
        asyncio.run(pair.pause())
        try:
            created = api.post("/v1/customers", json={"first_name": "Served"})
            assert created.status_code == 201, created.text
            assert api.get(f"/v1/customers/{created.json()['id']}").status_code == 404
        finally:
            asyncio.run(pair.resume())
        asyncio.run(pair.caught_up())
        assert api.get(f"/v1/customers/{created.json()['id']}").status_code == 200
