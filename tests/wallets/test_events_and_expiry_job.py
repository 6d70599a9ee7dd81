"""Every entry and code change is an event in its transaction; the expiry job writes the
`expiry` entries of a wallet nobody touches, and comes back later when run early."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import Tenant
from tests.wallets.helpers import T0, entries, entry, frozen, key, make_wallet, post
from tillroll.jobs import worker
from tillroll.kit.db import Connection, Database, run


async def _events(db: Database, tenant: Tenant) -> list[tuple[str, Any]]:
    async def read(conn: Connection) -> list[tuple[str, Any]]:
        rows = await conn.fetchall(
            "SELECT type, data FROM events WHERE merchant_id = :m ORDER BY id", {"m": tenant.id}
        )
        found = [(r["type"], r["data"]) for r in rows]
        return [(t, d) for t, d in found if t.startswith(("wallet.", "redemption."))]

    return await run(db, read, write=False)


async def _sweep_jobs(db: Database, tenant: Tenant) -> list[tuple[str, int]]:
    async def read(conn: Connection) -> list[tuple[str, int]]:
        rows = await conn.fetchall(
            "SELECT status, attempts FROM jobs WHERE merchant_id = :m AND kind = 'wallets.sweep'",
            {"m": tenant.id},
        )
        return [(r["status"], r["attempts"]) for r in rows]

    return await run(db, read, write=False)


async def test_each_entry_and_code_change_is_one_event(db: Database, tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    await entry(tenant.client, wallet, -30)
    assert (await post(tenant.client, wallet, -500)).status_code == 422  # no event: rolled back
    made = await tenant.client.post(
        f"/v1/customers/{wallet['customer_id']}/redemptions", json={"amount": 20}, headers=key()
    )
    code = made.json()["code"]
    await tenant.client.post(f"/v1/redemptions/{code}/consume")
    types = [t for t, _ in await _events(db, tenant)]
    assert types == ["wallet.credited", "wallet.debited", "wallet.debited", "redemption.created",
                     "redemption.consumed"]  # fmt: skip


async def test_the_job_writes_the_expiry_entry_of_an_untouched_wallet(
    db: Database, tenant: Tenant
) -> None:
    end = T0 + timedelta(hours=3)
    with frozen() as hands:
        wallet = await make_wallet(tenant.client)
        await entry(tenant.client, wallet, 80, expires_at=end.isoformat())
        await worker.run_once(db)  # due on the queue's clock, not yet on the wallet's
        assert [e["reason"] for e in await entries(tenant.client, wallet)] == ["manual"]
        assert await _sweep_jobs(db, tenant) == [("pending", 1)]  # rescheduled, not failed
        hands.now = end
        await _reschedule_now(db, tenant)
        await worker.run_once(db)
        ledger = [
            (e["reason"], e["amount"], e["actor"]) for e in await entries(tenant.client, wallet)
        ]
    assert ledger[-1] == ("expiry", -80, "expiry job")
    assert await _sweep_jobs(db, tenant) == [("done", 2)]
    assert [t for t, _ in await _events(db, tenant)][-1] == "wallet.debited"


async def _reschedule_now(db: Database, tenant: Tenant) -> None:
    """Make the early-run job due again on the queue's (real) clock."""

    async def work(conn: Connection) -> None:
        await conn.execute(
            "UPDATE jobs SET run_at = created_at WHERE merchant_id = :m", {"m": tenant.id}
        )

    await run(db, work, write=True)
