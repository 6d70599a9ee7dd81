"""Wallet contributions and loyalty status on the receipt's documents: a campaign earning on
a real receipt, a loyalty programme, the PDF read back by pypdf, the HTML in every language."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.documents.test_endpoints import pdf_text
from tests.factories import created, make_customer, return_line, simple_receipt, with_lines
from tests.wallets.test_earning import PERCENT, POINTS, bought, campaign
from tillroll.config import Settings
from tillroll.documents import render
from tillroll.documents.schemas import DocumentQuery
from tillroll.documents.service import documents
from tillroll.documents.view import ReceiptView
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.viewer import Viewer

LEVELS = [
    {"name": "Member", "threshold": 0},
    {"name": "Silver", "threshold": 100},
    {"name": "Gold", "threshold": 300},
]
WORDS = {  # balance label, credit earned, points to the next level
    "en": ("Balance after this receipt", "+€1.49", "Points to the next level"),
    "nl": ("Saldo na deze bon", "+€ 1,49", "Punten tot het volgende niveau"),
    "fr": ("Solde après ce ticket", "+1,49\u202f€", "Points avant le niveau suivant"),
    "de": ("Stand nach diesem Bon", "+1,49\xa0€", "Punkte bis zur nächsten Stufe"),
}


async def earning(
    c: httpx.AsyncClient, *, loyalty: bool = True, title: str = PERCENT["title"]
) -> tuple[Any, Any]:
    """A customer, both campaigns (and a programme), and a receipt earning 149 and 20."""
    await campaign(c, **PERCENT | {"title": title})
    await campaign(c, **POINTS)
    if loyalty:
        body = {"name": "Club", "review_months": 12, "levels": LEVELS}
        await created(await c.post("/v1/loyalty-levels", json=body))
    shopper = await make_customer(c)
    receipt = await bought(c, simple_receipt("W-1", quantity="3", unit_price=999), shopper)
    return shopper, receipt


@pytest.mark.parametrize("lang", sorted(WORDS))
async def test_the_pdf_shows_each_wallet_and_the_loyalty_status(tenant: Tenant, lang: str) -> None:
    c = tenant.client
    _, receipt = await earning(c)
    balance, credit, to_next = WORDS[lang]
    for size in ("a4", "80mm"):
        query = {"lang": lang, "size": size}
        response = await c.get(f"/v1/receipts/{receipt['id']}.pdf", params=query)
        assert response.status_code == 200, response.text
        text = " ".join(pdf_text(response.content).split())  # a narrow page wraps lines
        for shown in ("ACME Bucks", "5% back", "10 per 10.00", balance, credit,
                      "+20 Points", "20 Points", "Member", to_next):  # fmt: skip
            assert " ".join(shown.split()) in text, (size, shown)
        assert "Silver" not in text  # the next level's name is not shown, its points are
    status = (await c.get(f"/v1/customers/{receipt['customer']['id']}")).json()["loyalty_status"]
    assert (status["name"], status["points_to_proceed_next_level"]) == ("Member", 80)


async def test_the_html_and_text_show_the_section(
    tenant: Tenant, db: Database, settings: Settings
) -> None:
    c = tenant.client
    _, receipt = await earning(c)
    page = (await c.get(f"/v1/receipts/{receipt['id']}.html", params={"size": "80mm"})).text
    assert '<section class="wallets">' in page
    for shown in ("ACME Bucks", "5% back", "+€1.49", "€1.49", "+20 Points", "20 Points",
                  "Loyalty", "Member", "Points to the next level", ">80<"):  # fmt: skip
        assert shown in page, shown

    async def view(conn: Connection) -> ReceiptView:
        query = DocumentQuery(lang="nl")
        return (await documents.view(conn, settings, Viewer(tenant.id), receipt_id, query))[1]

    receipt_id = uuid.UUID(receipt["id"])
    text = render.text(await run(db, view, write=False))  # the e-mail's plain-text part
    assert "ACME Bucks\n  5% back: +€\xa01,49\n  Saldo na deze bon: €\xa01,49" in text
    assert "Spaarprogramma: Member (Punten tot het volgende niveau: 80)" in text


async def test_a_receipt_without_wallets_or_loyalty_shows_no_section(tenant: Tenant) -> None:
    c = tenant.client
    anonymous = await created(await c.post("/v1/receipts", json=simple_receipt("A-1")))
    shopper = await make_customer(c)
    plain = await bought(c, simple_receipt("A-2"), shopper)  # no campaign, no programme
    for receipt in (anonymous, plain):
        page = (await c.get(f"/v1/receipts/{receipt['id']}.html")).text
        assert "wallets" not in page and "Balance after this receipt" not in page
        text = pdf_text((await c.get(f"/v1/receipts/{receipt['id']}.pdf")).content)
        assert "Balance after" not in text and "Loyalty" not in text


async def test_the_balance_is_the_one_after_this_receipt_and_the_cache_holds(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[str] = []
    real = render.RENDERERS["pdf"]

    def counted(view: ReceiptView) -> bytes:
        renders.append(view.number)
        return real(view)

    monkeypatch.setitem(render.RENDERERS, "pdf", counted)
    c = tenant.client
    shopper, receipt = await earning(c, loyalty=False)
    path = f"/v1/receipts/{receipt['id']}.pdf"
    first = await c.get(path)
    second = await bought(c, simple_receipt("W-2", quantity="1", unit_price=2000), shopper)
    ret = with_lines("W-R", [return_line("-1", 999, receipt_external_id="W-1")])
    back = await created(await c.post("/v1/receipts", json=ret))
    again = await c.get(path)
    assert again.content == first.content and renders == [str(receipt["number"])]  # from the cache
    assert "€1.49" in pdf_text(first.content) and "€2.49" not in pdf_text(first.content)
    assert "€2.49" in pdf_text((await c.get(f"/v1/receipts/{second['id']}.pdf")).content)
    returned = " ".join(pdf_text((await c.get(f"/v1/receipts/{back['id']}.pdf")).content).split())
    claw = -back["monetary_wallet"]["contributions"][0]["amount"]
    assert f"−€{claw // 100}.{claw % 100:02d}" in returned  # the clawback, on the return


async def test_a_changed_loyalty_status_renders_anew(tenant: Tenant) -> None:
    c = tenant.client
    shopper, receipt = await earning(c)
    path = f"/v1/receipts/{receipt['id']}.pdf"
    assert "80" in pdf_text((await c.get(path)).content).split("Points to the next level")[1]
    await bought(c, simple_receipt("W-3", quantity="1", unit_price=5000), shopper)  # +50 points
    text = pdf_text((await c.get(path)).content)
    assert "30" in text.split("Points to the next level")[1]  # the status now, rendered anew
    assert "€1.49" in text  # this receipt's wallet is unchanged
