"""Spaaza's receipt object: a working signed `download_url` and the documents' branding."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.compat.test_spaaza import member_receipt, shop, spaaza_get
from tests.conftest import Tenant
from tests.documents.test_endpoints import pdf_text
from tests.factories import make_receipt


async def test_download_url_opens_the_pdf_without_a_key(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await shop(tenant)
    stored = await make_receipt(tenant.client, member_receipt("T-1"))
    got = (await spaaza_get(tenant, f"/receipts/{stored['number']}")).json()
    url = urlsplit(got["download_url"])
    assert url.path.startswith("/p/receipts/") and url.path.endswith(".pdf")
    assert got["download_url"] == stored["download_url"]  # the native receipt's own link
    document = await client.get(url.path)  # no credentials
    assert document.status_code == 200
    assert "T-1" in pdf_text(document.content)
    listed = (await spaaza_get(tenant, "/receipts", shopper_id=1090043)).json()
    assert [r["download_url"] for r in listed] == [got["download_url"]]


async def test_template_content_follows_the_documents_branding(tenant: Tenant) -> None:
    await shop(tenant)  # merchant settings: subject "Your ACME receipt", #112233
    stored = await make_receipt(tenant.client, member_receipt("T-2"))
    patch = {"email_subject": "Bon {number} van {merchant}", "background_color": "#fefefe"}
    assert (await tenant.client.patch("/v1/documents/branding", json=patch)).status_code == 200
    got = (await spaaza_get(tenant, f"/receipts/{stored['number']}")).json()
    subject = f"Bon {stored['number']} van Tenant A"
    assert got["template_content"] == {"subject": subject, "background_color": "#fefefe"}
