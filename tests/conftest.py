"""The test harness: a real database (SQLite file, or PostgreSQL when
TILLROLL_TEST_DATABASE_URL is set) built by the migrations, and the real app behind httpx.

Tests isolate by tenant: each test creates its own merchants, so nothing is shared.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Database, open_database, run
from tillroll.kit.migrate import migrate
from tillroll.merchants.service import merchant as merchant_service

pytest_plugins = ("tests.webhooks.fixtures",)


def _database_url(tmp: Path) -> str:
    return os.environ.get("TILLROLL_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}"


async def _reset_postgres(url: str) -> None:
    raw = await asyncpg.connect(url)
    try:
        await raw.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await raw.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    if database_url.startswith("postgres"):
        await _reset_postgres(database_url)
    database = open_database(database_url, pool_size=20)
    await database.connect()
    await migrate(database)
    yield database
    await database.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Tests send many invalid credentials from one address: the limit is tested on its own.
    # Webhook tests deliver to receivers on 127.0.0.1 (the SSRF guard is tested on its own).
    # A live test server runs no jobs worker: tests drive the worker themselves, and a
    # server's worker on the shared test database would take their jobs.
    return Settings(
        database_url=database_url, auth_failures_per_minute=10**9, dev_mode=1, serve_worker=0
    )


@pytest.fixture(scope="session")
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db=db)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tillroll.test") as c:
        yield c


@dataclass
class Tenant:
    """A fresh merchant with an admin key, and a client that sends it."""

    id: uuid.UUID
    number: int
    key: str
    client: httpx.AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def new_tenant(db: Database, client: httpx.AsyncClient, name: str = "Shop") -> Tenant:
    merchant, key = await run(db, lambda conn: merchant_service.create(conn, name), write=True)
    transport = client._transport  # the same app
    authed = httpx.AsyncClient(
        transport=transport,
        base_url="http://tillroll.test",
        headers={"Authorization": f"Bearer {key.secret}"},
    )
    return Tenant(merchant.id, merchant.number, key.secret, authed)


@pytest.fixture
async def tenant(db: Database, client: httpx.AsyncClient) -> AsyncIterator[Tenant]:
    t = await new_tenant(db, client, "Tenant A")
    yield t
    await t.client.aclose()


@pytest.fixture
async def other(db: Database, client: httpx.AsyncClient) -> AsyncIterator[Tenant]:
    t = await new_tenant(db, client, "Tenant B")
    yield t
    await t.client.aclose()
