"""The Inveterate facade: legacy credits API and Public API 2.0, over the native wallets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import make_customer
from tests.wallets.helpers import T0, frozen

BASE = "/compat/inveterate"


@pytest.fixture
async def api(tenant: Tenant, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Inveterate's own header carries the Tillroll key (no Authorization header)."""
    transport = client._transport
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tillroll.test",
        headers={"X-Inveterate-Api-Key": tenant.key},
    ) as c:  # fmt: skip
        yield c


async def test_add_and_list_credits_in_major_units(tenant: Tenant, api: httpx.AsyncClient) -> None:
    await make_customer(tenant.client, external_id="1234567890")
    with frozen():
        added = await api.post(
            f"{BASE}/customers/credits", params={"customerId": "1234567890", "credit": "5"}
        )
        assert added.status_code == 200, added.text
        removed = await api.post(f"{BASE}/customers/credits?customerId=1234567890&credit=-1.25")
        listed = await api.get(f"{BASE}/customers/credits", params={"customerId": "1234567890"})
    assert removed.json() == {"amount": -1.25, "createdAt": "2026-03-02T12:00:00.000Z",
                              "newBalance": 3.75, "reason": "MANUAL"}  # fmt: skip
    assert listed.status_code == 200
    assert listed.json() == {
        "credits": [
            {"amount": 5, "createdAt": "2026-03-02T12:00:00.000Z", "newBalance": 5,
             "reason": "MANUAL"},
            {"amount": -1.25, "createdAt": "2026-03-02T12:00:00.000Z", "newBalance": 3.75,
             "reason": "MANUAL"},
        ],
        "redemption": None,
    }  # fmt: skip
    native = await tenant.client.get(f"/v1/customers/{(await _id(tenant, '1234567890'))}/wallets")
    assert native.json()["data"][0]["balance"] == 375  # the same ledger, in minor units


async def _id(tenant: Tenant, external_id: str) -> str:
    page = (await tenant.client.get("/v1/customers?limit=500")).json()["data"]
    return next(c["id"] for c in page if c["external_id"] == external_id)  # type: ignore[no-any-return]


async def test_a_wrong_customer_is_a_clear_404_and_bad_input_a_400(
    tenant: Tenant, api: httpx.AsyncClient
) -> None:
    await make_customer(tenant.client, external_id="C-1")
    missing = await api.post(f"{BASE}/customers/credits?customerId=nobody&credit=5")
    assert missing.status_code == 404 and "nobody" in missing.json()["message"]
    for query in ["customerId=C-1", "customerId=C-1&credit=5.001", "customerId=C-1&credit=abc",
                  "customerId=C-1&credit=0", "credit=5"]:  # fmt: skip
        response = await api.post(f"{BASE}/customers/credits?{query}")
        assert response.status_code == 400, (query, response.text)
        assert response.json()["message"], query
    overdrawn = await api.post(f"{BASE}/customers/credits?customerId=C-1&credit=-1")
    assert overdrawn.status_code == 400 and "available" in overdrawn.json()["message"]
    listed = await api.get(f"{BASE}/customers/credits", params={"customerId": "C-1"})
    assert listed.json() == {"credits": [], "redemption": None}


async def test_a_redemption_code_is_shown_with_the_ledger(
    tenant: Tenant, api: httpx.AsyncClient
) -> None:
    await make_customer(tenant.client, external_id="R-1")
    await api.post(f"{BASE}/customers/credits?customerId=R-1&credit=20")
    incomplete = await api.post(f"{BASE}/redemption-discount-code", json={"customerId": "R-1"})
    assert incomplete.status_code == 400 and "amount" in incomplete.json()["message"]
    made = await api.post(
        f"{BASE}/redemption-discount-code", json={"customerId": "R-1", "amount": 5}
    )
    assert made.status_code == 200, made.text
    again = await api.post(
        f"{BASE}/redemption-discount-code", json={"customerId": "R-1", "amount": 2.5}
    )
    assert again.json()["value"] == 7.5 and re.fullmatch(r"REDEEM\+\d{20}", again.json()["code"])
    listed = (await api.get(f"{BASE}/customers/credits?customerId=R-1")).json()
    assert listed["redemption"] == again.json()
    assert [c["reason"] for c in listed["credits"]] == [
        "MANUAL", "REDEMPTION", "REDEMPTION_CANCEL", "REDEMPTION"
    ]  # fmt: skip
    assert listed["credits"][-1]["newBalance"] == 12.5


async def test_expired_credit_is_listed_with_its_expiry_entry(
    tenant: Tenant, api: httpx.AsyncClient
) -> None:
    customer = await make_customer(tenant.client, external_id="E-1")
    with frozen() as hands:
        wallet = (await tenant.client.post(
            f"/v1/customers/{customer['id']}/wallets", json={"kind": "credit", "lifetime_days": 7}
        )).json()  # fmt: skip
        await api.post(f"{BASE}/customers/credits?customerId=E-1&credit=10")
        hands.now = T0 + timedelta(days=7)
        await api.post(f"{BASE}/customers/credits?customerId=E-1&credit=1")
        listed = (await api.get(f"{BASE}/customers/credits?customerId=E-1")).json()
    assert [(c["amount"], c["reason"], c["newBalance"]) for c in listed["credits"]] == [
        (10, "MANUAL", 10), (-10, "EXPIRY", 0), (1, "MANUAL", 1)
    ]  # fmt: skip
    assert wallet["lifetime_days"] == 7


async def test_v2_pages_with_last_credit_entry_and_creates_in_its_envelope(
    tenant: Tenant, api: httpx.AsyncClient
) -> None:
    await make_customer(tenant.client, external_id="M-1")
    for n in range(5):
        created = await api.post(
            f"{BASE}/v2.0/admin/members/M-1/credits", json={"amount": n + 1, "note": f"n{n}"}
        )
        assert created.status_code == 201, created.text
        assert created.json()["message"] and created.json()["data"]["amount"] == n + 1
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"lastCreditEntry": cursor} if cursor else {})}
        page = (await api.get(f"{BASE}/v2.0/admin/members/M-1/credits", params=params)).json()
        seen += [c["amount"] for c in page["data"]["credits"]]
        cursor = page["data"]["lastCreditEntry"]
        if cursor is None:
            break
    assert seen == [1, 2, 3, 4, 5]
    bad = await api.post(f"{BASE}/v2.0/admin/members/M-1/credits", json={"note": "no amount"})
    assert bad.status_code == 400 and set(bad.json()) == {"message", "data"}
    code = await api.post(
        f"{BASE}/v2.0/storefront/members/M-1/credits/redemption", json={"amount": 4}
    )
    assert code.status_code == 201 and code.json()["data"]["value"] == 4
    assert (await api.get(f"{BASE}/v2.0/admin/members/nobody/credits")).status_code == 404


async def test_the_key_header_is_required_and_scoped_to_its_merchant(
    tenant: Tenant, other: Tenant, client: httpx.AsyncClient
) -> None:
    await make_customer(tenant.client, external_id="T-1")
    none = await client.get(f"{BASE}/customers/credits?customerId=T-1")
    assert none.status_code == 401 and set(none.json()) == {"message", "data"}
    theirs = await client.get(
        f"{BASE}/customers/credits?customerId=T-1", headers={"X-Inveterate-Api-Key": other.key}
    )
    assert theirs.status_code == 404
