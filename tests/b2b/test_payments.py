"""Recording payments: receipt and lines, balances, the 422s naming the numbers, statuses,
operations, deletions and the audit trail — through the API, on the real database."""

from __future__ import annotations

import json
from typing import Any

from tests.b2b.helpers import balance, company, make_invoice, pay, payment_body
from tests.conftest import Tenant
from tests.factories import all_pages, created
from tillroll.kit.db import Connection, Database, run


async def _two_invoices(tenant: Tenant) -> tuple[Any, Any, Any]:
    acme = await company(tenant.client)
    first = await make_invoice(tenant.client, acme["id"], "INV-1", 10000)
    second = await make_invoice(tenant.client, acme["id"], "INV-2", 5000)
    return acme, first, second


async def test_a_payment_creates_its_receipt_and_lines_and_moves_balances(tenant: Tenant) -> None:
    acme, first, second = await _two_invoices(tenant)
    body = payment_body(
        acme["id"],
        [(first["id"], 10000), (second["id"], 2000)],
        payer_name="Cash",
        reference_number="375026",
        memo="payment memo",
    )
    paid = await created(await pay(tenant.client, body))
    assert paid["total"] == 12000 and paid["processing_status"] == 3 and paid["applied"]
    assert [(x["invoice_number"], x["amount"]) for x in paid["lines"]] == [
        ("INV-1", 10000),
        ("INV-2", 2000),
    ]
    assert await balance(tenant.client, first["id"]) == (0, "completed")
    assert await balance(tenant.client, second["id"]) == (3000, "partially_paid")
    receipt = (await tenant.client.get(f"/v1/payment-receipts/{paid['receipt_id']}")).json()
    assert receipt["total"] == 12000 and receipt["payer_name"] == "Cash"
    assert receipt["payer_customer_id"] == acme["id"] and receipt["memo"] == "payment memo"
    assert receipt["payment_number"] == paid["number"]
    lines = (await tenant.client.get(f"/v1/payment-receipts/{receipt['id']}/lines")).json()
    assert lines["meta"]["total_count"] == 2
    assert lines["meta"]["totals"] == [{"currency": "USD", "amount": 12000}]
    assert {(x["invoice_number"], x["amount"], x["payment_status"]) for x in lines["data"]} == {
        ("INV-1", 10000, 3),
        ("INV-2", 2000, 3),
    }
    line = lines["data"][0]
    one = await tenant.client.get(f"/v1/payment-receipts/{receipt['id']}/lines/{line['id']}")
    assert one.json() == line


async def test_overpaying_an_invoice_is_a_422_naming_the_numbers_and_changes_nothing(
    tenant: Tenant,
) -> None:
    acme, first, second = await _two_invoices(tenant)
    body = payment_body(acme["id"], [(first["id"], 100), (second["id"], 5001)])
    response = await pay(tenant.client, body)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == "allocations[1].amount"
    assert "5001" in error["message"] and "5000" in error["message"] and "INV-2" in error["message"]
    assert await balance(tenant.client, first["id"]) == (10000, "open")
    assert (await tenant.client.get("/v1/payment-receipts")).json()["meta"]["total_count"] == 0


