"""The client's tests run against a real server: uvicorn on a free local port, in a
background thread, serving the app on the session's database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.live import serving
from tillroll.app import create_app
from tillroll.client import AsyncTillroll, Tillroll
from tillroll.config import Settings
from tillroll.kit.db import Database, run
from tillroll.merchants.service import merchant as merchant_service


@pytest.fixture(scope="session")
def server_url(database_url: str, db: Database) -> Iterator[str]:
    """A real HTTP server; `db` first, so the schema is migrated before it starts."""
    del db
    settings = Settings(
        database_url=database_url, pool_size=5, auth_failures_per_minute=10**9, serve_worker=0
    )
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture
async def admin_key(db: Database) -> str:
    """A fresh merchant's admin key: every test has its own tenant."""
    _, key = await run(db, lambda conn: merchant_service.create(conn, "Client"), write=True)
    return key.secret


@pytest.fixture
def api(server_url: str, admin_key: str) -> Iterator[Tillroll]:
    with Tillroll(base_url=server_url, api_key=admin_key) as client:
        yield client


@pytest.fixture
async def async_api(server_url: str, admin_key: str) -> AsyncIterator[AsyncTillroll]:
    async with AsyncTillroll(base_url=server_url, api_key=admin_key) as client:
        yield client
