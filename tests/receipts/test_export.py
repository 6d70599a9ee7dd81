from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.conftest import Tenant
from tests.factories import receipt
from tillroll.kit.db import Connection, Database, run
from tillroll.receipts.export import COLUMNS, HEADER, render_missing


async def export(tenant: Tenant, fmt: str, **params: Any) -> str:
    response = await tenant.client.get(f"/v1/receipts/export.{fmt}", params=params)
    assert response.status_code == 200, response.text
    return response.text


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_csv_has_the_native_columns(tenant: Tenant) -> None:
    await tenant.client.post("/v1/receipts", json=receipt("A"))
    text = await export(tenant, "csv")
    assert text.splitlines()[0] == HEADER.strip() == ",".join(COLUMNS)
    [row] = rows(text)
    stored = (await tenant.client.get("/v1/receipts")).json()["data"][0]
    assert row["number"] == "1" and row["id"] == stored["id"]
    assert row["external_id"] == "A" and row["type"] == stored["type"]
    assert row["subtotal"] == row["total"] == "3140"  # integer minor units, as the API
    assert row["shipping_total"] == "0" and row["currency"] == "EUR"
    assert row["is_return"] == "false"
    assert row["issued_at"].endswith("+00:00")
    assert row["notes"] == "Thank you for shopping with us!"


async def test_csv_names_the_branch_and_customer(tenant: Tenant) -> None:
    from tests.factories import make_customer

    branch = (await tenant.client.post("/v1/branches", json={"code": "B-1", "name": "One"})).json()
    anna = await make_customer(tenant.client, member_number="77")
    body = receipt("REF", branch={"code": "B-1"}, customer={"member_number": "77"})
    assert (await tenant.client.post("/v1/receipts", json=body)).status_code == 201
    [row] = rows(await export(tenant, "csv"))
    assert row["branch_id"] == branch["id"] and row["branch_code"] == "B-1"
    assert row["customer_id"] == anna["id"]


async def test_csv_quotes_commas_quotes_and_neutralises_formulas(tenant: Tenant) -> None:
    await tenant.client.post("/v1/receipts", json=receipt("B", notes='He said "hi", then left'))
    await tenant.client.post("/v1/receipts", json=receipt("=HYPERLINK(1)", notes="@SUM(A1)"))
    parsed = {r["external_id"]: r for r in rows(await export(tenant, "csv"))}
    assert parsed["B"]["notes"] == 'He said "hi", then left'
    assert "'=HYPERLINK(1)" in parsed
    assert parsed["'=HYPERLINK(1)"]["notes"] == "'@SUM(A1)"


async def test_negative_amounts_stay_numbers(tenant: Tenant) -> None:
    await tenant.client.post("/v1/receipts", json=receipt("ORIG"))
    back = receipt(
        "RET",
        lines=[
            {"name": "Paper bag", "quantity": "-1", "unit_price": 25, "total": -25,
             "return_of": {"receipt_external_id": "ORIG", "line_no": 3}}
        ],
        subtotal=-25, total=-25, taxes=[], tax_total=0, payments=[],
    )  # fmt: skip
    assert (await tenant.client.post("/v1/receipts", json=back)).status_code == 201
    parsed = {r["external_id"]: r for r in rows(await export(tenant, "csv"))}
    assert parsed["RET"]["total"] == "-25"
    assert parsed["RET"]["is_return"] == "true"


