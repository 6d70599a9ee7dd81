from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import (
    bearer,
    locs,
    make_customer,
    make_key,
    make_receipt,
    make_session,
    now,
    simple_receipt,
)
from tillroll.kit.db import Database, run
from tillroll.merchants.repository import MerchantRepository


class TestKeys:
    async def test_secret_is_shown_once_and_never_listed(self, tenant: Tenant) -> None:
        response = await tenant.client.post(
            "/v1/keys", json={"name": "till 1", "scopes": ["write"]}
        )
        assert response.status_code == 201, response.text
        key = response.json()
        secret = key["secret"]
        assert secret.startswith("tr_sk_")
        assert len(secret) >= len("tr_sk_") + 22  # ≥ 128 random bits, base64url
        assert key["prefix"] == secret[: len(key["prefix"])]
        assert key["scopes"] == ["write"]
        assert key["revoked_at"] is None
        listing = await tenant.client.get("/v1/keys")
        assert listing.status_code == 200
        assert secret not in listing.text
        assert listing.json()["next_cursor"] is None
        listed = {k["id"]: k for k in listing.json()["data"]}
        assert "secret" not in listed[key["id"]]
        assert listed[key["id"]]["prefix"] == key["prefix"]
        assert len(listed) == 2  # the tenant's admin key and the new one

    async def test_default_scope_is_read(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/v1/keys", json={"name": "reporting"})
        assert response.json()["scopes"] == ["read"]

    async def test_secrets_differ(self, tenant: Tenant) -> None:
        secrets = {(await make_key(tenant.client, "read"))["secret"] for _ in range(5)}
        assert len(secrets) == 5

    async def test_new_key_works_and_its_use_is_recorded(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "read")
        response = await tenant.client.get("/v1/receipts", headers=bearer(key["secret"]))
        assert response.status_code == 200
        listed = {k["id"]: k for k in (await tenant.client.get("/v1/keys")).json()["data"]}
        assert listed[key["id"]]["last_used_at"] is not None

    async def test_keys_are_listed_a_page_at_a_time(self, tenant: Tenant) -> None:
        made = [(await make_key(tenant.client, "read"))["id"] for _ in range(3)]
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 2}
        while True:
            page = (await tenant.client.get("/v1/keys", params=params)).json()
            assert len(page["data"]) <= 2
            seen += [k["id"] for k in page["data"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen[-3:] == made and len(seen) == len(set(seen)) == 4

    async def test_revoked_key_is_401_on_the_next_request(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "write")
        assert (
            await tenant.client.get("/v1/receipts", headers=bearer(key["secret"]))
        ).status_code == 200
        revoked = await tenant.client.delete(f"/v1/keys/{key['id']}")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None
        assert "secret" not in revoked.json()
        refused = await tenant.client.get("/v1/receipts", headers=bearer(key["secret"]))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["code"] == "unauthorized"
        # the admin key still works, and revoking again keeps the first time
        again = await tenant.client.delete(f"/v1/keys/{key['id']}")
        assert again.status_code == 200
        assert again.json()["revoked_at"] == revoked.json()["revoked_at"]

    async def test_an_admin_key_may_revoke_itself(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "admin")
        response = await tenant.client.delete(
            f"/v1/keys/{key['id']}", headers=bearer(key["secret"])
        )
        assert response.status_code == 200
        after = await tenant.client.get("/v1/keys", headers=bearer(key["secret"]))
        assert after.status_code == 401

    async def test_unknown_key_is_404(self, tenant: Tenant) -> None:
        response = await tenant.client.delete(f"/v1/keys/{uuid.uuid4()}")
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("body", "loc"),
        [
            ({"name": "x", "scopes": ["superuser"]}, "scopes[0]"),
            ({"name": "x", "scopes": []}, "scopes"),
            ({"name": ""}, "name"),
            ({"scopes": ["read"]}, "name"),
            ({"name": "x", "secret": "tr_sk_mine"}, "secret"),
        ],
    )
    async def test_bad_key_request_is_422(
        self, tenant: Tenant, body: dict[str, Any], loc: str
    ) -> None:
        response = await tenant.client.post("/v1/keys", json=body)
        assert response.status_code == 422
        assert locs(response) == [loc]

    @pytest.mark.parametrize("scope", ["read", "write"])
    async def test_only_admin_manages_keys(self, tenant: Tenant, scope: str) -> None:
        key = await make_key(tenant.client, scope)
        headers = bearer(key["secret"])
        assert (await tenant.client.get("/v1/keys", headers=headers)).status_code == 403
        created = await tenant.client.post("/v1/keys", json={"name": "x"}, headers=headers)
        assert created.status_code == 403
        revoke = await tenant.client.delete(f"/v1/keys/{key['id']}", headers=headers)
        assert revoke.status_code == 403


class TestScopes:
    async def test_read_key_may_not_post_receipts(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "read")
        response = await tenant.client.post(
            "/v1/receipts", json=simple_receipt("R-1"), headers=bearer(key["secret"])
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert (await tenant.client.get("/v1/receipts")).json()["data"] == []

    async def test_write_key_may_post_receipts(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "write")
        response = await tenant.client.post(
            "/v1/receipts", json=simple_receipt("R-1"), headers=bearer(key["secret"])
        )
        assert response.status_code == 201


class TestUnauthenticated:
    @pytest.mark.parametrize(
        "authorization",
        [
            None,
            "",
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "tr_sk_no_scheme",
            "Bearer garbage",
            "Bearer tr_sk_",
            "Bearer tr_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "Bearer tr_ss_",
            "Bearer tr_ss_garbage",
            "Bearer tr_ss_!!!.???",
            "Bearer tr_ss_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAA",
        ],
    )
    async def test_missing_or_garbage_credentials_are_401(
        self, client: httpx.AsyncClient, authorization: str | None
    ) -> None:
        headers = {} if authorization is None else {"Authorization": authorization}
        response = await client.get("/v1/receipts", headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"

    async def test_non_ascii_credentials_are_401(self, client: httpx.AsyncClient) -> None:
        for raw in (b"Bearer tr_ss_abc.\xe9t\xe9", b"Bearer tr_sk_\xe9", b"Bearer \xff"):
            response = await client.get("/v1/receipts", headers=[(b"Authorization", raw)])
            assert response.status_code == 401, (raw, response.text)

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("POST", "/v1/receipts", {"external_id": 5}),
            ("POST", "/v1/branches", {}),
            ("GET", "/v1/receipts/0190a1b2-0000-7000-8000-000000000000", None),
            ("GET", "/v1/receipts?limit=9999", None),
            ("PATCH", "/v1/customers/0190a1b2-0000-7000-8000-000000000000", {"x": 1}),
        ],
    )
    async def test_401_comes_before_404_and_422(
        self, client: httpx.AsyncClient, method: str, path: str, body: Any
    ) -> None:
        response = await client.request(method, path, json=body)
        assert response.status_code == 401, response.text

    async def test_403_comes_before_422(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "read")
        response = await tenant.client.post(
            "/v1/receipts", json={"external_id": 5}, headers=bearer(key["secret"])
        )
        assert response.status_code == 403


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _payload(token: str) -> tuple[bytes, str]:
    payload, _, signature = token.removeprefix("tr_ss_").partition(".")
    return _unb64(payload), signature


async def _sign(db: Database, merchant_id: uuid.UUID, raw: bytes) -> str:
    """A token signed with the merchant's real secret (to test expiry without waiting)."""

    async def secret(conn: Any) -> str | None:
        return await MerchantRepository.of(conn).session_secret(merchant_id)

    key = await run(db, secret, write=False)
    assert key is not None
    payload = _b64(raw)
    signature = _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())
    return f"tr_ss_{payload}.{signature}"


