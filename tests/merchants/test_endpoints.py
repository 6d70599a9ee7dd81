from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import bearer, locs, make_customer, make_key

SETTINGS: dict[str, Any] = {
    "default_currency": "USD",
    "timezone": "America/New_York",
    "logo_url": "https://example.com/logo.png",
    "website_url": "https://example.com",
    "email": "hello@example.com",
    "phone": "+1 212 555 0100",
    "brand_color": "#1A2B3C",
    "background_color": "#FFFFFF",
    "email_subject": "Your receipt",
}


class TestGet:
    async def test_own_merchant_with_number_and_settings(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        response = await tenant.client.get("/v1/merchant")
        assert response.status_code == 200, response.text
        merchant = response.json()
        assert merchant["id"] == str(tenant.id)
        assert merchant["number"] == tenant.number
        assert merchant["name"] == "Tenant A"
        assert merchant["settings"]["default_currency"] == "EUR"
        assert merchant["settings"]["timezone"] == "UTC"
        theirs = (await other.client.get("/v1/merchant")).json()
        assert theirs["id"] == str(other.id)
        assert theirs["number"] == other.number != tenant.number

    async def test_read_key_may_read(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "read")
        response = await tenant.client.get("/v1/merchant", headers=bearer(key["secret"]))
        assert response.status_code == 200
        assert response.json()["id"] == str(tenant.id)

    async def test_shopper_session_may_not_read(self, tenant: Tenant) -> None:
        customer = await make_customer(tenant.client)
        session = (
            await tenant.client.post(f"/v1/customers/{customer['id']}/sessions", json={})
        ).json()
        response = await tenant.client.get("/v1/merchant", headers=bearer(session["token"]))
        assert response.status_code == 403


class TestUpdate:
    async def test_admin_changes_name_and_settings(self, tenant: Tenant) -> None:
        response = await tenant.client.patch(
            "/v1/merchant", json={"name": "Kitten Shop", "settings": SETTINGS}
        )
        assert response.status_code == 200, response.text
        merchant = response.json()
        assert merchant["name"] == "Kitten Shop"
        assert merchant["settings"] == SETTINGS
        assert (await tenant.client.get("/v1/merchant")).json() == merchant

    async def test_name_alone_keeps_settings(self, tenant: Tenant) -> None:
        await tenant.client.patch("/v1/merchant", json={"settings": SETTINGS})
        response = await tenant.client.patch("/v1/merchant", json={"name": "Renamed"})
        assert response.json()["settings"] == SETTINGS
        assert response.json()["name"] == "Renamed"

    async def test_partial_settings_keep_the_others(self, tenant: Tenant) -> None:
        await tenant.client.patch("/v1/merchant", json={"settings": SETTINGS})
        response = await tenant.client.patch(
            "/v1/merchant", json={"settings": {"email_subject": "Your receipt"}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["settings"] == {**SETTINGS, "email_subject": "Your receipt"}

    @pytest.mark.parametrize(
        ("change", "loc"),
        [
            ({"default_currency": "XXQ"}, "settings.default_currency"),
            ({"default_currency": "eur"}, "settings.default_currency"),
            ({"default_currency": "EURO"}, "settings.default_currency"),
            ({"timezone": "Europe/Atlantis"}, "settings.timezone"),
            ({"timezone": "+01:00"}, "settings.timezone"),
            ({"email": "nope"}, "settings.email"),
            ({"brand_color": "red"}, "settings.brand_color"),
            ({"font": "Comic Sans"}, "settings.font"),
        ],
    )
    async def test_bad_settings_are_422_and_change_nothing(
        self, tenant: Tenant, change: dict[str, Any], loc: str
    ) -> None:
        before = (await tenant.client.get("/v1/merchant")).json()
        response = await tenant.client.patch("/v1/merchant", json={"settings": change})
        assert response.status_code == 422, response.text
        assert locs(response) == [loc]
        assert (await tenant.client.get("/v1/merchant")).json() == before

    async def test_empty_name_is_422(self, tenant: Tenant) -> None:
        response = await tenant.client.patch("/v1/merchant", json={"name": ""})
        assert response.status_code == 422
        assert locs(response) == ["name"]

    @pytest.mark.parametrize("scope", ["read", "write"])
    async def test_only_admin_may_change(self, tenant: Tenant, scope: str) -> None:
        key = await make_key(tenant.client, scope)
        response = await tenant.client.patch(
            "/v1/merchant", json={"name": "Hijacked"}, headers=bearer(key["secret"])
        )
        assert response.status_code == 403
        assert (await tenant.client.get("/v1/merchant")).json()["name"] == "Tenant A"

    async def test_changes_stay_with_the_merchant(self, tenant: Tenant, other: Tenant) -> None:
        await tenant.client.patch("/v1/merchant", json={"name": "Mine", "settings": SETTINGS})
        theirs = (await other.client.get("/v1/merchant")).json()
        assert theirs["name"] == "Tenant B"
        assert theirs["settings"]["default_currency"] == "EUR"