async def test_export_streams_every_receipt_across_batches(tenant: Tenant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("tillroll.receipts.export.BATCH", 7)
    batch = [receipt(f"N-{i:03d}") for i in range(30)]
    await tenant.client.post("/v1/receipts/batch", json={"receipts": batch})
    parsed = rows(await export(tenant, "csv"))
    assert [r["external_id"] for r in parsed] == [f"N-{i:03d}" for i in range(30)]
    lines = (await export(tenant, "jsonl")).splitlines()
    assert [json.loads(line)["external_id"] for line in lines] == [f"N-{i:03d}" for i in range(30)]


async def test_filters_apply_and_scope_holds(tenant: Tenant, other: Tenant) -> None:
    await tenant.client.post("/v1/receipts", json=receipt("X", type="online"))
    await tenant.client.post("/v1/receipts", json=receipt("Y"))
    assert [r["external_id"] for r in rows(await export(tenant, "csv", type="online"))] == ["X"]
    assert rows(await export(other, "csv")) == []
    assert rows(await export(tenant, "csv", branch_code="NOPE")) == []


async def test_both_branch_filters_are_422(tenant: Tenant) -> None:
    response = await tenant.client.get(
        "/v1/receipts/export.csv",
        params={"branch_code": "A", "branch_id": "01a20124-bce8-7993-a97b-5eb1d2bc2f87"},
    )
    assert response.status_code == 422


async def test_failure_midstream_ends_with_an_error_line(tenant: Tenant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tillroll.receipts import export as module

    monkeypatch.setattr(module, "BATCH", 5)
    real = module.Cached.fill
    calls = 0

    async def flaky(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk on fire")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(module.Cached, "fill", flaky)
    await tenant.client.post(
        "/v1/receipts/batch", json={"receipts": [receipt(f"F-{i}") for i in range(12)]}
    )
    text = await export(tenant, "csv")
    assert text.rstrip().splitlines()[-1] == (
        "#ERROR: export failed after 5 rows (RuntimeError); file incomplete"
    )


async def test_a_shopper_session_exports_only_its_own_receipts(tenant: Tenant) -> None:
    from tests.factories import bearer, make_customer, make_session

    anna = await make_customer(tenant.client, member_number="1001")
    await make_customer(tenant.client, member_number="1002")
    await tenant.client.post(
        "/v1/receipts", json=receipt("ANNA", customer={"member_number": "1001"})
    )
    await tenant.client.post(
        "/v1/receipts", json=receipt("BOB", customer={"member_number": "1002"})
    )
    await tenant.client.post("/v1/receipts", json=receipt("ANON"))
    session = await make_session(tenant.client, anna["id"])
    response = await tenant.client.get("/v1/receipts/export.csv", headers=bearer(session["token"]))
    assert response.status_code == 200
    assert [r["external_id"] for r in rows(response.text)] == ["ANNA"]
    jsonl = await tenant.client.get("/v1/receipts/export.jsonl", headers=bearer(session["token"]))
    assert [json.loads(x)["external_id"] for x in jsonl.text.splitlines()] == ["ANNA"]


async def test_cells_stored_at_ingest_follow_a_claim(tenant: Tenant) -> None:
    """The customer is rendered per export (a claim sets it after ingest)."""
    from tests.factories import make_customer

    anna = await make_customer(tenant.client, member_number="55")
    stored = (await tenant.client.post("/v1/receipts", json=receipt("LATER"))).json()
    [before] = rows(await export(tenant, "csv"))
    claim = {"customer": {"member_number": "55"}}
    claimed = await tenant.client.post(f"/v1/receipts/{stored['id']}/claim", json=claim)
    assert claimed.status_code == 200, claimed.text
    [after] = rows(await export(tenant, "csv"))
    assert before["customer_id"] == "" and after["customer_id"] == anna["id"]
    assert {k: v for k, v in after.items() if k != "customer_id"} == {
        k: v for k, v in before.items() if k != "customer_id"
    }


async def test_missing_cells_are_rendered_the_same(tenant: Tenant, db: Database) -> None:
    """Receipts stored without their cells (before migration 0014): the export renders them
    as ingest would have, and `tillroll migrate` (its data upgrade) stores them."""
    branch = {"code": "M-1", "name": "Main"}
    assert (await tenant.client.post("/v1/branches", json=branch)).status_code == 201
    await tenant.client.post("/v1/receipts", json=receipt("OLD", notes='kept, "quoted"'))
    await tenant.client.post("/v1/receipts", json=receipt("NEW", branch={"code": "M-1"}))
    before = await export(tenant, "csv")

    async def forget(conn: Connection) -> None:
        await conn.execute(
            "UPDATE receipts SET csv_cells = NULL WHERE merchant_id = :m AND external_id = 'OLD'",
            {"m": tenant.id},
        )

    await run(db, forget, write=True)
    assert await export(tenant, "csv") == before
    assert await render_missing(db) == 1
    assert await render_missing(db) == 0
    assert await export(tenant, "csv") == before


async def test_exports_show_what_each_receipt_did_to_the_wallets(tenant: Tenant) -> None:
    """Earns, a voucher's pro-rata restore by a return, and the balances right after, in
    both formats, as the receipt itself shows them."""
    from tests.factories import created, make_customer, return_line, simple_receipt, with_lines

    c = tenant.client
    percent = {"title": "5% back", "kind": "percent_back", "percent": "5"}
    points = {"title": "Points", "kind": "points_per_amount", "points": 1, "per_amount": 100}
    for body in (percent, points):
        await created(await c.post("/v1/campaigns", json=body))
    shopper = await make_customer(c)
    buy = simple_receipt("W-1", customer={"id": shopper["id"]})  # 3 × 10.00: 150 and 30 points
    await created(await c.post("/v1/receipts", json=buy))
    wallets = (await c.get(f"/v1/customers/{shopper['id']}/wallets")).json()["data"]
    credit = next(w for w in wallets if w["kind"] == "credit")
    code = await created(await c.post(f"/v1/customers/{shopper['id']}/redemptions",
                                      json={"wallet": credit["id"], "amount": 150}))  # fmt: skip
    spend = simple_receipt("W-2", quantity="1", customer={"id": shopper["id"]})
    voucher = {"amount": 150, "kind": "voucher", "code": code["code"]}
    spend.update(discounts=[voucher], discount_total=150, total=spend["total"] - 150)
    await created(await c.post("/v1/receipts", json=spend))  # its line's 10.00 earns 50 and 10
    back = with_lines("W-2-R", [return_line("-1", receipt_external_id="W-2")])
    await created(await c.post("/v1/receipts", json=back))  # claws 50 and 10; restores 150
    await created(await c.post("/v1/receipts", json=receipt("ANON")))
    cells = {
        r["external_id"]: [r[k] for k in COLUMNS[-4:]] for r in rows(await export(tenant, "csv"))
    }
    assert cells == {
        "W-1": ["150", "150", "30", "30"],
        "W-2": ["50", "50", "10", "40"],  # the code's 150 was held before the receipt
        "W-2-R": ["100", "150", "-10", "30"],  # -50 clawed back, +150 restored
        "ANON": ["", "", "", ""],
    }
    lines = [json.loads(line) for line in (await export(tenant, "jsonl")).splitlines()]
    for line in lines:
        shown = (await c.get(f"/v1/receipts/{line['id']}")).json()
        assert line["monetary_wallet"] == shown["monetary_wallet"]
        assert line["points_wallet"] == shown["points_wallet"]
        assert line["basket_vouchers"] == shown["basket_vouchers"]
    by_id = {line["external_id"]: line for line in lines}
    assert [x["campaign_title"] for x in by_id["W-2-R"]["monetary_wallet"]["contributions"]] == [
        "5% back", "Wallet voucher restored",
    ]  # fmt: skip
    assert by_id["W-2"]["basket_vouchers"][0]["type"] == "wallet"
