"""Receipt documents over the real API: PDF and HTML, signed links, the public page."""

from __future__ import annotations

import dataclasses
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pypdf
import pytest

from tests.conftest import Tenant, new_tenant
from tests.documents.samples import NAMES, world_receipt
from tests.factories import make_branch, make_receipt
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.documents import links, render
from tillroll.documents.view import ReceiptView
from tillroll.kit.db import Connection, Database, run
from tillroll.merchants.service import merchant as merchant_service


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


async def _receipt(tenant: Tenant) -> dict[str, Any]:
    await make_branch(tenant.client, "AMS", name="Amsterdam Centraal",
                      timezone="Europe/Amsterdam")  # fmt: skip
    return await make_receipt(tenant.client, world_receipt(branch={"code": "AMS"}))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def test_pdf_holds_the_receipt_in_the_merchants_language(tenant: Tenant) -> None:
    receipt = await _receipt(tenant)
    response = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf", params={"lang": "de"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text = pdf_text(response.content)
    for word in ("Kassenbon", "Summe", "Amsterdam Centraal", "1,25 kg", "Karte Visa •••• 4242"):
        assert word in text, word
    assert "22.11.2026, 10:00:00 CET" in text  # 10:00+01:00, local time in Amsterdam
    total = receipt["total"]
    assert f"{total // 100},{total % 100:02d}\xa0€" in text  # Babel's de format
    for name in (NAMES["greek"], NAMES["cyrillic"], NAMES["cjk"]):
        assert name in text, name


