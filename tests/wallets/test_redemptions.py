"""Redemption codes: a hold against the balance, one active code per wallet, used once."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import Tenant
from tests.factories import make_customer
from tests.wallets.helpers import entries, entry, frozen, key, make_wallet, read


async def redeem(tenant: Tenant, wallet: dict, amount: int) -> dict:  # type: ignore[type-arg]
    response = await tenant.client.post(
        f"/v1/customers/{wallet['customer_id']}/redemptions",
        json={"wallet": wallet["id"], "amount": amount},
        headers=key(),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_code_holds_its_amount_and_redeeming_again_issues_one_code_for_the_total(
    tenant: Tenant,
) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 1000)
    first = await redeem(tenant, wallet, 300)
    assert re.fullmatch(r"REDEEM\+\d{20}", first["code"]) and first["status"] == "active"
    view = await read(tenant.client, wallet)
    assert (view["balance"], view["held"]) == (700, 300)
    second = await redeem(tenant, wallet, 200)
    assert second["amount"] == 500 and second["code"] != first["code"]
    old = await tenant.client.get(f"/v1/redemptions/{first['code']}")
    assert old.json()["status"] == "cancelled"
    view = await read(tenant.client, wallet)
    assert (view["balance"], view["held"]) == (500, 500)
    reasons = [(e["reason"], e["amount"]) for e in await entries(tenant.client, wallet)]
    assert reasons == [("manual", 1000), ("redemption", -300), ("redemption_cancel", 300),
                       ("redemption", -500)]  # fmt: skip


async def test_a_code_beyond_the_balance_is_refused_and_the_active_code_stays(
    tenant: Tenant,
) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    active = await redeem(tenant, wallet, 60)
    response = await tenant.client.post(
        f"/v1/customers/{wallet['customer_id']}/redemptions",
        json={"wallet": wallet["id"], "amount": 41},
        headers=key(),
    )
    assert response.status_code == 422 and response.json()["code"] == "insufficient_funds"
    still = await tenant.client.get(f"/v1/redemptions/{active['code']}")
    assert still.json()["status"] == "active"


async def test_a_code_is_consumed_once_and_cancel_returns_the_hold(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    code = (await redeem(tenant, wallet, 40))["code"]
    used = await tenant.client.post(f"/v1/redemptions/{code}/consume")
    assert used.status_code == 200 and used.json()["status"] == "consumed"
    again = await tenant.client.post(f"/v1/redemptions/{code}/consume")
    assert again.status_code == 409
    assert (await tenant.client.post(f"/v1/redemptions/{code}/cancel")).status_code == 409
    assert (await read(tenant.client, wallet))["balance"] == 60
    other = (await redeem(tenant, wallet, 10))["code"]
    cancelled = await tenant.client.post(f"/v1/redemptions/{other}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert (await read(tenant.client, wallet))["balance"] == 60


async def test_a_code_is_bound_to_its_merchant_and_customer(tenant: Tenant, other: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    code = (await redeem(tenant, wallet, 40))["code"]
    assert (await other.client.post(f"/v1/redemptions/{code}/consume")).status_code == 404
    stranger = await make_customer(tenant.client)
    wrong = await tenant.client.post(
        f"/v1/redemptions/{code}/consume", json={"customer_id": stranger["id"]}
    )
    assert wrong.status_code == 404
    foreign = await tenant.client.post(
        f"/v1/customers/{stranger['id']}/redemptions",
        json={"wallet": wallet["id"], "amount": 1},
    )
    assert foreign.status_code == 404
    right = await tenant.client.post(
        f"/v1/redemptions/{code}/consume", json={"customer_id": wallet["customer_id"]}
    )
    assert right.status_code == 200


async def test_an_unused_code_expires_and_its_hold_returns_before_and_after_the_sweep(
    tenant: Tenant,
) -> None:
    with frozen() as hands:
        wallet = await make_wallet(tenant.client, code_lifetime_hours=2)
        await entry(tenant.client, wallet, 100)
        code = (await redeem(tenant, wallet, 70))["code"]
        hands.advance(hours=2)
        view = await read(tenant.client, wallet)
        assert (view["balance"], view["held"]) == (100, 0)
        shown = await tenant.client.get(f"/v1/redemptions/{code}")
        assert shown.json()["status"] == "expired"
        assert (await tenant.client.post(f"/v1/redemptions/{code}/consume")).status_code == 409
        await entry(tenant.client, wallet, -1)  # the write sweeps the code
        ledger = [(e["reason"], e["amount"]) for e in await entries(tenant.client, wallet)]
    assert ledger[-2:] == [("redemption_cancel", 70), ("manual", -1)]


async def test_a_cancelled_hold_from_an_expired_lot_comes_back_expired(tenant: Tenant) -> None:
    with frozen() as hands:
        wallet = await make_wallet(tenant.client)
        end = hands.now + timedelta(days=1)
        await entry(tenant.client, wallet, 50, expires_at=end.isoformat())
        code = (await redeem(tenant, wallet, 50))["code"]
        hands.now = end + timedelta(minutes=1)
        await tenant.client.post(f"/v1/redemptions/{code}/cancel")
        ledger = [(e["reason"], e["amount"]) for e in await entries(tenant.client, wallet)]
        assert (await read(tenant.client, wallet))["balance"] == 0
    assert ledger[-2:] == [("redemption_cancel", 50), ("expiry", -50)]
