"""The ledger through the API: entries, lots, draw order, expiry, reversal, overdraft."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import Tenant
from tests.wallets.helpers import T0, entries, entry, frozen, key, lots, make_wallet, post, read


async def test_credits_and_debits_keep_a_running_balance(tenant: Tenant) -> None:
    with frozen():
        wallet = await make_wallet(tenant.client)
        assert wallet["currency"] == "EUR" and wallet["balance"] == 0
        await entry(tenant.client, wallet, 500, note="welcome")
        debit = await entry(tenant.client, wallet, -120)
        assert debit["balance_after"] == 380 and debit["seq"] == 2
        view = await read(tenant.client, wallet)
        ledger = await entries(tenant.client, wallet)
    assert view["balance"] == view["available"] == 380
    assert sum(e["amount"] for e in ledger) == 380
    assert [e["reason"] for e in ledger] == ["manual", "manual"]


async def test_a_debit_beyond_the_available_amount_is_refused_and_changes_nothing(
    tenant: Tenant,
) -> None:
    wallet = await make_wallet(tenant.client)
    await entry(tenant.client, wallet, 100)
    response = await post(tenant.client, wallet, -101)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "insufficient_funds"
    assert "100 available" in response.json()["detail"]
    assert len(await entries(tenant.client, wallet)) == 1
    assert (await read(tenant.client, wallet))["balance"] == 100


async def test_an_entry_needs_an_idempotency_key_and_a_replay_applies_once(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    path = f"/v1/wallets/{wallet['id']}/entries"
    missing = await tenant.client.post(path, json={"amount": 5})
    assert missing.status_code == 422 and "Idempotency-Key" in missing.text
    headers = key()
    first = await tenant.client.post(path, json={"amount": 5}, headers=headers)
    again = await tenant.client.post(path, json={"amount": 5}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (await read(tenant.client, wallet))["balance"] == 5


async def test_bad_input_names_the_field(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"amount": 0}, "amount"),
        ({"amount": 5, "reason": "expiry"}, "reason"),
        ({"amount": 5, "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"amount": -5, "expires_at": "2999-01-01T00:00:00Z"}, "expires_at"),
        ({"amount": 10**16}, "amount"),
        ({"amount": 1.5}, "amount"),
    ]
    for body, loc in cases:
        response = await post(tenant.client, wallet, **body)
        assert response.status_code == 422, (body, response.text)
        assert [e["loc"] for e in response.json()["errors"]] == [loc], response.text
    assert await entries(tenant.client, wallet) == []


async def test_debits_draw_soonest_expiry_first_then_oldest(tenant: Tenant) -> None:
    with frozen() as hands:
        wallet = await make_wallet(tenant.client)
        never = await entry(tenant.client, wallet, 100)
        late = await entry(
            tenant.client, wallet, 100, expires_at=(T0 + timedelta(days=9)).isoformat()
        )
        soon = await entry(
            tenant.client, wallet, 100, expires_at=(T0 + timedelta(days=3)).isoformat()
        )
        hands.advance(seconds=1)
        never2 = await entry(tenant.client, wallet, 100)
        await entry(tenant.client, wallet, -250)
        remaining = {lot["entry_id"]: lot["remaining"] for lot in await lots(tenant.client, wallet)}
    assert remaining == {soon["id"]: 0, late["id"]: 0, never["id"]: 50, never2["id"]: 100}


async def test_a_spend_at_expiry_minus_one_microsecond_succeeds_and_at_expiry_fails(
    tenant: Tenant,
) -> None:
    end = T0 + timedelta(days=1)
    with frozen() as hands:
        wallet = await make_wallet(tenant.client)
        await entry(tenant.client, wallet, 10, expires_at=end.isoformat())
        hands.now = end - timedelta(microseconds=1)
        assert (await post(tenant.client, wallet, -4)).status_code == 201
        hands.now = end
        refused = await post(tenant.client, wallet, -1)
        assert refused.status_code == 422 and "0 available" in refused.text


async def test_a_balance_never_counts_an_expired_lot_whether_or_not_it_was_swept(
    tenant: Tenant,
) -> None:
    end = T0 + timedelta(days=2)
    with frozen() as hands:
        wallet = await make_wallet(tenant.client)
        await entry(tenant.client, wallet, 70, expires_at=end.isoformat())
        await entry(tenant.client, wallet, 30)
        soon = (await read(tenant.client, wallet))["expiring_soon"]
        assert soon == [{"expires_at": end.isoformat().replace("+00:00", "Z"), "amount": 70}]
        hands.now = end
        view = await read(tenant.client, wallet)
        assert view["balance"] == 30 and view["expiring_soon"] == []
        assert [e["reason"] for e in await entries(tenant.client, wallet)] == ["manual"] * 2
        assert [lot["status"] for lot in await lots(tenant.client, wallet)] == ["expired", "active"]
        await entry(tenant.client, wallet, -5)  # a write sweeps first
        ledger = await entries(tenant.client, wallet)
    assert [(e["reason"], e["amount"]) for e in ledger][2:] == [("expiry", -70), ("manual", -5)]
    assert ledger[-1]["balance_after"] == sum(e["amount"] for e in ledger) == 25


async def test_a_reversal_restores_exactly_the_lots_drawn_and_only_once(tenant: Tenant) -> None:
    end = T0 + timedelta(days=5)
    with frozen() as hands:
        wallet = await make_wallet(tenant.client)
        short = await entry(tenant.client, wallet, 40, expires_at=end.isoformat())
        long = await entry(tenant.client, wallet, 100)
        debit = await entry(tenant.client, wallet, -60)
        path = f"/v1/wallets/{wallet['id']}/entries/{debit['id']}/reverse"
        hands.now = end + timedelta(hours=1)  # the short lot expired meanwhile
        reversal = await tenant.client.post(path)
        assert reversal.status_code == 201, reversal.text
        assert reversal.json()["amount"] == 60 and reversal.json()["reverses"] == debit["id"]
        assert (await tenant.client.post(path)).status_code == 409
        ledger = await entries(tenant.client, wallet)
        by_entry = {lot["entry_id"]: lot for lot in await lots(tenant.client, wallet)}
        view = await read(tenant.client, wallet)
    assert by_entry[short["id"]]["status"] == "expired"
    assert by_entry[long["id"]]["remaining"] == 100
    assert [(e["reason"], e["amount"]) for e in ledger][-2:] == [
        ("adjustment", 60),
        ("expiry", -40),
    ]
    assert view["balance"] == 100 == sum(e["amount"] for e in ledger)


async def test_only_plain_debits_can_be_reversed(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client)
    credit = await entry(tenant.client, wallet, 40)
    path = f"/v1/wallets/{wallet['id']}/entries/{credit['id']}/reverse"
    assert (await tenant.client.post(path)).status_code == 409
    other = await make_wallet(tenant.client)
    foreign = f"/v1/wallets/{other['id']}/entries/{credit['id']}/reverse"
    assert (await tenant.client.post(foreign)).status_code == 404


async def test_an_overdraft_wallet_goes_negative_and_the_next_credit_pays_the_debt(
    tenant: Tenant,
) -> None:
    wallet = await make_wallet(tenant.client, allow_overdraft=True)
    await entry(tenant.client, wallet, 30)
    debit = await entry(tenant.client, wallet, -50)
    assert debit["balance_after"] == -20
    assert (await read(tenant.client, wallet))["balance"] == -20
    await entry(tenant.client, wallet, 25)
    view = await read(tenant.client, wallet)
    assert view["balance"] == view["available"] == 5
    assert [lot["remaining"] for lot in await lots(tenant.client, wallet)] == [0, 5]


async def test_a_lifetime_ends_at_the_same_wall_clock_time_across_a_dst_change(
    tenant: Tenant,
) -> None:
    response = await tenant.client.patch(
        "/v1/merchant", json={"settings": {"timezone": "Europe/Amsterdam"}}
    )
    assert response.status_code == 200, response.text
    # Wednesday 25 March 2026, 13:00 CET; summer time starts on Sunday 29 March.
    with frozen(T0.replace(month=3, day=25, hour=12)):
        wallet = await make_wallet(tenant.client, lifetime_days=7)
        await entry(tenant.client, wallet, 10)
        (lot,) = await lots(tenant.client, wallet)
    assert lot["expires_at"] == "2026-04-01T11:00:00Z"  # 13:00 CEST


async def test_one_wallet_per_kind_and_a_points_wallet_has_a_title(tenant: Tenant) -> None:
    wallet = await make_wallet(tenant.client, "points", title="ACME Bucks")
    assert wallet["title"] == "ACME Bucks" and wallet["currency"] is None
    again = await tenant.client.post(
        f"/v1/customers/{wallet['customer_id']}/wallets", json={"kind": "points"}
    )
    assert again.status_code == 409
    listed = await tenant.client.get(f"/v1/customers/{wallet['customer_id']}/wallets")
    assert [w["id"] for w in listed.json()["data"]] == [wallet["id"]]
    bad = await tenant.client.post(
        f"/v1/customers/{wallet['customer_id']}/wallets",
        json={"kind": "credit", "currency": "EURO"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "currency"


async def test_a_debit_reads_lots_a_page_at_a_time_and_names_all_that_is_available(
    tenant: Tenant,
) -> None:
    wallet = await make_wallet(tenant.client)
    for _ in range(70):  # more lots than one page (32)
        await entry(tenant.client, wallet, 1)
    refused = await post(tenant.client, wallet, -71)
    assert refused.status_code == 422 and "70 available" in refused.text
    await entry(tenant.client, wallet, -40)
    remaining = [lot["remaining"] for lot in await lots(tenant.client, wallet)]
    assert remaining == [0] * 40 + [1] * 30
