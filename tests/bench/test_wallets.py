"""The wallet benchmark's baseline rows fit the migrated schema, and its ASGI caller drives the
real app (so a schema or API change that the benchmark missed fails here)."""

from __future__ import annotations

import msgspec
from bench.wallets import Scenario, _sqlite_baseline, _wallets, asgi_post

from tests.conftest import Tenant
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Connection, Database, run


async def test_the_baseline_and_the_asgi_caller_write_real_entries(
    db: Database, tenant: Tenant, settings: Settings
) -> None:
    (wallet,) = await _wallets(db, tenant.id, 1)
    app = create_app(settings, db=db)
    headers = [
        (b"authorization", f"Bearer {tenant.key}".encode()),
        (b"content-type", b"application/json"),
        (b"idempotency-key", b"bench-test"),
    ]
    body = msgspec.json.encode({"amount": -3})
    status, answer = await asgi_post(app, f"/v1/wallets/{wallet}/entries", body, headers)
    assert status == 201, answer
    if db.dialect == "sqlite":
        _sqlite_baseline(
            db.url.removeprefix("sqlite:///"), tenant.id, [wallet], Scenario("t", 1, 1, 4)
        )

    async def read(conn: Connection) -> list[int]:
        rows = await conn.fetchall(
            "SELECT seq FROM wallet_entries WHERE merchant_id = :m AND wallet_id = :w ORDER BY seq",
            {"m": tenant.id, "w": wallet},
        )
        return [r["seq"] for r in rows]

    assert await run(db, read, write=False) == list(range(1, 7 if db.dialect == "sqlite" else 3))