class Shop:
    """Two customers with receipts, and one anonymous receipt."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.receipts: dict[str, dict[str, Any]] = {}

    async def fill(self) -> Shop:
        client = self.tenant.client
        self.anna = await make_customer(client, member_number="ANNA")
        self.ben = await make_customer(client, member_number="BEN")
        for name, customer in (("anna-1", "ANNA"), ("anna-2", "ANNA"), ("ben-1", "BEN")):
            body = simple_receipt(name, customer={"member_number": customer})
            self.receipts[name] = await make_receipt(client, body)
        self.receipts["anonymous"] = await make_receipt(client, simple_receipt("anonymous"))
        return self


class TestShopperSessions:
    async def test_minted_token(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        response = await tenant.client.post(
            f"/v1/customers/{customer['id']}/sessions", json={"ttl_seconds": 900}
        )
        assert response.status_code == 201, response.text
        session = response.json()
        assert session["token"].startswith("tr_ss_")
        assert session["customer_id"] == customer["id"]
        expires = datetime.fromisoformat(session["expires_at"])
        assert timedelta(seconds=890) < expires - now() <= timedelta(seconds=900)

    async def test_default_lifetime_is_an_hour(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        session = await make_session(tenant.client, customer["id"])
        expires = datetime.fromisoformat(session["expires_at"])
        assert timedelta(minutes=59) < expires - now() <= timedelta(hours=1)

    @pytest.mark.parametrize("ttl", [59, 86401, "long"])
    async def test_bad_lifetime_is_422(self, tenant: Tenant, ttl: Any) -> None:
        customer = await make_customer(tenant.client)
        response = await tenant.client.post(
            f"/v1/customers/{customer['id']}/sessions", json={"ttl_seconds": ttl}
        )
        assert response.status_code == 422
        assert locs(response) == ["ttl_seconds"]

    async def test_unknown_customer_is_404(self, tenant: Tenant) -> None:
        response = await tenant.client.post(f"/v1/customers/{uuid.uuid4()}/sessions", json={})
        assert response.status_code == 404

    async def test_read_key_may_not_mint(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        key = await make_key(tenant.client, "read")
        response = await tenant.client.post(
            f"/v1/customers/{customer['id']}/sessions", json={}, headers=bearer(key["secret"])
        )
        assert response.status_code == 403

    async def test_lists_only_that_customers_receipts(self, tenant: Tenant) -> None:
        shop = await Shop(tenant).fill()
        token = (await make_session(tenant.client, shop.anna["id"]))["token"]
        as_anna = bearer(token)
        listing = await tenant.client.get("/v1/receipts", headers=as_anna)
        assert listing.status_code == 200, listing.text
        assert {r["external_id"] for r in listing.json()["data"]} == {"anna-1", "anna-2"}
        # asking for someone else's receipts shows nothing
        bens = await tenant.client.get(
            "/v1/receipts", params={"customer_id": shop.ben["id"]}, headers=as_anna
        )
        assert bens.json()["data"] == []
        own = await tenant.client.get(
            "/v1/receipts", params={"customer_id": shop.anna["id"]}, headers=as_anna
        )
        assert len(own.json()["data"]) == 2
        by_customer = await tenant.client.get(
            f"/v1/customers/{shop.anna['id']}/receipts", headers=as_anna
        )
        assert by_customer.status_code == 200
        assert len(by_customer.json()["data"]) == 2
        paged = await tenant.client.get("/v1/receipts", params={"limit": 1}, headers=as_anna)
        cursor = paged.json()["next_cursor"]
        rest = await tenant.client.get(
            "/v1/receipts", params={"limit": 1, "cursor": cursor}, headers=as_anna
        )
        assert rest.json()["data"][0]["customer"]["id"] == shop.anna["id"]
        assert rest.json()["next_cursor"] is None

    async def test_reads_own_receipt_but_others_are_404(self, tenant: Tenant) -> None:
        shop = await Shop(tenant).fill()
        as_anna = bearer((await make_session(tenant.client, shop.anna["id"]))["token"])
        mine = await tenant.client.get(
            f"/v1/receipts/{shop.receipts['anna-1']['id']}", headers=as_anna
        )
        assert mine.status_code == 200
        assert mine.json() == shop.receipts["anna-1"]
        for name in ("ben-1", "anonymous"):
            response = await tenant.client.get(
                f"/v1/receipts/{shop.receipts[name]['id']}", headers=as_anna
            )
            assert response.status_code == 404, name
        bens = await tenant.client.get(f"/v1/customers/{shop.ben['id']}/receipts", headers=as_anna)
        assert bens.status_code == 404

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/v1/receipts"),
            ("POST", "/v1/receipts/batch"),
            ("POST", "/v1/customers"),
            ("POST", "/v1/branches"),
            ("POST", "/v1/keys"),
            ("POST", "/v1/customers/{anna}/sessions"),
            ("POST", "/v1/receipts/{anonymous}/claim"),
            ("PATCH", "/v1/customers/{anna}"),
            ("PATCH", "/v1/merchant"),
            ("GET", "/v1/customers"),
            ("GET", "/v1/customers/{anna}"),
            ("GET", "/v1/branches"),
            ("GET", "/v1/keys"),
        ],
    )
    async def test_everything_else_is_403(self, tenant: Tenant, method: str, path: str) -> None:
        shop = await Shop(tenant).fill()
        as_anna = bearer((await make_session(tenant.client, shop.anna["id"]))["token"])
        url = path.format(anna=shop.anna["id"], anonymous=shop.receipts["anonymous"]["id"])
        body = (
            {"customer": {"member_number": "ANNA"}}
            if url.endswith("/claim")
            else {"receipts": [simple_receipt("S-1")]}
            if url.endswith("/batch")
            else simple_receipt("S-1")
            if url == "/v1/receipts"
            else {}
        )
        response = await tenant.client.request(
            method, url, json=body if method != "GET" else None, headers=as_anna
        )
        assert response.status_code == 403, response.text
        assert len((await tenant.client.get("/v1/receipts")).json()["data"]) == 4
        anonymous = await tenant.client.get(f"/v1/receipts/{shop.receipts['anonymous']['id']}")
        assert anonymous.json()["customer"] is None

    async def test_tampered_tokens_are_401(self, tenant: Tenant) -> None:
        shop = await Shop(tenant).fill()
        anna = (await make_session(tenant.client, shop.anna["id"]))["token"]
        ben = (await make_session(tenant.client, shop.ben["id"]))["token"]
        anna_payload, anna_signature = anna.removeprefix("tr_ss_").split(".")
        ben_payload, _ = ben.removeprefix("tr_ss_").split(".")
        flipped = anna[:-1] + ("A" if anna[-1] != "A" else "B")
        raw, _ = _payload(anna)
        later = raw[:32] + (int.from_bytes(raw[32:], "big") + 86400).to_bytes(8, "big")
        tampered = [
            flipped,  # signature changed
            f"tr_ss_{ben_payload}.{anna_signature}",  # another customer under anna's signature
            f"tr_ss_{_b64(later)}.{anna_signature}",  # extended expiry
            f"tr_ss_{anna_payload}.",  # no signature
            f"tr_ss_{anna_payload}",
            f"tr_ss_{anna_payload}x.{anna_signature}",
            anna + "A",
        ]
        for token in tampered:
            response = await tenant.client.get("/v1/receipts", headers=bearer(token))
            assert response.status_code == 401, token
        assert (await tenant.client.get("/v1/receipts", headers=bearer(anna))).status_code == 200

    async def test_non_ascii_signature_is_401(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        token = (await make_session(tenant.client, customer["id"]))["token"]
        payload = token.partition(".")[0]
        for signature in (b"\xe9t\xe9", b"\xff" * 43):
            raw = f"Bearer {payload}.".encode() + signature
            response = await tenant.client.get("/v1/receipts", headers=[(b"Authorization", raw)])
            assert response.status_code == 401, response.text

    async def test_expired_token_is_401(self, tenant: Tenant, db: Database) -> None:
        customer = await make_customer(tenant.client)
        ids = tenant.id.bytes + uuid.UUID(customer["id"]).bytes
        past = int(now().timestamp()) - 1
        expired = await _sign(db, tenant.id, ids + past.to_bytes(8, "big"))
        response = await tenant.client.get("/v1/receipts", headers=bearer(expired))
        assert response.status_code == 401
        future = int(now().timestamp()) + 600
        valid = await _sign(db, tenant.id, ids + future.to_bytes(8, "big"))
        assert (await tenant.client.get("/v1/receipts", headers=bearer(valid))).status_code == 200

    async def test_token_of_one_merchant_cannot_read_anothers_data(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        mine = await Shop(tenant).fill()
        theirs = await Shop(other).fill()
        token = (await make_session(tenant.client, mine.anna["id"]))["token"]
        headers = bearer(token)
        listing = await other.client.get("/v1/receipts", headers=headers)
        assert {r["id"] for r in listing.json()["data"]} == {
            mine.receipts["anna-1"]["id"],
            mine.receipts["anna-2"]["id"],
        }
        for receipt in theirs.receipts.values():
            response = await other.client.get(f"/v1/receipts/{receipt['id']}", headers=headers)
            assert response.status_code == 404
        response = await other.client.get(
            f"/v1/customers/{theirs.anna['id']}/receipts", headers=headers
        )
        assert response.status_code == 404
        # the merchant named inside the token is covered by the signature
        raw, signature = _payload(token)
        forged = f"tr_ss_{_b64(other.id.bytes + raw[16:])}.{signature}"
        assert (await other.client.get("/v1/receipts", headers=bearer(forged))).status_code == 401
        # and one merchant's customer id under another merchant's secret is refused too
        swapped = other.id.bytes + uuid.UUID(theirs.anna["id"]).bytes + raw[32:]
        forged = f"tr_ss_{_b64(swapped)}.{signature}"
        assert (await other.client.get("/v1/receipts", headers=bearer(forged))).status_code == 401


async def test_session_without_a_body_uses_the_defaults(tenant: Tenant) -> None:
    customer = await make_customer(tenant.client)
    response = await tenant.client.post(f"/v1/customers/{customer['id']}/sessions")
    assert response.status_code == 201, response.text
    assert response.json()["token"].startswith("tr_ss_")
