"""The value receipt's PDF: by API key, from the published page's link, and by embed JWT;
read back as text (pypdf) and drawn to a PNG (pdftoppm) whose bars are in the brand colour."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pypdf

from tests.conftest import Tenant
from tests.values.embed_tokens import claims, mint
from tests.values.helpers import PERIOD, seed

BRAND = "#0a7d3b"


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


async def _receipt(tenant: Tenant) -> dict[str, Any]:
    await seed(tenant.client)
    await tenant.client.patch("/v1/documents/branding", json={"primary_color": BRAND})
    body = {"external_customer_id": "cust-1", **PERIOD}
    response = await tenant.client.post("/v1/value-receipts", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_the_pdf_holds_the_breakdown(tenant: Tenant, tmp_path: Path) -> None:
    receipt = await _receipt(tenant)
    response = await tenant.client.get(f"/v1/value-receipts/{receipt['id']}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text = text_of(response.content)
    for expected in (
        "Value receipt", "Tenant A", "cust-1", "Hours saved", "1.999999 hours", "€ 100.00",
        "Cost saved", "€ 10.00", "Total delivered value", "€ 110.00", "Draft",
        "2026-11-01 00:00 – 2026-12-01 00:00 UTC", receipt["share_token"],
    ):  # fmt: skip
        assert expected in text, (expected, text)

    pdf = tmp_path / "value.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-r", "50", "-singlefile", str(pdf), str(tmp_path / "v")],
                   check=True)  # fmt: skip
    assert _brand_pixels(tmp_path / "v.ppm") > 100  # the chart's bars, in the brand colour


def _brand_pixels(ppm: Path) -> int:
    """Pixels of the brand colour in a binary PPM (P6) image."""
    magic, width, height, depth, pixels = ppm.read_bytes().split(maxsplit=4)
    assert magic == b"P6" and depth == b"255"
    target = bytes.fromhex(BRAND[1:])
    return sum(pixels[i : i + 3] == target for i in range(0, int(width) * int(height) * 3, 3))


async def test_the_published_page_links_its_pdf(tenant: Tenant, client: httpx.AsyncClient) -> None:
    receipt = await _receipt(tenant)
    share = receipt["share_url"]
    assert (await client.get(share + ".pdf")).status_code == 401  # private: no link works
    await tenant.client.post(f"/v1/value-receipts/{receipt['id']}/publish", json={})
    page = await client.get(share)
    link = re.search(r'href="([^"]+\.pdf)"', page.text)
    assert link, page.text
    pdf = await client.get(httpx.URL(str(page.url)).join(link.group(1)))
    assert pdf.status_code == 200 and "€ 110.00" in text_of(pdf.content)
    assert pdf.headers["referrer-policy"] == "no-referrer"
    assert (await client.get("/p/value-receipts/vr_nothing.pdf")).status_code == 404


async def test_a_jwt_opens_a_private_receipts_pdf(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    receipt = await _receipt(tenant)
    embed = {"issuer": "acme-app", "audience": "acme-web", "allowed_origins": []}
    secret = (await tenant.client.post("/v1/value-receipt-embedding", json=embed)).json()["secret"]
    jwt = mint(secret, claims(receipt))
    page = await client.get(receipt["share_url"], params={"token": jwt})
    link = re.search(r'href="([^"]+\.pdf[^"]*)"', page.text)
    assert link and "token=" in link.group(1)
    pdf = await client.get(httpx.URL(str(page.url)).join(link.group(1).replace("&amp;", "&")))
    assert pdf.status_code == 200 and "Total delivered value" in text_of(pdf.content)
    wrong = await client.get(receipt["share_url"] + ".pdf", params={"token": jwt + "x"})
    assert wrong.status_code == 401


async def test_another_tenants_receipt_is_404(tenant: Tenant, other: Tenant) -> None:
    receipt = await _receipt(tenant)
    response = await other.client.get(f"/v1/value-receipts/{receipt['id']}.pdf")
    assert response.status_code == 404
