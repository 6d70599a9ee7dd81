"""Private value receipts opened by embed JWTs (RFC 8725 checks), and the embeddable view.
Tokens are minted here with `hmac`, independently of the code under test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.values.embed_tokens import claims, mint, part
from tests.values.helpers import PERIOD, seed

ORIGIN = "http://127.0.0.1:8765"
EMBED = {"issuer": "acme-app", "audience": "acme-web", "allowed_origins": [ORIGIN]}


@pytest.fixture
async def setup(tenant: Tenant) -> tuple[dict[str, Any], str]:
    await seed(tenant.client)
    body = {"external_customer_id": "cust-1", **PERIOD}
    receipt = (await tenant.client.post("/v1/value-receipts", json=body)).json()
    settings = (await tenant.client.post("/v1/value-receipt-embedding", json=EMBED)).json()
    assert settings["secret"].startswith("vrk_")
    return receipt, settings["secret"]


async def opens(client: httpx.AsyncClient, receipt: dict[str, Any], jwt: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {jwt}"}
    return await client.get(receipt["share_url"] + "/data", headers=headers)


async def test_resource_and_customer_scoped_tokens_open(
    setup: tuple[dict[str, Any], str], client: httpx.AsyncClient
) -> None:
    receipt, secret = setup
    by_id = await opens(client, receipt, mint(secret, claims(receipt)))
    assert by_id.status_code == 200 and by_id.json()["id"] == receipt["id"]
    by_token = claims(receipt, resourceId=receipt["share_token"], sub=receipt["customer"]["id"])
    assert (await opens(client, receipt, mint(secret, by_token))).status_code == 200
    customer_wide = claims(receipt, resourceId=None)
    assert (await opens(client, receipt, mint(secret, customer_wide))).status_code == 200
    page = await client.get(receipt["share_url"], params={"token": mint(secret, claims(receipt))})
    assert page.status_code == 200 and "Total delivered value" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"


def _none_token(receipt: dict[str, Any], secret: str) -> str:
    del secret
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(receipt))}."


REFUSED: dict[str, Callable[[dict[str, Any], str], str]] = {
    "alg none": _none_token,
    "alg HS512": lambda r, s: mint(s, claims(r), {"alg": "HS512", "typ": "JWT"}),
    "wrong key": lambda r, s: mint(s + "x", claims(r)),
    "expired": lambda r, s: mint(s, claims(r, exp=int(time.time()) - 120)),
    "no exp": lambda r, s: mint(s, {k: v for k, v in claims(r).items() if k != "exp"}),
    "wrong audience": lambda r, s: mint(s, claims(r, aud="someone-else")),
    "wrong issuer": lambda r, s: mint(s, claims(r, iss="paid")),
    "other resource": lambda r, s: mint(s, claims(r, resource="custom-view")),
    "other receipt": lambda r, s: mint(
        s, claims(r, resourceId="0190a000-0000-7000-8000-0000000000aa")
    ),
    "other customer": lambda r, s: mint(s, claims(r, sub="cust-2")),
    "future iat": lambda r, s: mint(s, claims(r, iat=int(time.time()) + 3600)),
    "garbage": lambda r, s: "not.a.jwt",
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_refused_tokens(
    case: str, setup: tuple[dict[str, Any], str], client: httpx.AsyncClient
) -> None:
    receipt, secret = setup
    response = await opens(client, receipt, REFUSED[case](receipt, secret))
    assert response.status_code == 401, response.text
    assert response.json()["expired"] is (case == "expired")


async def test_another_merchants_token_is_refused(
    setup: tuple[dict[str, Any], str], other: Tenant, client: httpx.AsyncClient
) -> None:
    receipt, _ = setup
    theirs = (await other.client.post("/v1/value-receipt-embedding", json=EMBED)).json()["secret"]
    assert (await opens(client, receipt, mint(theirs, claims(receipt)))).status_code == 401


async def test_the_secret_is_shown_once_and_rotates(
    setup: tuple[dict[str, Any], str], tenant: Tenant, client: httpx.AsyncClient
) -> None:
    receipt, secret = setup
    assert (await tenant.client.get("/v1/value-receipt-embedding")).json()["secret"] is None
    kept = (await tenant.client.post("/v1/value-receipt-embedding", json=EMBED)).json()
    assert kept["secret"] is None
    assert (await opens(client, receipt, mint(secret, claims(receipt)))).status_code == 200
    rotated = await tenant.client.post(
        "/v1/value-receipt-embedding", json={**EMBED, "rotate_secret": True}
    )
    new = rotated.json()["secret"]
    assert new and new != secret
    assert (await opens(client, receipt, mint(secret, claims(receipt)))).status_code == 401
    assert (await opens(client, receipt, mint(new, claims(receipt)))).status_code == 200


async def test_bad_settings_are_422(tenant: Tenant) -> None:
    body = {**EMBED, "allowed_origins": ["javascript:alert(1)"], "login_url": "ftp://x"}
    response = await tenant.client.post("/v1/value-receipt-embedding", json=body)
    assert response.status_code == 422
    assert {e["loc"] for e in response.json()["errors"]} == {"allowed_origins[0]", "login_url"}
    assert (await tenant.client.get("/v1/value-receipt-embedding")).status_code == 404


async def test_private_page_redirects_to_the_login_url(
    setup: tuple[dict[str, Any], str], tenant: Tenant, client: httpx.AsyncClient
) -> None:
    receipt, _ = setup
    body = {**EMBED, "login_url": "https://acme.example/login"}
    await tenant.client.post("/v1/value-receipt-embedding", json=body)
    page = await client.get(receipt["share_url"])
    assert page.status_code == 302
    assert page.headers["location"].startswith("https://acme.example/login?redirect=http")


async def test_the_embed_page(setup: tuple[dict[str, Any], str], client: httpx.AsyncClient) -> None:
    receipt, _ = setup
    embed = receipt["share_url"].replace("/p/", "/embed/")
    refused = await client.get(embed, params={"parent_origin": "http://evil.example"})
    assert refused.status_code == 400
    page = await client.get(embed, params={"parent_origin": ORIGIN})
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert f"frame-ancestors {ORIGIN}" in policy and "script-src 'nonce-" in policy
    assert "paid-embed:ready" in page.text and '"parentOrigin":"http://127.0.0.1:8765"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