async def test_html_in_dutch_at_till_roll_width(tenant: Tenant) -> None:
    receipt = await _receipt(tenant)
    response = await tenant.client.get(
        f"/v1/receipts/{receipt['id']}.html", params={"lang": "nl", "size": "80mm"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<body class="s80mm">' in page and 'lang="nl"' in page
    assert "Kassabon" in page and "Totaal" in page and NAMES["arabic"] in page
    assert "&amp; Brötchen" in page  # escaped, never markup


async def test_bad_query_is_a_422_naming_the_field(tenant: Tenant) -> None:
    receipt = await _receipt(tenant)
    response = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf?size=a3")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == "query.size"
    response = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf?lang=xx")
    assert response.json()["errors"][0]["loc"] == "query.lang"


async def test_another_tenants_receipt_is_a_404(tenant: Tenant, other: Tenant) -> None:
    receipt = await _receipt(tenant)
    for suffix in (".pdf", ".html", "/link"):
        response = await other.client.get(f"/v1/receipts/{receipt['id']}{suffix}")
        assert response.status_code == 404, suffix


async def test_signed_link_opens_without_a_key(tenant: Tenant, client: httpx.AsyncClient) -> None:
    receipt = await _receipt(tenant)
    link = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/link")).json()
    assert link["download_url"] == link["page_url"] + ".pdf"
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(days=30) < expires - datetime.now(UTC) <= timedelta(days=31)
    page = await client.get(_path(link["page_url"]))  # no Authorization header
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert NAMES["greek"] in page.text
    document = await client.get(_path(link["download_url"]))
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert document.headers["referrer-policy"] == "no-referrer"
    assert NAMES["cyrillic"] in pdf_text(document.content)


async def test_a_forged_extended_or_expired_link_is_a_404(
    tenant: Tenant, other: Tenant, client: httpx.AsyncClient, db: Database
) -> None:
    receipt = await _receipt(tenant)
    link = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/link")).json()
    token = urlsplit(link["page_url"]).path.rsplit("/", 1)[1]
    claimed = links.unsigned(token)
    assert claimed is not None
    forged = [
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # signature changed
        links.sign(  # extended: a later expiry under the old signature
            links.Link(claimed.merchant_id, claimed.receipt_id, claimed.expires_at + timedelta(1)),
            links.key("not-the-secret"),
        ),
        token[:-1],  # truncated
        "x" * links.TOKEN_LENGTH,
    ]
    secret = await run(db, lambda c: merchant_service.session_secret(c, tenant.id), write=False)
    assert secret is not None
    past = datetime.now(UTC) - timedelta(seconds=1)
    forged.append(
        links.sign(links.Link(tenant.id, uuid.UUID(receipt["id"]), past), links.key(secret))
    )
    # another merchant's secret cannot sign this merchant's receipt
    other_secret = await run(
        db, lambda c: merchant_service.session_secret(c, other.id), write=False
    )
    assert other_secret is not None
    forged.append(
        links.sign(
            links.Link(tenant.id, claimed.receipt_id, claimed.expires_at),
            links.key(other_secret),
        )
    )
    for bad in forged:
        response = await client.get(f"/p/receipts/{bad}")
        assert response.status_code == 404, bad
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"].startswith("text/html")  # a person reads it
        assert "invalid, revoked or expired" in response.text
        document = await client.get(f"/p/receipts/{bad}.pdf")
        assert document.status_code == 404 and document.json()["code"] == "not_found"
    assert (await client.get(f"/p/receipts/{token}")).status_code == 200


async def test_revoking_a_receipts_links_404s_the_old_ones_only(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    receipt = await _receipt(tenant)
    kept = await make_receipt(tenant.client, world_receipt("T1-0982"))
    old = (await tenant.client.get(f"/v1/receipts/{receipt['id']}")).json()["download_url"]
    other = (await tenant.client.get(f"/v1/receipts/{kept['id']}/link")).json()
    assert (await client.get(_path(old))).status_code == 200
    revoked = await tenant.client.post(f"/v1/receipts/{receipt['id']}/link/revoke")
    assert revoked.status_code == 200, revoked.text
    new = revoked.json()
    assert new["download_url"] != old
    assert (await client.get(_path(old))).status_code == 404
    assert (await client.get(_path(old.removesuffix(".pdf")))).status_code == 404
    assert (await client.get(_path(new["download_url"]))).content.startswith(b"%PDF")
    page = await client.get(_path(new["page_url"]))
    assert page.status_code == 200 and new["page_url"] in page.text  # its QR's URL
    listed = (await tenant.client.get(f"/v1/receipts/{receipt['id']}")).json()
    assert listed["download_url"] == new["download_url"]  # every answer carries the new one
    assert (await client.get(_path(other["download_url"]))).status_code == 200  # untouched
    again = (await tenant.client.post(f"/v1/receipts/{receipt['id']}/link/revoke")).json()
    assert (await client.get(_path(new["download_url"]))).status_code == 404
    assert (await client.get(_path(again["download_url"]))).status_code == 200
    claimed = links.unsigned(urlsplit(again["page_url"]).path.rsplit("/", 1)[1])
    assert claimed is not None and claimed.generation == 2


async def test_a_rotated_secret_refuses_old_links_and_signs_new_ones(
    tenant: Tenant, client: httpx.AsyncClient, db: Database
) -> None:
    receipt = await _receipt(tenant)
    old = (await tenant.client.get(f"/v1/receipts/{receipt['id']}")).json()["download_url"]
    assert (await client.get(_path(old))).status_code == 200  # the key is kept now

    async def rotate(conn: Connection) -> None:  # what a secret rotation would do
        await conn.execute(
            "UPDATE merchants SET session_secret = :s WHERE id = :m",
            {"s": "rotated-" + "0" * 56, "m": tenant.id},
        )

    await run(db, rotate, write=True)
    assert (await client.get(_path(old))).status_code == 404  # verified with the new secret
    new = (await tenant.client.get(f"/v1/receipts/{receipt['id']}")).json()["download_url"]
    assert new != old  # the kept key was replaced when verifying found the secret changed
    assert (await client.get(_path(new))).status_code == 200


async def test_revoking_another_merchants_receipts_links_is_a_404(
    tenant: Tenant, other: Tenant
) -> None:
    receipt = await _receipt(tenant)
    response = await other.client.post(f"/v1/receipts/{receipt['id']}/link/revoke")
    assert response.status_code == 404


async def test_a_shopper_session_is_not_a_link(tenant: Tenant, client: httpx.AsyncClient) -> None:
    receipt = await _receipt(tenant)
    link = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/link")).json()
    token = urlsplit(link["page_url"]).path.rsplit("/", 1)[1]
    response = await client.get("/v1/receipts", headers={"Authorization": f"Bearer tr_ss_{token}"})
    assert response.status_code == 401


async def test_renders_are_cached_per_revision(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[str] = []
    real = render.RENDERERS["pdf"]

    def counted(view: ReceiptView) -> bytes:
        renders.append(view.number)
        return real(view)

    monkeypatch.setitem(render.RENDERERS, "pdf", counted)
    receipt = await _receipt(tenant)
    path = f"/v1/receipts/{receipt['id']}.pdf"
    first = await tenant.client.get(path)
    again = await tenant.client.get(path)
    assert first.content == again.content
    assert len(renders) == 1  # the second came from the cache
    await tenant.client.get(path, params={"size": "80mm"})
    assert len(renders) == 2  # another variant
    changed = await tenant.client.patch("/v1/documents/branding", json={"footer_text": "Bye!"})
    assert changed.status_code == 200, changed.text
    third = await tenant.client.get(path)
    assert third.content != first.content and "Bye!" in pdf_text(third.content)
    assert len(renders) == 3  # a new revision of the branding renders anew


async def test_branding_is_validated_and_applied(tenant: Tenant) -> None:
    bad = await tenant.client.patch("/v1/documents/branding", json={"primary_color": "red"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "primary_color"
    bad = await tenant.client.patch("/v1/documents/branding", json={"logo_svg": "<script>"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "logo_svg"
    bad = await tenant.client.patch("/v1/documents/branding", json={"logo_svg": "<svg>"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "logo_svg"
    assert (await tenant.client.get("/v1/documents/branding")).json()["primary_color"] == "#1f2937"
    logo = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<rect width="40" height="20" fill="#0f766e"/></svg>'
    )
    ok = await tenant.client.patch(
        "/v1/documents/branding",
        json={"primary_color": "#0f766e", "language": "fr", "logo_svg": logo},
    )
    assert ok.status_code == 200, ok.text
    receipt = await _receipt(tenant)
    page = (await tenant.client.get(f"/v1/receipts/{receipt['id']}.html")).text
    assert "--primary: #0f766e" in page and "Ticket de caisse" in page
    assert "data:image/svg+xml;base64," in page
    text = pdf_text((await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf")).content)
    assert "Ticket de caisse" in text


async def test_a_slow_or_failing_render_is_a_clear_503(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(dataclasses.replace(settings, render_timeout_seconds=1), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        tenant = await new_tenant(db, c)
        receipt = await _receipt(tenant)

        def slow(_: ReceiptView) -> bytes:
            time.sleep(3)
            return b""

        monkeypatch.setitem(render.RENDERERS, "pdf", slow)
        started = time.monotonic()
        response = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf")
        assert time.monotonic() - started < 2.5  # answered at the limit, not after the render
        assert response.status_code == 503 and response.json()["code"] == "render_failed"
        assert response.headers["retry-after"] == "5"

        def broken(_: ReceiptView) -> bytes:
            raise RuntimeError("engine exploded")

        monkeypatch.setitem(render.RENDERERS, "pdf", broken)
        response = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf")
        assert response.status_code == 503 and "engine exploded" in response.json()["detail"]
        await tenant.client.aclose()
