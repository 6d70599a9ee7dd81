"""List pages of receipts and lines: the JSON the database builds for a page (answered as it
is; SQLite's `json_object`, PostgreSQL's `format`) is the document the row-by-row path gives,
on every sort, order, search, filter, cursor and offset; decoded, it is the same structs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, get_args

import msgspec

from tests.b2b.helpers import company, make_invoice, pay, payment_body
from tests.conftest import Tenant
from tests.factories import created
from tillroll.b2b.receipts import _lines, _receipts
from tillroll.b2b.repository import B2BRepository
from tillroll.b2b.schemas import (
    LinePage,
    LineQuery,
    LineSort,
    Receipt,
    ReceiptLine,
    ReceiptPage,
    ReceiptQuery,
    ReceiptSort,
)
from tillroll.b2b.stored import (
    LINE_COLUMNS,
    RECEIPT_COLUMNS,
    paged,
    read_lines,
    read_receipts,
    typed_page,
)
from tillroll.b2b.tables import LINES, RECEIPTS
from tillroll.kit.db import Connection, Database, run

ODD = 'Ünïcødé "quoted" \\ back\tslash \U0001f9fe'


async def _paid(tenant: Tenant, db: Database) -> str:
    """Five payments of two lines, and one in EUR; one payer name with quotes, escapes and
    non-ASCII; one line and one receipt on an exact second (no microseconds), one on
    microseconds. Returns the id of a receipt."""
    acme = await company(tenant.client)
    euro = (await make_invoice(tenant.client, acme["id"], "J-EUR", 5_000, "EUR"))["id"]
    body = payment_body(acme["id"], [(euro, 700)], "EUR", reference_number="REF-1")
    receipt = (await created(await pay(tenant.client, body)))["receipt_id"]
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
    return str(receipt)


async def _by_rows(
    db: Database, tenant: Tenant, path: str, params: dict[str, Any], receipt: str | None
) -> tuple[Any, Any]:
    """The page as the row-by-row path reads it (each value converted, then encoded), and
    the page as structs decoded from the database's JSON (what the facade translates)."""

    async def read(conn: Connection) -> tuple[Any, Any]:
        repo = B2BRepository.of(conn)
        if path.endswith("lines"):
            query = msgspec.convert(params, LineQuery)
            of = uuid.UUID(receipt) if receipt else None
            where, listing = _lines(tenant.id, query, of, None)
            items: Any = await paged(
                repo, LINES, LINE_COLUMNS, read_lines, where, listing, "amount"
            )
            typed: Any = await typed_page(repo, LINES, ReceiptLine, LinePage, where, listing)
        else:
            where, listing = _receipts(tenant.id, msgspec.convert(params, ReceiptQuery))
            items = await paged(
                repo, RECEIPTS, RECEIPT_COLUMNS, read_receipts, where, listing, "total"
            )
            typed = await typed_page(repo, RECEIPTS, Receipt, ReceiptPage, where, listing)
        return dict(zip(("data", "next_cursor", "meta"), items, strict=True)), typed

    rows, typed = await run(db, read, write=False)
    assert typed.data == rows["data"] and typed.meta == rows["meta"], (path, params)
    assert typed.next_cursor == rows["next_cursor"]
    return msgspec.json.decode(msgspec.json.encode(rows)), rows["next_cursor"]


def _queries(sorts: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every sort in both orders by pages of 3, and searches, filters and offsets."""
    queries: list[dict[str, Any]] = [
        {"sort": sort, "order": order, "limit": 3} for sort in sorts for order in ("asc", "desc")
    ]
    return [
        *queries,
        {},
        {"q": "REF-1", "search_by": "reference_number", "sort": sorts[-1]},
        {"q": "Ünï"},
        {"q": "X-", "search_by": "external_customer_id", "limit": 2},
        {"payment_status": [3, 4], "limit": 4, "offset": 2},
        {"offset": 3, "limit": 2, "order": "asc"},
        {"offset": 50},
        {"q": "nothing matches"},
    ]


async def test_a_json_page_is_the_document_of_its_rows(tenant: Tenant, db: Database) -> None:
    receipt = await _paid(tenant, db)
    lists = {
        "/v1/payment-receipt-lines": (get_args(LineSort), None),
        f"/v1/payment-receipts/{receipt}/lines": (get_args(LineSort), receipt),
        "/v1/payment-receipts": (get_args(ReceiptSort), None),
    }
    for path, (sorts, of) in lists.items():
        for query in _queries(sorts):
            params, pages = dict(query), 0
            while True:
                answered = await tenant.client.get(path, params=params)
                assert answered.status_code == 200, answered.text
                expected, cursor = await _by_rows(db, tenant, path, params, of)
                assert answered.json() == expected, (path, params)
                pages += 1
                if not cursor:
                    break
                params = {**params, "cursor": cursor}
            assert pages > 1 or of or query.get("limit", 50) >= 4 or "q" in query, (path, query)


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
        "/v1/payment-receipts": (list[Receipt], 6),
        "/v1/payment-receipt-lines": (list[ReceiptLine], 11),
    }
    for path, (kind, count) in kinds.items():  # the answered rows decode as the schema, strictly
        body = (await tenant.client.get(path)).content
        rows = msgspec.json.decode(body, type=dict[str, msgspec.Raw])["data"]
        assert len(msgspec.json.decode(rows, type=kind, strict=True)) == count
