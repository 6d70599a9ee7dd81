"""Wallet vouchers on receipts: a receipt's `REDEEM+` voucher consumes its code in the
receipt's transaction; a code that cannot be used leaves the receipt stored and says why."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from tests.conftest import Tenant
from tests.factories import created, make_customer, return_line, simple_receipt, with_lines
from tests.wallets.helpers import entries, entry, frozen, key, lots, make_wallet, read
from tillroll.kit.db import Connection, Database, run


async def _code(tenant: Tenant, wallet: dict[str, Any], amount: int) -> Any:
    response = await tenant.client.post(
        f"/v1/customers/{wallet['customer_id']}/redemptions",
        json={"wallet": wallet["id"], "amount": amount},
        headers=key(),
    )
    return await created(response)


def _with_voucher(external_id: str, code: str, amount: int, **changes: Any) -> dict[str, Any]:
    body = simple_receipt(external_id, **changes)  # 3 × 10.00
    voucher = {"amount": amount, "kind": "voucher", "code": code, "description": "Store credit"}
    body.update(discounts=[voucher], discount_total=amount, total=body["total"] - amount)
    return body


async def _buy(tenant: Tenant, body: dict[str, Any], customer_id: Any = None) -> Any:
    if customer_id is not None:
        body = {**body, "customer": {"id": customer_id}}
    return await created(await tenant.client.post("/v1/receipts", json=body))


async def _refusals(db: Database, tenant: Tenant) -> list[Any]:
    async def read_events(conn: Connection) -> list[Any]:
        rows = await conn.fetchall(
            "SELECT data FROM events WHERE merchant_id = :m AND type = :t ORDER BY id",
            {"m": tenant.id, "t": "redemption.not_consumed"},
        )
        return [json.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]

    return await run(db, read_events, write=False)


async def test_a_receipt_consumes_its_code_and_a_second_receipt_cannot(
    db: Database, tenant: Tenant
) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 1000)
    code = await _code(tenant, wallet, 400)
    first = await _buy(tenant, _with_voucher("V-1", code["code"], 400), wallet["customer_id"])
    used = await created(await tenant.client.get(f"/v1/redemptions/{code['code']}"), 200)
    assert (used["status"], used["receipt_id"]) == ("consumed", first["id"])
    assert first["basket_vouchers"][0]["type"] == "wallet"
    view = await read(tenant.client, wallet)
    assert (view["balance"], view["held"]) == (600, 0)
    second = await _buy(tenant, _with_voucher("V-2", code["code"], 400), wallet["customer_id"])
    assert second["total"] == 2600  # stored as the till recorded it
    refused = await _refusals(db, tenant)
    assert [(r["receipt_id"], r["reason"]) for r in refused] == [(second["id"], "consumed")]
    again = await tenant.client.post(f"/v1/redemptions/{code['code']}/consume")
    assert again.status_code == 409
    assert [e["reason"] for e in await entries(tenant.client, wallet)] == ["manual", "redemption"]


async def test_unknown_foreign_and_expired_codes_are_kept_unconsumed_with_the_reason(
    db: Database, tenant: Tenant
) -> None:
    with frozen() as hands:
        wallet = await make_wallet(tenant.client, code_lifetime_hours=1)
        await entry(tenant.client, wallet, 1000)
        code = await _code(tenant, wallet, 300)
        stranger = await make_customer(tenant.client)
        await _buy(tenant, _with_voucher("F-1", "REDEEM+" + "9" * 20, 300))
        await _buy(tenant, _with_voucher("F-2", code["code"], 300), stranger["id"])
        still = await created(await tenant.client.get(f"/v1/redemptions/{code['code']}"), 200)
        assert still["status"] == "active"
        hands.advance(hours=1)
        late = await _buy(tenant, _with_voucher("F-3", code["code"], 300), wallet["customer_id"])
        assert late["total"] == 2700
        reasons = [r["reason"] for r in await _refusals(db, tenant)]
        assert reasons == ["unknown", "other_customer", "expired"]
        view = await read(tenant.client, wallet)
        assert (view["balance"], view["held"]) == (1000, 0)  # the expired hold came back


async def test_an_anonymous_receipt_uses_the_code_it_carries_and_other_vouchers_are_ignored(
    db: Database, tenant: Tenant
) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 500)
    code = await _code(tenant, wallet, 500)
    body = _with_voucher("A-1", code["code"], 500)
    body["discounts"].append({"amount": 100, "kind": "voucher", "code": "SUMMER10"})
    body.update(discount_total=600, total=body["total"] - 100)
    stored = await _buy(tenant, body)
    used = await created(await tenant.client.get(f"/v1/redemptions/{code['code']}"), 200)
    assert (used["status"], used["receipt_id"]) == ("consumed", stored["id"])
    assert await _refusals(db, tenant) == []


async def test_a_batch_consumes_a_code_once(db: Database, tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 500)
    code = await _code(tenant, wallet, 200)
    bodies = [_with_voucher(f"B-{n}", code["code"], 200) for n in range(2)]
    response = await tenant.client.post("/v1/receipts/batch", json={"receipts": bodies})
    assert response.status_code in (200, 201, 207), response.text
    used = await created(await tenant.client.get(f"/v1/redemptions/{code['code']}"), 200)
    assert used["status"] == "consumed"
    assert [r["reason"] for r in await _refusals(db, tenant)] == ["consumed"]


def _return(external_id: str, of: str, quantity: str) -> dict[str, Any]:
    return with_lines(external_id, [return_line(quantity, receipt_external_id=of)])


async def _restored(tenant: Tenant, wallet: dict[str, Any]) -> list[int]:
    found = await entries(tenant.client, wallet)
    return [e["amount"] for e in found if e["reason"] == "redemption_cancel"]


async def test_returns_in_parts_restore_exactly_the_voucher_amount(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 1000)
    code = await _code(tenant, wallet, 400)
    await _buy(tenant, _with_voucher("P-1", code["code"], 400), wallet["customer_id"])
    for n in range(3):  # 1 of 3 items each time: 133, 133, 134
        await _buy(tenant, _return(f"P-1-R{n}", "P-1", "-1"))
    assert await _restored(tenant, wallet) == [133, 133, 134]
    view = await read(tenant.client, wallet)
    assert view["balance"] == 1000
    extra = await tenant.client.post("/v1/receipts", json=_return("P-1-R9", "P-1", "-1"))
    assert extra.status_code == 409  # more than was bought is refused; nothing restored
    assert sum(await _restored(tenant, wallet)) == 400


async def test_a_return_shows_its_voucher_restore_in_the_monetary_wallet(
    tenant: Tenant,
) -> None:
    wallet = await make_wallet(tenant.client, title="Store credit")
    await entry(tenant.client, wallet, 1000)
    code = await _code(tenant, wallet, 400)
    await _buy(tenant, _with_voucher("W-1", code["code"], 400), wallet["customer_id"])
    back = await _buy(tenant, _return("W-1-R1", "W-1", "-1"))
    shown = {"wallet_id": wallet["id"], "total": 733, "title": "Store credit",
             "contributions": [{"amount": 133, "campaign_id": None,
                                "campaign_title": "Wallet voucher restored"}]}  # fmt: skip
    assert back["monetary_wallet"] == shown
    assert back["points_wallet"] is None
    again = await created(await tenant.client.get(f"/v1/receipts/{back['id']}"), 200)
    assert again["monetary_wallet"] == shown
    await _buy(tenant, _return("W-1-R2", "W-1", "-2"))
    later = await created(await tenant.client.get(f"/v1/receipts/{back['id']}"), 200)
    assert later["monetary_wallet"]["total"] == 733  # the balance right after that return


async def test_the_restored_credit_keeps_the_expiry_of_the_lots_it_came_from(
    tenant: Tenant,
) -> None:
    with frozen() as hands:
        wallet = await make_wallet(tenant.client)
        soon = (hands.now + timedelta(days=2)).isoformat()
        await entry(tenant.client, wallet, 300, expires_at=soon)
        await entry(tenant.client, wallet, 700)
        code = await _code(tenant, wallet, 600)  # 300 of the expiring lot, 300 of the other
        await _buy(tenant, _with_voucher("X-1", code["code"], 600), wallet["customer_id"])
        await _buy(tenant, _return("X-1-R1", "X-1", "-1"))  # 200: back into the expiring lot
        remaining = sorted((lot["expires_at"] is None, lot["remaining"])
                           for lot in await lots(tenant.client, wallet))  # fmt: skip
        assert remaining == [(False, 200), (True, 400)]
        hands.advance(days=3)
        await _buy(tenant, _return("X-1-R2", "X-1", "-2"))  # 100 expired meanwhile + 300
        view = await read(tenant.client, wallet)
        assert view["balance"] == 700
        reasons = [(e["reason"], e["amount"]) for e in await entries(tenant.client, wallet)]
        assert reasons[-3:] == [("expiry", -200), ("redemption_cancel", 400), ("expiry", -100)]


async def test_concurrent_replays_of_a_return_restore_once(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 900)
    code = await _code(tenant, wallet, 900)
    await _buy(tenant, _with_voucher("C-1", code["code"], 900), wallet["customer_id"])
    body = _return("C-1-R", "C-1", "-3")
    answers = await asyncio.gather(
        *(tenant.client.post("/v1/receipts", json=body) for _ in range(8))
    )
    assert {a.status_code for a in answers} <= {200, 201}, [a.text for a in answers]
    assert await _restored(tenant, wallet) == [900]
    assert (await read(tenant.client, wallet))["balance"] == 900