async def test_totals_other_customers_and_currencies_are_refused(tenant: Tenant) -> None:
    acme, first, _ = await _two_invoices(tenant)
    rival = await company(tenant.client, "9999")
    euro = await make_invoice(tenant.client, acme["id"], "INV-EUR", 1000, "EUR")
    wrong_total = {**payment_body(acme["id"], [(first["id"], 100)]), "total": 150}
    cases = [
        (wrong_total, "total", "150 but the allocations add up to 100"),
        (payment_body(rival["id"], [(first["id"], 100)]), "allocations[0].invoice_id", "INV-1"),
        (payment_body(acme["id"], [(euro["id"], 100)]), "allocations[0].invoice_id", "EUR"),
        (
            payment_body(acme["id"], [(first["id"], 100), (first["id"], 100)]),
            "allocations[1].invoice_id",
            "allocated twice",
        ),
    ]
    for body, loc, text in cases:
        response = await pay(tenant.client, body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == loc
        assert text in response.json()["errors"][0]["message"]
    assert await balance(tenant.client, first["id"]) == (10000, "open")


async def test_the_idempotency_key_is_required_and_replays(tenant: Tenant) -> None:
    acme, first, _ = await _two_invoices(tenant)
    body = payment_body(acme["id"], [(first["id"], 100)])
    missing = await tenant.client.post("/v1/payments", json=body)
    assert missing.status_code == 422 and "Idempotency-Key" in missing.text
    headers = {"Idempotency-Key": "once"}
    one = await tenant.client.post("/v1/payments", json=body, headers=headers)
    again = await tenant.client.post("/v1/payments", json=body, headers=headers)
    assert one.status_code == 201 and again.json() == one.json()
    assert await balance(tenant.client, first["id"]) == (9900, "partially_paid")


async def test_refunded_reopens_balances_and_lines_follow_the_status(tenant: Tenant) -> None:
    acme, first, second = await _two_invoices(tenant)
    paid = await created(
        await pay(
            tenant.client, payment_body(acme["id"], [(first["id"], 4000), (second["id"], 1000)])
        )
    )
    url = f"/v1/payments/{paid['id']}"
    refunded = await tenant.client.put(f"{url}/processing-status", json={"processing_status": 4})
    assert refunded.status_code == 200 and not refunded.json()["applied"]
    assert await balance(tenant.client, first["id"]) == (10000, "open")
    lines = (
        await tenant.client.get("/v1/payment-receipt-lines", params={"payment_status": 4})
    ).json()
    assert lines["meta"]["total_count"] == 2
    # another payment takes the balance meanwhile; completing the refunded one no longer fits
    await created(await pay(tenant.client, payment_body(acme["id"], [(first["id"], 9000)])))
    back = await tenant.client.put(f"{url}/processing-status", json={"processing_status": 3})
    assert back.status_code == 422 and "4000" in back.text and "1000" in back.text
    assert await balance(tenant.client, first["id"]) == (1000, "partially_paid")
    assert await balance(tenant.client, second["id"]) == (5000, "open")


async def test_reallocation_moves_balances_by_the_difference_in_one_go(tenant: Tenant) -> None:
    acme, first, second = await _two_invoices(tenant)
    paid = await created(await pay(tenant.client, payment_body(acme["id"], [(first["id"], 4000)])))
    url = f"/v1/payments/{paid['id']}/allocations"
    body = payment_body(acme["id"], [(first["id"], 1000), (second["id"], 2500)])
    moved = await tenant.client.put(url, json={"total": 3500, "allocations": body["allocations"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["total"] == 3500
    assert [(x["invoice_id"], x["amount"]) for x in moved.json()["lines"]] == [
        (first["id"], 1000),
        (second["id"], 2500),
    ]
    assert await balance(tenant.client, first["id"]) == (9000, "partially_paid")
    assert await balance(tenant.client, second["id"]) == (2500, "partially_paid")
    receipt = (await tenant.client.get(f"/v1/payment-receipts/{paid['receipt_id']}")).json()
    assert receipt["total"] == 3500
    # refused, and nothing changed: a sum that does not add up, an amount that does not fit
    wrong = await tenant.client.put(url, json={"total": 1, "allocations": body["allocations"]})
    assert wrong.status_code == 422 and "add up to 3500" in wrong.text
    over = payment_body(acme["id"], [(second["id"], 5001)])
    refused = await tenant.client.put(url, json={"total": 5001, "allocations": over["allocations"]})
    assert refused.status_code == 422, refused.text
    assert "5001 is more than the open balance 2500 (+ 2500 this payment holds)" in refused.text
    assert await balance(tenant.client, second["id"]) == (2500, "partially_paid")
    trail = (await tenant.client.get("/v1/b2b-audit", params={"object_id": paid["id"]})).json()
    (entry,) = [e for e in trail["data"] if e["action"] == "payment.reallocated"]
    assert entry["changes"]["total"] == {"from": 4000, "to": 3500}
    assert entry["changes"]["open_balances"] == {"INV-1": 9000, "INV-2": 2500}


async def test_reallocating_a_refunded_payment_moves_no_balance(tenant: Tenant) -> None:
    acme, first, second = await _two_invoices(tenant)
    paid = await created(await pay(tenant.client, payment_body(acme["id"], [(first["id"], 4000)])))
    url = f"/v1/payments/{paid['id']}"
    await tenant.client.put(f"{url}/processing-status", json={"processing_status": 4})
    body = payment_body(acme["id"], [(second["id"], 5000)])
    moved = await tenant.client.put(
        f"{url}/allocations", json={"total": 5000, "allocations": body["allocations"]}
    )
    assert moved.status_code == 200 and not moved.json()["applied"]
    assert await balance(tenant.client, first["id"]) == (10000, "open")
    assert await balance(tenant.client, second["id"]) == (5000, "open")
    back = await tenant.client.put(f"{url}/processing-status", json={"processing_status": 3})
    assert back.status_code == 200 and back.json()["applied"]
    assert await balance(tenant.client, second["id"]) == (0, "completed")
    assert await balance(tenant.client, first["id"]) == (10000, "open")


async def test_revert_and_apply_operations(tenant: Tenant) -> None:
    acme, first, _ = await _two_invoices(tenant)
    paid = await created(await pay(tenant.client, payment_body(acme["id"], [(first["id"], 2500)])))
    url = f"/v1/payments/{paid['id']}/operations"
    assert (await tenant.client.post(url, json={"operation": "apply"})).status_code == 409
    reverted = await tenant.client.post(url, json={"operation": "revert"})
    assert reverted.status_code == 200 and not reverted.json()["applied"]
    assert await balance(tenant.client, first["id"]) == (10000, "open")
    applied = await tenant.client.post(url, json={"operation": "apply"})
    assert applied.status_code == 200 and applied.json()["applied"]
    assert await balance(tenant.client, first["id"]) == (7500, "partially_paid")
    bad = await tenant.client.post(url, json={"operation": "undo"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "operation"


async def test_deleting_a_line_and_a_receipt_restores_balances_and_is_recorded(
    tenant: Tenant,
) -> None:
    acme, first, second = await _two_invoices(tenant)
    paid = await created(
        await pay(
            tenant.client, payment_body(acme["id"], [(first["id"], 4000), (second["id"], 1000)])
        )
    )
    receipt_url = f"/v1/payment-receipts/{paid['receipt_id']}"
    lines = (await tenant.client.get(f"{receipt_url}/lines", params={"sort": "amount"})).json()
    line = lines["data"][0]  # the larger: 4000 on INV-1
    assert line["amount"] == 4000
    gone = await tenant.client.delete(f"{receipt_url}/lines/{line['id']}")
    assert gone.status_code == 200 and gone.json()["id"] == line["id"]
    assert await balance(tenant.client, first["id"]) == (10000, "open")
    assert (await tenant.client.get(f"{receipt_url}/lines/{line['id']}")).status_code == 404
    assert (await tenant.client.get(receipt_url)).json()["total"] == 1000
    assert (await tenant.client.get(f"/v1/payments/{paid['id']}")).json()["total"] == 1000
    assert (await tenant.client.delete(receipt_url)).status_code == 200
    assert await balance(tenant.client, second["id"]) == (5000, "open")
    assert (await tenant.client.get(receipt_url)).status_code == 404
    assert (await tenant.client.delete(receipt_url)).status_code == 404
    listed = (await tenant.client.get("/v1/payment-receipt-lines")).json()
    assert listed["data"] == [] and listed["meta"]["total_count"] == 0
    trail = (await tenant.client.get("/v1/b2b-audit")).json()["data"]
    actions = [e["action"] for e in trail]
    assert actions == [
        "invoice.created",
        "invoice.created",
        "payment.recorded",
        "payment_receipt_line.deleted",
        "payment_receipt.deleted",
    ]
    deleted = next(e for e in trail if e["action"] == "payment_receipt.deleted")
    assert deleted["actor"].startswith("key ") and deleted["object_id"] == paid["receipt_id"]
    assert deleted["changes"]["open_balances"] == {"INV-2": 5000}
    # a payment whose receipt is gone holds nothing: its status and operations still answer
    status = f"/v1/payments/{paid['id']}/processing-status"
    for value in (4, 3):
        moved = await tenant.client.put(status, json={"processing_status": value})
        assert moved.status_code == 200 and moved.json()["lines"] == []
    assert await balance(tenant.client, first["id"]) == (10000, "open")


async def test_invoice_updates_are_non_financial_and_recorded(tenant: Tenant) -> None:
    acme, first, _ = await _two_invoices(tenant)
    url = f"/v1/invoices/{first['id']}"
    money = await tenant.client.patch(url, json={"open_balance": 0})
    assert money.status_code == 422 and money.json()["errors"][0]["loc"] == "open_balance"
    changed = await tenant.client.patch(url, json={"due_date": "2027-01-31"})
    assert changed.status_code == 200 and changed.json()["due_date"] == "2027-01-31"
    trail = (await tenant.client.get("/v1/b2b-audit", params={"object_id": first["id"]})).json()
    assert [e["action"] for e in trail["data"]] == ["invoice.created", "invoice.updated"]
    assert trail["data"][1]["changes"] == {"due_date": {"from": None, "to": "2027-01-31"}}
    clash = await tenant.client.post(
        "/v1/invoices",
        json={"invoice_number": "INV-1", "customer_id": acme["id"], "currency": "USD", "amount": 1},
    )
    assert clash.status_code == 409


async def test_each_change_emits_its_audit_entry_as_an_event(tenant: Tenant, db: Database) -> None:
    acme, first, _ = await _two_invoices(tenant)
    refused = await pay(tenant.client, payment_body(acme["id"], [(first["id"], 10001)]))
    assert refused.status_code == 422
    paid = await created(await pay(tenant.client, payment_body(acme["id"], [(first["id"], 700)])))

    async def events(conn: Connection) -> list[tuple[str, dict[str, Any]]]:
        rows = await conn.fetchall(
            "SELECT type, data FROM events WHERE merchant_id = :m"
            " AND (type LIKE 'invoice.%' OR type LIKE 'payment.%') ORDER BY id",
            {"m": tenant.id},
        )
        return [(r["type"], json.loads(r["data"])) for r in rows]

    found = await run(db, events, write=False)
    assert [t for t, _ in found] == ["invoice.created", "invoice.created", "payment.recorded"]
    recorded = found[-1][1]
    assert recorded["object_id"] == paid["id"] and recorded["actor"].startswith("key ")
    assert recorded["changes"]["open_balances"] == {"INV-1": 9300}
    trail = (await tenant.client.get("/v1/b2b-audit", params={"object_id": paid["id"]})).json()
    assert trail["data"] == [recorded]


async def test_every_sort_pages_through_every_row_once(tenant: Tenant) -> None:
    acme = await company(tenant.client)
    due = [None, "2027-01-31", None, "2026-12-31", "2027-01-31"]
    made = []
    for n, day in enumerate(due):
        invoice = await make_invoice(tenant.client, acme["id"], f"S-{n}", 1000 + n % 2)
        if day:
            await tenant.client.patch(f"/v1/invoices/{invoice['id']}", json={"due_date": day})
        made.append(invoice["id"])
        body = payment_body(acme["id"], [(invoice["id"], 100 + n % 2)])
        await created(await pay(tenant.client, {**body, "external_customer_id": day}))
    sorts = {
        "/v1/invoices": ["due_date", "amount", "open_balance", "updated_at"],
        "/v1/payment-receipts": ["external_customer_id", "total", "customer_id", "updated_at"],
        "/v1/payment-receipt-lines": ["external_customer_id", "amount", "invoice_seq"],
    }
    for path, names in sorts.items():
        for sort in names:
            for order in ("asc", "desc"):
                pages = await all_pages(tenant.client, path, 2, sort=sort, order=order)
                ids = [row["id"] for page in pages for row in page]
                assert len(ids) == len(set(ids)) == 5, (path, sort, order)
                offset = await tenant.client.get(
                    path, params={"sort": sort, "order": order, "limit": 5}
                )
                assert [r["id"] for r in offset.json()["data"]] == ids, (path, sort, order)
