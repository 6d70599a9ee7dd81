"""Outages and waits, end to end on a real server: a PostgreSQL cluster this test stops and
starts answers 503 + Retry-After meanwhile and serves again without a restart; on SQLite a
write waiting for another process's lock holds up no read."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.kit.test_db import write_lock_held
from tests.live import serving
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit import db as kit_db
from tillroll.kit.db import open_database, run
from tillroll.kit.migrate import migrate
from tillroll.merchants.service import merchant as merchant_service

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PORT = 55447
OUTAGE_BOUND = 3.0  # seconds: the longest a request may take to be told 503


async def _prepare(url: str) -> str:
    """Migrate the database at `url` and make a merchant; return its admin key."""
    database = open_database(url, pool_size=2)
    await database.connect()
    try:
        await migrate(database)
        _, key = await run(database, lambda c: merchant_service.create(c, "Outage"), write=True)
        return key.secret
    finally:
        await database.close()


@contextlib.asynccontextmanager
async def _api(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an admin key for the app served (in its own thread) on `url`."""
    key = await _prepare(url)
    with serving(create_app(Settings(database_url=url, pool_size=4))) as base:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
            yield client


async def _timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await call
    return response, time.perf_counter() - started


def _assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unavailable"
    assert elapsed < OUTAGE_BOUND, f"503 after {elapsed:.2f} s"


# --- PostgreSQL: a real cluster, stopped and started under the running server -----------


@dataclass
class Cluster:
    data: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{PORT}/outage"

    def ctl(self, *args: str) -> subprocess.Popen[bytes]:
        """`pg_ctl <args>` as the postgres user (returns at once; `.wait()` to finish)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={PORT} -c unix_socket_directories={self.data}"
        )
        command = f"{PG_BIN}/pg_ctl -D {self.data} -l {self.data}/log -o '{options}' -w "
        return subprocess.Popen(
            ["su", "postgres", "-c", command + " ".join(args)], stdout=subprocess.DEVNULL
        )

    def run(self, *args: str) -> None:
        assert self.ctl(*args).wait(timeout=30) == 0, f"pg_ctl {args} failed"


def _as_postgres(command: str) -> None:
    subprocess.run(["su", "postgres", "-c", command], check=True, stdout=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 binaries are not installed in {PG_BIN}")
    if os.geteuid() != 0:
        pytest.skip("starting a PostgreSQL cluster needs root (su postgres)")
    home = Path(tempfile.mkdtemp(prefix="tillroll-outage-"))
    shutil.chown(home, "postgres")
    data = home / "data"
    _as_postgres(f"{PG_BIN}/initdb -D {data} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8")
    found = Cluster(data)
    found.run("start")
    try:
        _as_postgres(f"{PG_BIN}/createdb -h 127.0.0.1 -p {PORT} outage")
        yield found
    finally:
        found.ctl("-m", "immediate", "stop").wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
async def pg_api(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    async with _api(cluster.url) as client:
        yield client


async def _works(api: httpx.AsyncClient, name: str) -> set[str]:
    """A write and a read succeed; the names of the customers stored."""
    created = await api.post("/v1/customers", json={"first_name": name})
    assert created.status_code == 201, created.text
    listed = await api.get("/v1/customers", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    names = {c["first_name"] for c in listed.json()["data"]}
    assert name in names
    return names


async def test_postgres_down_is_503_and_the_server_recovers_by_itself(
    cluster: Cluster, pg_api: httpx.AsyncClient
) -> None:
    await _works(pg_api, "before")
    for mode in ("fast", "immediate"):
        cluster.run("-m", mode, "stop")
        _assert_unavailable(*await _timed(pg_api.get("/v1/customers")))
        refused = pg_api.post("/v1/customers", json={"first_name": "refused"})
        _assert_unavailable(*await _timed(refused))
        cluster.run("start")
        stored = await _works(pg_api, f"after-{mode}")  # the same server process, not restarted
        assert "refused" not in stored


async def _hammer(api: httpx.AsyncClient, until: subprocess.Popen[bytes], who: int) -> list[int]:
    """Writes and reads one after another until `until` exits; the statuses seen."""
    statuses: list[int] = []
    while until.poll() is None:
        for call in (
            api.post("/v1/customers", json={"first_name": f"during-{who}"}),
            api.get("/v1/customers"),
        ):
            response, elapsed = await _timed(call)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                _assert_unavailable(response, elapsed)
    return statuses


async def test_requests_during_a_restart_get_an_answer_or_503_never_a_500(
    cluster: Cluster, pg_api: httpx.AsyncClient
) -> None:
    restart = cluster.ctl("-m", "fast", "restart")
    seen = await asyncio.gather(*(_hammer(pg_api, restart, n) for n in range(4)))
    assert restart.returncode == 0
    statuses = {s for run in seen for s in run}
    assert statuses <= {200, 201, 503}, statuses
    await _works(pg_api, "after-restart")


# --- SQLite: another process holds the write lock --------------------------------------


@pytest.fixture
def sqlite_path(tmp_path: Path) -> str:
    return str(tmp_path / "waits.db")


@pytest.fixture
async def sqlite_api(sqlite_path: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _api(f"sqlite:///{sqlite_path}") as client:
        yield client


async def test_reads_are_served_while_a_write_waits_for_another_process(
    sqlite_api: httpx.AsyncClient, sqlite_path: str
) -> None:
    with write_lock_held(sqlite_path):  # the key's first use: its touch must not wait either
        post = asyncio.ensure_future(
            sqlite_api.post("/v1/customers", json={"first_name": "waiter"})
        )
        await asyncio.sleep(0.3)  # the POST is now waiting for the lock
        for _ in range(5):
            response, elapsed = await _timed(sqlite_api.get("/v1/customers"))
            assert response.status_code == 200
            assert elapsed < 0.25, f"a read took {elapsed:.3f} s while a write waited"
        assert not post.done()
    response = await asyncio.wait_for(post, timeout=5)
    assert response.status_code == 201, response.text


async def test_a_write_that_waits_too_long_is_503(
    sqlite_api: httpx.AsyncClient, sqlite_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit_db, "WRITE_WAIT", 0.5)
    with write_lock_held(sqlite_path):
        response, elapsed = await _timed(
            sqlite_api.post("/v1/customers", json={"first_name": "late"})
        )
        _assert_unavailable(response, elapsed)
        assert elapsed >= 0.5
    assert "late" not in await _works(sqlite_api, "after")
