"""List pages of receipts and lines: the JSON SQLite builds for a page (answered as it is) is
the document the row-by-row path gives, on every sort, search, cursor and page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from tests.b2b.helpers import company, make_invoice, pay, payment_body
from tests.conftest import Tenant
from tests.factories import created
from tillroll.b2b.receipts import _lines, _receipts
from tillroll.b2b.repository import B2BRepository
from tillroll.b2b.schemas import LineQuery, Receipt, ReceiptLine, ReceiptQuery
from tillroll.b2b.stored import LINE_COLUMNS, RECEIPT_COLUMNS, paged, read_lines, read_receipts
from tillroll.b2b.tables import LINES, RECEIPTS
from tillroll.kit.db import Connection, Database, run

ODD = 'Ünïcødé "quoted" \\ back\tslash \U0001f9fe'


async def _paid(tenant: Tenant, db: Database) -> None:
    """Five payments of two lines; one payer name with quotes, escapes and non-ASCII; one
    line and one receipt on an exact second (no microseconds), one on microseconds."""
    acme = await company(tenant.client)
    invoices = [
        (await make_invoice(tenant.client, acme["id"], f"J-{n}", 100_000))["id"] for n in range(2)
    ]
    for n in range(5):
        body = payment_body(
            acme["id"],
            [(invoices[0], 100 + n), (invoices[1], 300 - n)],
            payer_name=ODD if n == 2 else f"Payer {n}",
            reference_number=f"REF-{n % 3}",
            external_customer_id="X-1" if n % 2 else None,
        )
        await created(await pay(tenant.client, body))

    async def stamp(conn: Connection) -> None:
        exact = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
        fine = datetime(2026, 3, 1, 12, 0, 0, 120, tzinfo=UTC)
        for table in (LINES.name, RECEIPTS.name):
            first = await conn.fetchval(
                f"SELECT MIN(number) FROM {table} WHERE merchant_id = :m", {"m": tenant.id}
            )
            for number, moment in ((first, exact), (first + 1, fine)):
                await conn.execute(
                    f"UPDATE {table} SET created_at = :t, updated_at = :t "
                    "WHERE merchant_id = :m AND number = :n",
                    {"t": moment, "m": tenant.id, "n": number},
                )

    await run(db, stamp, write=True)


async def _by_rows(db: Database, tenant: Tenant, path: str, params: dict[str, Any]) -> Any:
    """The page as the row-by-row path reads it (each value converted, then encoded)."""

    async def read(conn: Connection) -> Any:
        repo = B2BRepository.of(conn)
        found: tuple[list[Any], str | None, Any]
        if path.endswith("lines"):
            where, listing = _lines(tenant.id, msgspec.convert(params, LineQuery), None, None)
            found = await paged(repo, LINES, LINE_COLUMNS, read_lines, where, listing, "amount")
        else:
            where, listing = _receipts(tenant.id, msgspec.convert(params, ReceiptQuery))
            found = await paged(
                repo, RECEIPTS, RECEIPT_COLUMNS, read_receipts, where, listing, "total"
            )
        items, cursor, meta = found
        return {"data": items, "next_cursor": cursor, "meta": meta}

    return msgspec.json.decode(msgspec.json.encode(await run(db, read, write=False)))


async def test_a_json_page_is_the_document_of_its_rows(tenant: Tenant, db: Database) -> None:
    await _paid(tenant, db)
    queries: list[dict[str, Any]] = [
        {},
        {"sort": "amount", "order": "asc", "limit": 3},
        {"sort": "created_at", "order": "asc", "limit": 4},
        {"sort": "external_customer_id", "limit": 2},
        {"q": "REF-1", "search_by": "reference_number", "sort": "amount"},
        {"q": "Ünï"},
    ]
    for path in ("/v1/payment-receipt-lines", "/v1/payment-receipts"):
        for query in queries:
            params = dict(query)
            if path.endswith("receipts") and params.get("sort") == "amount":
                params["sort"] = "total"
            pages = 0
            while True:
                answered = await tenant.client.get(path, params=params)
                assert answered.status_code == 200, answered.text
                expected = await _by_rows(db, tenant, path, params)
                assert answered.json() == expected, (path, params)
                pages += 1
                if not expected["next_cursor"]:
                    break
                params = {**params, "cursor": expected["next_cursor"]}
            assert pages > 1 or "limit" not in query


async def test_times_are_written_as_the_other_endpoints_write_them(
    tenant: Tenant, db: Database
) -> None:
    await _paid(tenant, db)
    page = (await tenant.client.get("/v1/payment-receipt-lines", params={"order": "asc"})).json()
    one = (await tenant.client.get(f"/v1/payment-receipts/{page['data'][0]['receipt_id']}")).json()
    stamps = [row["created_at"] for row in page["data"][:2]]
    assert stamps == ["2026-03-01T12:00:00Z", "2026-03-01T12:00:00.000120Z"]
    assert one["created_at"] == "2026-03-01T12:00:00Z"  # the single receipt, a struct encoded
    assert ODD in {row["payer_name"] for row in page["data"]}
    kinds: dict[str, Any] = {
        "/v1/payment-receipts": (list[Receipt], 5),
        "/v1/payment-receipt-lines": (list[ReceiptLine], 10),
    }
    for path, (kind, count) in kinds.items():  # the answered rows decode as the schema, strictly
        body = (await tenant.client.get(path)).content
        rows = msgspec.json.decode(body, type=dict[str, msgspec.Raw])["data"]
        assert len(msgspec.json.decode(rows, type=kind, strict=True)) == count
