"""Every receipt path locks a customer's wallets in one order (by wallet id): concurrent
receipts of one customer, one spending a wallet voucher and one earning into both
wallets, never deadlock, and the balances come out exact.

The receipts run in transactions of their own, at once, with no retry in between (as two
processes would): on PostgreSQL a lock-order inversion is a deadlock error here, not a
retried request. On SQLite the write lock serializes them (the test still checks sums).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec

from tests.conftest import Tenant
from tests.factories import created, make_customer, return_line, simple_receipt, with_lines
from tests.wallets.helpers import entry, key, read
from tests.wallets.test_earning import POINTS, campaign, wallets_of
from tillroll.kit.db import Connection, Database
from tillroll.receipts.schemas import ReceiptCreate
from tillroll.receipts.service import receipt as receipt_service

ROUNDS = 12


def _voucher_receipt(external_id: str, code: str, customer: Any) -> dict[str, Any]:
    """3 × 10.00 (below the percent campaign's minimum: it earns points only), 1.00 of it
    paid by a wallet voucher."""
    body = simple_receipt(external_id, customer={"id": customer["id"]})
    voucher = {"amount": 100, "kind": "voucher", "code": code, "description": "Store credit"}
    body.update(discounts=[voucher], discount_total=100, total=body["total"] - 100)
    return body


async def _ingest_alone(db: Database, merchant_id: uuid.UUID, body: dict[str, Any]) -> Any:
    """One receipt in a transaction of its own: a deadlock raises here."""
    receipt = msgspec.convert(body, ReceiptCreate)
    async with db.transaction(write=True) as conn:
        stored, _ = await receipt_service.create(conn, merchant_id, receipt)
        return stored


async def _setup(tenant: Tenant) -> tuple[Any, dict[str, Any]]:
    c = tenant.client
    await campaign(c, **POINTS)  # 10 points per 10.00: every receipt
    await campaign(c, title="5% over 50.00", kind="percent_back", percent="5", min_spend=5000)
    shopper = await make_customer(c)
    credit = await created(
        await c.post(f"/v1/customers/{shopper['id']}/wallets", json={"kind": "credit"})
    )
    await entry(c, credit, 100_000)
    await created(await c.post(f"/v1/customers/{shopper['id']}/wallets", json={"kind": "points"}))
    return shopper, credit


async def _code(tenant: Tenant, credit: dict[str, Any]) -> str:
    made = await tenant.client.post(
        f"/v1/customers/{credit['customer_id']}/redemptions",
        json={"wallet": credit["id"], "amount": 100},
        headers=key(),
    )
    return str((await created(made))["code"])


async def test_a_voucher_receipt_and_an_earning_receipt_of_one_customer_never_deadlock(
    db: Database, tenant: Tenant
) -> None:
    shopper, credit = await _setup(tenant)
    for n in range(ROUNDS):
        code = await _code(tenant, credit)
        spend = _voucher_receipt(f"V-{n}", code, shopper)
        earn = simple_receipt(f"E-{n}", unit_price=2000, customer={"id": shopper["id"]})
        await asyncio.gather(
            _ingest_alone(db, tenant.id, spend), _ingest_alone(db, tenant.id, earn)
        )
    wallets = await wallets_of(tenant.client, shopper)
    # each round: a code of 1.00 spent, 5% of 60.00 earned; 30 + 60 points
    assert wallets["credit"]["balance"] == 100_000 + ROUNDS * (300 - 100)
    assert wallets["points"]["balance"] == ROUNDS * 90
    assert (await read(tenant.client, credit))["held"] == 0


async def test_returns_restoring_a_voucher_and_clawing_back_never_deadlock(
    db: Database, tenant: Tenant
) -> None:
    shopper, credit = await _setup(tenant)
    originals = []
    for n in range(ROUNDS):
        body = _voucher_receipt(f"O-{n}", await _code(tenant, credit), shopper)
        originals.append(await _ingest_alone(db, tenant.id, body))
    for n, original in enumerate(originals):
        back = with_lines(f"R-{n}", [return_line("-3", receipt_id=str(original.id))],
                          customer={"id": shopper["id"]})  # fmt: skip
        earn = simple_receipt(f"E-{n}", unit_price=2000, customer={"id": shopper["id"]})
        await asyncio.gather(_ingest_alone(db, tenant.id, back), _ingest_alone(db, tenant.id, earn))
    wallets = await wallets_of(tenant.client, shopper)
    # the codes' 1.00 each came back with the returns, their 30 points went back
    assert wallets["credit"]["balance"] == 100_000 + ROUNDS * 300
    assert wallets["points"]["balance"] == ROUNDS * 60


async def test_first_receipts_of_a_new_customer_at_once_open_each_wallet_once(
    db: Database, tenant: Tenant
) -> None:
    await campaign(tenant.client, **POINTS)
    await campaign(tenant.client, title="5% back", kind="percent_back", percent="5")
    for n in range(ROUNDS // 2):
        shopper = await make_customer(tenant.client)
        bodies = [
            simple_receipt(f"N-{n}-{i}", unit_price=2000, customer={"id": shopper["id"]})
            for i in range(2)
        ]
        await asyncio.gather(*(_ingest_alone(db, tenant.id, b) for b in bodies))
        wallets = await wallets_of(tenant.client, shopper)
        assert (wallets["credit"]["balance"], wallets["points"]["balance"]) == (600, 120)


class Recording:
    """A real connection that notes each statement it runs."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.statements = conn, list[str]()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.conn, name)
        if name in ("execute", "fetchone", "fetchall", "fetchval"):

            async def noted(sql: str, *args: Any) -> Any:
                self.statements.append(sql)
                return await found(sql, *args)

            return noted
        return found


async def test_a_batch_looks_up_its_customers_wallets_with_one_query(
    db: Database, tenant: Tenant
) -> None:
    await campaign(tenant.client, **POINTS)
    shoppers = [await make_customer(tenant.client) for _ in range(40)]
    for opened in (False, True):  # the first batch opens the wallets, the second finds them
        bodies = [
            simple_receipt(f"B-{opened}-{n}", customer={"id": s["id"]})
            for n, s in enumerate(shoppers)
        ]
        receipts = [msgspec.convert(b, ReceiptCreate) for b in bodies]
        async with db.transaction(write=True) as conn:
            recording = Recording(conn)
            await receipt_service.create_batch(recording, tenant.id, receipts)
        lookups = [s for s in recording.statements if "FROM wallets WHERE" in s
                   and "customer_id IN" in s]  # fmt: skip
        assert len(lookups) == (1 if opened else 2), lookups  # found; or found, then opened
    balances = [(await wallets_of(tenant.client, s))["points"]["balance"] for s in shoppers]
    assert balances == [60] * 40
