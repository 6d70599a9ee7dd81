"""The official `paid-python` client, unchanged, against a real uvicorn serving Tillroll."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from paid import Paid

from tests.live import serving
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Database, run
from tillroll.merchants.service import merchant as merchant_service

PREFIX = "/compat/paid/api/v2"


@pytest.fixture(scope="session")
def paid_server(database_url: str, db: Database) -> Iterator[str]:
    """A real HTTP server; `db` first, so the schema is migrated before it starts."""
    del db
    settings = Settings(
        database_url=database_url, pool_size=5, auth_failures_per_minute=10**9, serve_worker=0
    )
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture
async def paid_key(db: Database) -> str:
    """A fresh merchant's admin key: every test has its own tenant."""
    _, key = await run(db, lambda conn: merchant_service.create(conn, "Agents Inc"), write=True)
    return key.secret


@pytest.fixture
def client(paid_server: str, paid_key: str) -> Paid:
    return Paid(token=paid_key, base_url=paid_server + PREFIX)


@pytest.fixture
async def other_key(db: Database) -> str:
    _, key = await run(db, lambda conn: merchant_service.create(conn, "Other Inc"), write=True)
    return key.secret
