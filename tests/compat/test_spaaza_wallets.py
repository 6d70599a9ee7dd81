"""The wallet fields of Spaaza's receipt object (seed 001) and claim-basket earning."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.compat import spaaza_examples as ex
from tests.compat.test_spaaza import (
    BASE,
    NEWER,
    assert_shape,
    chain_headers,
    error_of,
    shop,
    spaaza_get,
)
from tests.conftest import Tenant
from tests.factories import (
    created,
    make_customer,
    receipt,
    return_line,
    simple_receipt,
    with_lines,
)

EARN_BIG = {"title": "Earn big on every purchase", "kind": "percent_back", "percent": "10",
            "wallet_title": "ACME Bucks"}  # fmt: skip


async def test_the_receipt_object_shows_the_wallets_as_the_seed(tenant: Tenant) -> None:
    _, shopper = await shop(tenant)
    await created(await tenant.client.post("/v1/campaigns", json=EARN_BIG))
    voucher = {"amount": 500, "kind": "voucher", "code": "REDEEM+1234",
               "description": "Boardriders Bucks"}  # fmt: skip
    body = receipt("S-1", branch={"code": "0192"}, customer={"id": shopper["id"]})
    body["discounts"] = [voucher]
    body["discount_total"] = 500
    body["total"] -= 500
    body["payments"][0]["amount"] -= 500
    stored = await created(await tenant.client.post("/v1/receipts", json=body))
    got = (await spaaza_get(tenant, f"/receipts/{stored['number']}")).json()
    for example in (ex.RECEIPT_OBJECT, ex.GET_RECEIPT):
        assert_shape(got, example, extra=NEWER, nullable={"$.loyalty_status"})
    earned = stored["monetary_wallet"]["contributions"][0]["amount"]
    assert got["monetary_wallet"] == {
        "contributions": [{"amount": float(Decimal(earned) / 100),
                           "campaign_title": "Earn big on every purchase"}],
        "total": float(Decimal(earned) / 100), "title": "ACME Bucks",
    }  # fmt: skip
    assert got["points_wallet"] == {"contributions": [], "total": 0, "title": ""}
    assert got["basket_vouchers"] == [
        {"campaign_title": "Boardriders Bucks", "voucher_text": "REDEEM+1234", "amount": 5,
         "type": "wallet"}
    ]  # fmt: skip
    assert got["shopper"]["total_points_balance"] == 0


async def test_claim_basket_earns_what_the_basket_would_have(tenant: Tenant) -> None:
    await created(await tenant.client.post("/v1/campaigns", json=EARN_BIG))
    await created(
        await tenant.client.post("/v1/campaigns", json={
            "title": "Points", "kind": "points_per_amount", "points": 1, "per_amount": 100})
    )  # fmt: skip
    shopper = await make_customer(tenant.client, member_number="777")
    stored = await created(await tenant.client.post("/v1/receipts", json=simple_receipt("K-1")))
    path = BASE + "/auth/claim-basket"
    headers = chain_headers(tenant)
    missing = await tenant.client.post(path, data={"basket_id": stored["number"]}, headers=headers)
    assert "user_id | member_number" in error_of(missing, 400, "missing_parameter")
    form = {"retailer_basket_code": "K-1", "member_number": "777"}
    answer = await tenant.client.post(path, data=form, headers=headers)
    assert answer.status_code == 200, answer.text
    got: Any = answer.json()["results"]["receipt"]
    assert got["monetary_wallet"]["contributions"][0]["amount"] == 3  # 10% of 30.00
    assert got["points_wallet"]["total"] == 30 and got["shopper"]["total_points_balance"] == 30
    again = await tenant.client.post(path, data=form, headers=headers)
    error_of(again, 409, "conflict")
    unknown = await tenant.client.post(
        path, json={"retailer_basket_code": "NOPE", "member_number": "777"}, headers=headers
    )
    error_of(unknown, 404, "basket_not_found")
    page = await created(await tenant.client.get(f"/v1/customers/{shopper['id']}/wallets"), 200)
    assert sorted(w["balance"] for w in page["data"]) == [30, 300]


async def test_a_return_shows_the_wallet_voucher_it_restores(tenant: Tenant) -> None:
    _, shopper = await shop(tenant)
    c = tenant.client
    opened = {"kind": "credit", "title": "ACME Bucks"}
    wallet = await created(await c.post(f"/v1/customers/{shopper['id']}/wallets", json=opened))
    credited = await c.post(f"/v1/wallets/{wallet['id']}/entries", json={"amount": 1000},
                            headers={"Idempotency-Key": "spaaza-restore-1"})  # fmt: skip
    assert credited.status_code == 201, credited.text
    made = await created(await c.post(f"/v1/customers/{shopper['id']}/redemptions",
                                      json={"wallet": wallet["id"], "amount": 300}))  # fmt: skip
    body = simple_receipt("SR-1", customer={"id": shopper["id"]})  # 3 × 10.00
    voucher = {"amount": 300, "kind": "voucher", "code": made["code"], "description": "Bucks"}
    body.update(discounts=[voucher], discount_total=300, total=body["total"] - 300)
    await created(await c.post("/v1/receipts", json=body))
    back = with_lines("SR-1-R", [return_line("-1", receipt_external_id="SR-1")],
                      customer={"id": shopper["id"]})  # fmt: skip
    stored = await created(await c.post("/v1/receipts", json=back))
    got = (await spaaza_get(tenant, f"/receipts/{stored['number']}")).json()
    assert got["monetary_wallet"] == {
        "contributions": [{"amount": 1.0, "campaign_title": "Wallet voucher restored"}],
        "total": 8.0, "title": "ACME Bucks",
    }  # fmt: skip
    assert got["points_wallet"] == {"contributions": [], "total": 0, "title": ""}
    listed = (await spaaza_get(tenant, "/get-receipts", chain_id=tenant.number)).json()
    by_number = {r["id"]: r for r in listed["results"]["receipts"]}
    assert by_number[stored["number"]]["monetary_wallet"] == got["monetary_wallet"]
