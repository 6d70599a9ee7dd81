"""What a receipt's signed `download_url` costs a single POST, in process (no HTTP server):
the app behind httpx's ASGI transport on a fresh database, one receipt per POST, variants
interleaved in rounds (medians of the rounds' per-POST times).

    .venv/bin/python -m bench.document_links [--database-url URL] [--quick]

Variants: `tillroll` (as shipped: the link key cached per process, one query for the
receipts' link generations, the pre-render listener reading the branding); `secret per
answer` (the key cache off: the merchant's secret read for every answer, as before);
`no pre-render listener`; `no links` (no `download_url` at all: the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.documents import prerender, service
from tillroll.kit.db import Connection, open_database, run
from tillroll.kit.migrate import migrate
from tillroll.kit.viewer import Viewer
from tillroll.merchants.service import merchant as merchant_service
from tillroll.receipts import ingest
from tillroll.receipts.schemas import Receipt
from tillroll.receipts.service import receipt as receipt_service

BODY: dict[str, Any] = {
    "issued_at": "2026-11-22T10:00:00+01:00", "currency": "EUR", "prices_include_tax": True,
    "lines": [{"name": "Croissant", "unit_price": 250, "quantity": "2", "total": 500}],
    "subtotal": 500, "total": 500,
    "payments": [{"method": "card", "amount": 500}],
}  # fmt: skip


def _variants() -> dict[str, Callable[[bool], None]]:
    """Each switches its difference on (True) or back off (False)."""
    real_links, ttl = service.DocumentService.with_links, service._Keys.TTL

    async def no_links(
        self: service.DocumentService,
        conn: Connection,
        settings: Settings,
        merchant_id: uuid.UUID,
        receipts: list[Receipt],
    ) -> list[Receipt]:
        del self, conn, settings, merchant_id
        return receipts  # as they are

    def secret_per_answer(on: bool) -> None:
        service._Keys.TTL = 0.0 if on else ttl

    def no_prerender(on: bool) -> None:
        if on:
            ingest.ON_STORE.remove(prerender.on_store)
        else:
            ingest.ON_STORE.append(prerender.on_store)

    def links_off(on: bool) -> None:
        service.DocumentService.with_links = no_links if on else real_links  # type: ignore[method-assign]

    return {
        "tillroll": lambda on: None,
        "secret per answer": secret_per_answer,
        "no pre-render listener": no_prerender,
        "no links": links_off,
    }


async def _parts(db: Any, c: httpx.AsyncClient, n: int) -> dict[str, float]:
    """The ingest path's link parts alone: the merchant's last receipt's link, and the
    pre-render listener (its flag off)."""
    receipt = (await c.get("/v1/receipts", params={"limit": 1})).json()["data"][0]
    merchant_id = (await c.get("/v1/merchant")).json()["id"]
    m = uuid.UUID(merchant_id)
    settings = Settings()

    async def one(conn: Any) -> Receipt:
        return await receipt_service.get(conn, Viewer(m), uuid.UUID(receipt["id"]))

    stored = await run(db, one, write=False)
    ttl = service._Keys.TTL
    calls: dict[str, Callable[[Any], Any]] = {
        "download_url, key cached": lambda conn: service.documents.with_links(
            conn, settings, m, [stored]
        ),
        "download_url, secret read (key cache off)": lambda conn: service.documents.with_links(
            conn, settings, m, [stored]
        ),
        "pre-render listener (flag off, kept)": lambda conn: prerender.on_store(conn, m, [stored]),
        "nothing (the loop's own cost)": lambda conn: asyncio.sleep(0),
    }
    found: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(5):
        for name, call in calls.items():
            service._Keys.TTL = 0.0 if "cache off" in name else ttl

            async def work(conn: Any, call: Callable[[Any], Any] = call) -> None:
                for _ in range(n):
                    await call(conn)

            started = time.perf_counter()
            await run(db, work, write=False)
            found[name].append((time.perf_counter() - started) / n * 1e6)
    service._Keys.TTL = ttl
    return {name: statistics.median(v) for name, v in found.items()}


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", help="default: a fresh SQLite file")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tillroll_links_"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    db = open_database(url, pool_size=4)
    await db.connect()
    await migrate(db)
    _, key = await run(db, lambda conn: merchant_service.create(conn, "Bench"), write=True)
    app = create_app(Settings(database_url=url), db=db)
    rounds, per_round = (5, 100) if args.quick else (9, 300)
    variants = _variants()
    times: dict[str, list[float]] = {name: [] for name in variants}
    headers = {"Authorization": f"Bearer {key.secret}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://b", headers=headers) as c:
        n = 0
        for name in variants:  # warm-up
            variants[name](True)
            for _ in range(20):
                n += 1
                await c.post("/v1/receipts", json={**BODY, "external_id": f"W-{n}"})
            variants[name](False)
        for _ in range(rounds):
            for name, switch in variants.items():
                switch(True)
                started = time.perf_counter()
                for _ in range(per_round):
                    n += 1
                    r = await c.post("/v1/receipts", json={**BODY, "external_id": f"B-{n}"})
                    assert r.status_code == 201, r.text
                times[name].append((time.perf_counter() - started) / per_round * 1e6)
                switch(False)
        parts = await _parts(db, c, 500 if args.quick else 2000)
    await db.close()
    print("the parts, in one read transaction each, µs per call (medians of 5 rounds):")
    for name, value in parts.items():
        print(f"  {name:<46} {value:>8.1f}")
    base = statistics.median(times["no links"])
    print(f"single POST in process, {url.split(':')[0]}, {rounds} rounds × {per_round} POSTs")
    print(f"{'variant':<24} {'µs per POST':>12} {'vs no links':>12}  rounds")
    for name, values in times.items():
        mid = statistics.median(values)
        each = ", ".join(f"{v:.0f}" for v in values)
        print(f"{name:<24} {mid:>12.0f} {mid / base:>11.3f}x  {each}")


if __name__ == "__main__":
    asyncio.run(main())
