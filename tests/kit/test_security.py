"""Headers on every response, and CORS: off by default, configured origins answered."""

from __future__ import annotations

from dataclasses import replace

import httpx

from tests.conftest import Tenant
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Database


async def test_every_response_says_nosniff_and_names_no_server(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/openapi.json", "/v1/receipts", "/compat/spaaza/receipts"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert "server" not in response.headers


async def test_authenticated_responses_and_secrets_are_not_stored(tenant: Tenant) -> None:
    listed = await tenant.client.get("/v1/receipts")
    assert listed.headers["cache-control"] == "no-store"
    created = await tenant.client.post("/v1/keys", json={"name": "till"})
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    customer = (await tenant.client.post("/v1/customers", json={"external_id": "C"})).json()
    session = await tenant.client.post(f"/v1/customers/{customer['id']}/sessions", json={})
    assert "token" in session.json() and session.headers["cache-control"] == "no-store"


async def test_html_pages_send_no_referrer(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "referrer-policy" not in (await client.get("/health")).headers


async def test_cors_is_off_by_default(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://shop.example"}
    response = await client.get("/health", headers=origin)
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(
        "/v1/receipts", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_configured_origins_get_cors_and_preflight(
    settings: Settings, db: Database, tenant: Tenant
) -> None:
    app = create_app(replace(settings, cors_origins="https://shop.example"), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tillroll.test") as c:
        preflight = await c.options(
            "/v1/receipts",
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert preflight.headers["x-content-type-options"] == "nosniff"
        allowed = await c.get(
            "/v1/receipts", headers={**tenant.headers, "Origin": "https://shop.example"}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        other = await c.get(
            "/v1/receipts", headers={**tenant.headers, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
