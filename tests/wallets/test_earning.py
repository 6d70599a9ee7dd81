"""Earning on receipts and claims, clawback on returns and lowered orders, and the wallet
fields of the receipt: through the API, on the real database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import Tenant
from tests.factories import (
    created,
    make_branch,
    make_customer,
    return_line,
    simple_receipt,
    with_lines,
)
from tests.orders.helpers import online_receipt, order_body
from tests.wallets.helpers import entries, read

PERCENT: dict[str, Any] = {"title": "5% back", "kind": "percent_back", "percent": "5",
                           "wallet_title": "ACME Bucks"}  # fmt: skip
POINTS: dict[str, Any] = {"title": "10 per 10.00", "kind": "points_per_amount", "points": 10,
                          "per_amount": 1000}  # fmt: skip


async def campaign(client: httpx.AsyncClient, **body: Any) -> Any:
    return await created(await client.post("/v1/campaigns", json=body))


async def bought(client: httpx.AsyncClient, body: dict[str, Any], customer: Any) -> Any:
    return await created(
        await client.post("/v1/receipts", json={**body, "customer": {"id": customer["id"]}})
    )


async def wallets_of(client: httpx.AsyncClient, customer: Any) -> dict[str, Any]:
    page = await created(await client.get(f"/v1/customers/{customer['id']}/wallets"), 200)
    return {w["kind"]: w for w in page["data"]}


async def test_a_receipt_earns_by_every_campaign_and_shows_it(tenant: Tenant) -> None:
    c = tenant.client
    back = await campaign(c, **PERCENT)
    points = await campaign(c, **POINTS)
    shopper = await make_customer(c)
    receipt = await bought(c, simple_receipt("E-1", quantity="3", unit_price=999), shopper)
    # 2997 eligible: 5% = 149.85 → 149 (floored); 2 whole 10.00s → 20 points
    assert receipt["monetary_wallet"]["contributions"] == [
        {"amount": 149, "campaign_id": back["id"], "campaign_title": "5% back"}
    ]
    assert (receipt["monetary_wallet"]["total"], receipt["monetary_wallet"]["title"]) == (
        149, "ACME Bucks",
    )  # fmt: skip
    assert receipt["points_wallet"]["contributions"] == [
        {"amount": 20, "campaign_id": points["id"], "campaign_title": "10 per 10.00"}
    ]
    assert receipt["total_points_balance"] == 20
    wallets = await wallets_of(c, shopper)
    assert (wallets["credit"]["balance"], wallets["credit"]["currency"]) == (149, "EUR")
    assert wallets["points"]["balance"] == 20
    [earned] = await entries(c, wallets["credit"])
    assert (earned["reason"], earned["receipt_id"], earned["campaign_id"]) == (
        "purchase_earn", receipt["id"], back["id"],
    )  # fmt: skip
    again = await c.get(f"/v1/receipts/{receipt['id']}")
    assert again.json()["monetary_wallet"] == receipt["monetary_wallet"]
    second = await bought(c, simple_receipt("E-2", quantity="1", unit_price=2000), shopper)
    assert second["monetary_wallet"]["total"] == 249  # the balance right after this receipt
    first = (await c.get(f"/v1/receipts/{receipt['id']}")).json()
    assert first["monetary_wallet"]["total"] == 149 and first["total_points_balance"] == 40


async def test_window_branch_category_and_minimum_decide(tenant: Tenant) -> None:
    c = tenant.client
    branch = await make_branch(c, "AMS")
    await campaign(c, **PERCENT, starts_at="2026-11-22T00:00:00Z")  # after the receipt
    await campaign(c, **POINTS, branch_ids=[branch["id"]], min_spend=5000)
    await campaign(c, title="Shoes", kind="percent_back", percent="10", categories=["Shoes"])
    shopper = await make_customer(c)
    lines = [
        {"name": "Boot", "category": "Shoes > Boots", "unit_price": 4000, "total": 4000},
        {"name": "Sock", "category": "Socks", "unit_price": 1000, "total": 1000},
        {"name": "Shoelace", "category": "Shoes", "unit_price": 500, "total": 500},
    ]
    body = with_lines("W-1", lines, issued_at="2026-11-21T10:00:00Z")
    receipt = await bought(c, {**body, "branch": {"code": "AMS"}}, shopper)
    assert [x["amount"] for x in receipt["monetary_wallet"]["contributions"]] == [450]
    assert receipt["points_wallet"]["contributions"][0]["amount"] == 50  # 5500 in AMS
    elsewhere = await bought(c, with_lines("W-2", lines[:1]), shopper)
    assert elsewhere["points_wallet"] is None  # not in the branch, under the minimum anyway
    shown = elsewhere["monetary_wallet"]["contributions"]
    assert [x["amount"] for x in shown] == [200, 400]  # 5% back is live by now, and shoes


async def test_anonymous_earns_nothing_until_claimed(tenant: Tenant) -> None:
    c = tenant.client
    await campaign(c, **PERCENT)
    receipt = await created(await c.post("/v1/receipts", json=simple_receipt("A-1")))
    assert receipt["monetary_wallet"] is None and receipt["total_points_balance"] is None
    shopper = await make_customer(c)
    claimed = await created(
        await c.post(
            f"/v1/receipts/{receipt['id']}/claim", json={"customer": {"id": shopper["id"]}}
        ),
        200,
    )
    assert claimed["monetary_wallet"]["contributions"][0]["amount"] == 150
    again = await c.post(
        f"/v1/receipts/{receipt['id']}/claim", json={"customer": {"id": shopper["id"]}}
    )
    assert again.status_code == 409
    assert (await wallets_of(c, shopper))["credit"]["balance"] == 150


async def test_archived_campaigns_earn_nothing(tenant: Tenant) -> None:
    c = tenant.client
    made = await campaign(c, **PERCENT)
    await c.post(f"/v1/campaigns/{made['id']}/archive")
    shopper = await make_customer(c)
    receipt = await bought(c, simple_receipt("X-1"), shopper)
    assert receipt["monetary_wallet"] is None and await wallets_of(c, shopper) == {}
    assert (await c.delete(f"/v1/campaigns/{made['id']}")).status_code == 204


async def test_partial_returns_claw_back_exactly_what_was_earned(tenant: Tenant) -> None:
    c = tenant.client
    await campaign(c, title="1 per 1.00", kind="points_per_amount", points=1, per_amount=100)
    shopper = await make_customer(c)
    sale = await bought(c, simple_receipt("P-1", quantity="3", unit_price=3333), shopper)
    assert sale["points_wallet"]["total"] == 99  # 9999 → 99 points
    clawed = []
    for n in range(3):  # 99 × 1/3, 2/3, 3/3 floored: 33, 33, 33
        body = with_lines(f"P-R{n}", [return_line("-1", 3333, external_id="P-1")])
        body["lines"][0]["return_of"] = {"line_no": 1, "receipt_external_id": "P-1"}
        back = await created(await c.post("/v1/receipts", json=body))
        clawed.append(back["points_wallet"]["contributions"][0]["amount"])
        replay = await c.post("/v1/receipts", json=body)
        assert replay.status_code == 200
    assert clawed == [-33, -33, -33]
    wallet = (await wallets_of(c, shopper))["points"]
    assert wallet["balance"] == 0
    reasons = [e["reason"] for e in await entries(c, wallet)]
    assert reasons == ["purchase_earn", "refund_clawback", "refund_clawback", "refund_clawback"]


async def test_a_return_that_rounds_to_nothing_still_counts_for_the_next(
    tenant: Tenant,
) -> None:
    """10 % of 2 × 0.05 is 1: the first item back claws 1 × 1/2 → 0, the second 1 × 2/2 − 0."""
    c = tenant.client
    await campaign(c, title="10% back", kind="percent_back", percent="10")
    shopper = await make_customer(c)
    sale = await bought(c, simple_receipt("Z-1", quantity="2", unit_price=5), shopper)
    assert sale["monetary_wallet"]["total"] == 1
    for n in range(2):
        body = with_lines(f"Z-R{n}", [return_line("-1", 5)])
        body["lines"][0]["return_of"] = {"line_no": 1, "receipt_external_id": "Z-1"}
        await created(await c.post("/v1/receipts", json=body))
    wallet = (await wallets_of(c, shopper))["credit"]
    assert wallet["balance"] == 0
    assert [e["amount"] for e in await entries(c, wallet)] == [1, -1]


async def test_uneven_returns_never_claw_more_than_earned(tenant: Tenant) -> None:
    c = tenant.client
    await campaign(c, title="7%", kind="percent_back", percent="7")
    shopper = await make_customer(c)
    lines = [
        {"sku": "A", "name": "A", "quantity": "7", "unit_price": 1000, "total": 7000},
        {"sku": "B", "name": "B", "quantity": "1", "unit_price": 301, "total": 301},
    ]
    sale = await bought(c, with_lines("U-1", lines), shopper)
    earned = sale["monetary_wallet"]["total"]
    assert earned == 511  # 7% of 7301 = 511.07
    total = 0
    for n, (qty, line_no, price) in enumerate([("-2", 1, 1000), ("-5", 1, 1000), ("-1", 2, 301)]):
        ret = return_line(qty, price, line_no, receipt_external_id="U-1")
        back = await created(await c.post("/v1/receipts", json=with_lines(f"U-R{n}", [ret])))
        total += -sum(x["amount"] for x in back["monetary_wallet"]["contributions"])
    assert total == earned
    assert (await wallets_of(c, shopper))["credit"]["balance"] == 0


async def test_a_clawback_after_spending_leaves_a_debt(tenant: Tenant) -> None:
    c = tenant.client
    await campaign(c, **PERCENT)
    shopper = await make_customer(c)
    await bought(c, simple_receipt("D-1", quantity="2", unit_price=1000), shopper)
    wallet = (await wallets_of(c, shopper))["credit"]
    spend = await c.post(f"/v1/wallets/{wallet['id']}/entries", json={"amount": -100,
                         "reason": "manual"}, headers={"Idempotency-Key": "spend"})  # fmt: skip
    assert spend.status_code == 201
    ret = return_line("-2", 1000, receipt_external_id="D-1")
    await created(await c.post("/v1/receipts", json=with_lines("D-R", [ret])))
    assert (await read(c, wallet))["balance"] == -100


async def test_concurrent_replays_of_a_return_claw_back_once(tenant: Tenant) -> None:
    c = tenant.client
    await campaign(c, **PERCENT)
    shopper = await make_customer(c)
    await bought(c, simple_receipt("C-1", quantity="4", unit_price=1000), shopper)
    ret = with_lines("C-R", [return_line("-1", 1000, receipt_external_id="C-1")])
    replays = await asyncio.gather(*(c.post("/v1/receipts", json=ret) for _ in range(8)))
    assert sorted(a.status_code for a in replays) == [200] * 7 + [201]
    others = [with_lines(f"C-R{n}", [return_line("-1", 1000, receipt_external_id="C-1")])
              for n in range(3)]  # fmt: skip
    answers = await asyncio.gather(*(c.post("/v1/receipts", json=b) for b in others))
    assert [a.status_code for a in answers] == [201] * 3
    wallet = (await wallets_of(c, shopper))["credit"]
    assert (await read(c, wallet))["balance"] == 0  # 200 earned, 4 × 50 clawed back
    clawbacks = [e for e in await entries(c, wallet) if e["reason"] == "refund_clawback"]
    assert [e["amount"] for e in clawbacks] == [-50] * 4


async def test_a_batch_earns_each_receipt(tenant: Tenant) -> None:
    c = tenant.client
    await campaign(c, **POINTS)
    one, two = await make_customer(c), await make_customer(c)
    batch = [
        {**simple_receipt(f"B-{n}", quantity="1", unit_price=2500), "customer": {"id": who["id"]}}
        for n, who in enumerate([one, two, one])
    ]
    result = await created(await c.post("/v1/receipts/batch", json={"receipts": batch}), 200)
    totals = [r["receipt"]["points_wallet"]["total"] for r in result["results"]]
    assert totals == [20, 20, 40]


async def test_a_lowered_order_claws_back_the_removed_items_once(tenant: Tenant) -> None:
    c = tenant.client
    await campaign(c, title="10%", kind="percent_back", percent="10")
    shopper = await make_customer(c)
    receipt = await bought(c, online_receipt("O-1", shirts=2), shopper)  # 3800 → 380
    await created(await c.post(f"/v1/receipts/{receipt['id']}/order", json=order_body()))
    update = {"update_type": "update_quantity", "items": [{"line_no": 1, "quantity": 1}],
              "timestamp": "2015-04-07T22:14:12Z", "subtotal": 2300, "tax_total": 200,
              "total": 3000, "update_id": "u1"}  # fmt: skip
    path = f"/v1/receipts/{receipt['id']}/updates"
    await created(await c.post(path, json=update))
    assert (await c.post(path, json=update)).status_code == 200  # a replay
    wallet = (await wallets_of(c, shopper))["credit"]
    assert (await read(c, wallet))["balance"] == 380 - 150  # one shirt's 1500 earned 150
    shown = (await c.get(f"/v1/receipts/{receipt['id']}")).json()["monetary_wallet"]
    assert [x["amount"] for x in shown["contributions"]] == [380, -150]
    cancel = {"update_type": "cancel_item", "items": [{"line_no": 1}], "update_id": "u2",
              "timestamp": "2015-04-08T22:14:12Z", "subtotal": 800, "tax_total": 100,
              "total": 1400}  # fmt: skip
    await created(await c.post(path, json=cancel))
    assert (await read(c, wallet))["balance"] == 80  # the mug's share is all that is left
