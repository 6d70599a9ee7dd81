"""Concurrent writers on one wallet serialize: nothing lost, nothing invented, nothing twice.

On PostgreSQL the requests run on a pool of connections at once and serialize on the wallet
row's lock (`FOR UPDATE`); on SQLite on the write lock.
"""

from __future__ import annotations

import asyncio

from tests.conftest import Tenant
from tests.wallets.helpers import entries, entry, key, make_wallet, read


async def test_200_concurrent_debits_of_1_on_a_balance_of_100_accept_exactly_100(
    tenant: Tenant,
) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    path = f"/v1/wallets/{wallet['id']}/entries"
    answers = await asyncio.gather(
        *(tenant.client.post(path, json={"amount": -1}, headers=key()) for _ in range(200))
    )
    codes = [a.status_code for a in answers]
    assert codes.count(201) == 100, codes
    assert codes.count(422) == 100, codes
    assert all(a.json()["code"] == "insufficient_funds" for a in answers if a.status_code == 422)
    assert (await read(tenant.client, wallet))["balance"] == 0
    ledger = await entries(tenant.client, wallet)
    assert [e["seq"] for e in ledger] == list(range(1, 102))
    assert [e["balance_after"] for e in ledger] == list(range(100, -1, -1))


async def test_concurrent_grants_are_all_applied_once(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    path = f"/v1/wallets/{wallet['id']}/entries"
    answers = await asyncio.gather(
        *(tenant.client.post(path, json={"amount": 3}, headers=key()) for _ in range(60))
    )
    assert [a.status_code for a in answers] == [201] * 60
    assert (await read(tenant.client, wallet))["balance"] == 180


async def test_concurrent_replays_of_one_key_have_exactly_one_effect(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    path = f"/v1/wallets/{wallet['id']}/entries"
    same = key()
    answers = await asyncio.gather(
        *(tenant.client.post(path, json={"amount": -7}, headers=same) for _ in range(40))
    )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert (await read(tenant.client, wallet))["balance"] == 93
    assert len(await entries(tenant.client, wallet)) == 2


async def test_many_clients_consuming_one_code_succeed_exactly_once(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    made = await tenant.client.post(
        f"/v1/customers/{wallet['customer_id']}/redemptions",
        json={"wallet": wallet["id"], "amount": 100},
    )
    code = made.json()["code"]
    answers = await asyncio.gather(
        *(tenant.client.post(f"/v1/redemptions/{code}/consume") for _ in range(50))
    )
    codes = [a.status_code for a in answers]
    assert codes.count(200) == 1 and codes.count(409) == 49, codes
    assert (await read(tenant.client, wallet))["balance"] == 0
