"""The receipt page as a person sees it: real headless Chromium (Debian's `chromium`, driven
by Playwright) against a real server; the PDF rendered to PNG by `pdftoppm`; QR codes read
back by `zbarimg`."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.documents.samples import NAMES, world_receipt
from tests.documents.test_wallets import earning
from tests.factories import bearer, created, make_branch, make_receipt
from tests.live import serving_built
from tests.orders.helpers import UPS, placed, shipment_body
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Database, run
from tillroll.merchants.service import merchant as merchant_service

CHROMIUM = "/usr/bin/chromium"
TILL_ROLL_PX = 302  # 80 mm at 96 CSS px per inch
A4_PX = 794  # 210 mm


@pytest.fixture(scope="module")
def live(settings: Settings) -> Any:
    with serving_built(
        lambda url: create_app(dataclasses.replace(settings, public_url=url))
    ) as url:
        yield url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


@pytest.fixture
async def shop(db: Database, live: str) -> AsyncIterator[httpx.AsyncClient]:
    """A merchant with a receipt in five scripts, speaking to the live server."""
    _, key = await run(db, lambda conn: merchant_service.create(conn, "Café Tillroll"), write=True)
    async with httpx.AsyncClient(base_url=live, headers=bearer(key.secret)) as client:
        await make_branch(client, "AMS", name="Amsterdam Centraal", timezone="Europe/Amsterdam")
        yield client


async def _link(shop: httpx.AsyncClient) -> dict[str, Any]:
    receipt = await make_receipt(shop, world_receipt(branch={"code": "AMS"}))
    response = await shop.get(f"/v1/receipts/{receipt['id']}/link")
    assert response.status_code == 200
    link: dict[str, Any] = response.json()
    return link


class Seen:
    """What went wrong on a page: console errors, uncaught exceptions, failed requests."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))


async def _open(browser: Browser, url: str, width: int) -> tuple[Page, Seen]:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    seen = Seen(page)
    response = await page.goto(url)
    assert response is not None and response.status == 200
    return page, seen


async def _overflowing(page: Page) -> list[str]:
    """The elements reaching past the viewport's right edge."""
    found: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    return found


def read_qr(png: Path) -> str:
    done = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    assert done.returncode == 0, f"no QR code found in {png}"
    return done.stdout.strip()


async def test_till_roll_page_shows_everything_without_overflow(
    shop: httpx.AsyncClient, browser: Browser, tmp_path: Path
) -> None:
    link = await _link(shop)
    page, seen = await _open(browser, link["page_url"] + "?size=80mm&lang=nl", TILL_ROLL_PX)
    text = await page.inner_text("body")
    for shown in (*NAMES.values(), "Kassabon", "Totaal", "Amsterdam Centraal", "1,25 kg ×"):
        assert shown in text, shown
    assert await _overflowing(page) == []
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= TILL_ROLL_PX
    await page.screenshot(path=tmp_path / "80mm.png", full_page=True)
    assert seen.errors == []


async def test_an_orders_status_and_shipments_fit_the_till_roll(
    shop: httpx.AsyncClient, browser: Browser
) -> None:
    receipt_id = await placed(shop, "O-BROWSER")
    long_url = f"https://tracking.example/parcels/{UPS}?lang=nl&utm_source=receipt"
    await created(
        await shop.post(
            f"/v1/receipts/{receipt_id}/shipments",
            json=shipment_body((1, 2), tracking_url=long_url),
        )
    )
    link = (await shop.get(f"/v1/receipts/{receipt_id}/link")).json()
    page, seen = await _open(browser, link["page_url"] + "?size=80mm&lang=nl", TILL_ROLL_PX)
    text = await page.inner_text("body")
    for shown in ("Status bestelling", "Deels verzonden", "Zendingen", "UPS", UPS,
                  "2 × Classic t-shirt", "Aangemeld"):  # fmt: skip
        assert shown in text, shown
    assert await page.get_attribute(f"a:has-text('{UPS}')", "href") == long_url
    assert await _overflowing(page) == []
    assert seen.errors == []


async def test_wallets_and_loyalty_fit_the_till_roll(
    shop: httpx.AsyncClient, browser: Browser
) -> None:
    _, receipt = await earning(shop, title="A rather long campaign title for the till roll")
    link = (await shop.get(f"/v1/receipts/{receipt['id']}/link")).json()
    page, seen = await _open(browser, link["page_url"] + "?size=80mm&lang=fr", TILL_ROLL_PX)
    text = await page.inner_text("section.wallets")
    for shown in ("ACME Bucks", "A rather long campaign title", "+1,49", "+20 Points",
                  "Solde après ce ticket", "Fidélité", "Member", "80"):  # fmt: skip
        assert shown in text, shown
    assert await _overflowing(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= TILL_ROLL_PX
    assert seen.errors == []


async def test_arabic_runs_right_to_left_and_a4_keeps_its_width(
    shop: httpx.AsyncClient, browser: Browser
) -> None:
    link = await _link(shop)
    page, seen = await _open(browser, link["page_url"], 1200)
    directions = await page.evaluate(
        """(names) => names.map(n => {
            const el = [...document.querySelectorAll('[dir=auto]')]
                .find(e => e.textContent.trim() === n);
            return el ? getComputedStyle(el).direction : 'missing';
        })""",
        [NAMES["arabic"], NAMES["greek"], NAMES["cjk"]],
    )
    assert directions == ["rtl", "ltr", "ltr"]
    main = await page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    assert main == pytest.approx(A4_PX, abs=1)
    assert seen.errors == []


async def test_page_qr_code_decodes_to_the_page_url(
    shop: httpx.AsyncClient, browser: Browser, tmp_path: Path
) -> None:
    link = await _link(shop)
    page, _ = await _open(browser, link["page_url"], A4_PX)
    shot = tmp_path / "qr.png"
    await page.locator(".qr svg").screenshot(path=shot)
    assert read_qr(shot) == link["page_url"]


async def test_pdf_renders_to_an_image_whose_qr_decodes(
    shop: httpx.AsyncClient, tmp_path: Path
) -> None:
    link = await _link(shop)
    for size in ("a4", "80mm"):
        document = await shop.get(link["download_url"], params={"size": size})
        assert document.status_code == 200
        pdf = tmp_path / f"{size}.pdf"
        pdf.write_bytes(document.content)
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / size)],
            check=True,
        )
        assert read_qr(tmp_path / f"{size}.png") == link["page_url"]
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert "DejaVuSans" in fonts and "WenQuanYi" in fonts
        assert all(" yes " in row for row in fonts.splitlines()[2:])  # every font embedded
