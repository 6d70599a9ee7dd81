"""Rows → schemas, and the list pages every b2b list answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from tillroll.b2b.repository import B2BRepository, Filter, Listing
from tillroll.b2b.schemas import (
    Invoice,
    InvoiceStatus,
    ListMeta,
    Payment,
    Receipt,
    ReceiptLine,
    Total,
)
from tillroll.b2b.tables import INVOICES, PAYMENTS
from tillroll.kit.db import Row
from tillroll.kit.tables import Table

S = TypeVar("S", bound=msgspec.Struct)

INVOICE_COLUMNS = [n for n in INVOICES.names if n != "merchant_id"]
PAYMENT_COLUMNS = [n for n in PAYMENTS.names if n != "merchant_id"]
RECEIPT_COLUMNS = list(Receipt.__struct_fields__)
LINE_COLUMNS = list(ReceiptLine.__struct_fields__)


def invoice_status(amount: int, open_balance: int) -> InvoiceStatus:
    if open_balance <= 0:
        return "completed"
    return "open" if open_balance >= amount else "partially_paid"


Reader = Callable[[Sequence[Row]], list[S]]


def _converter(
    names: Sequence[str], schema: type[S], strict: bool = True, status: bool = False
) -> Callable[[Sequence[Row]], list[S]]:
    """Rows → schemas in one C call; ids and times given as text (SQLite pages) are parsed,
    with `strict=False` SQLite's 0/1 booleans too; `status`: an invoice's, derived."""
    chosen, kind = tuple(names), list[schema]  # type: ignore[valid-type]

    def read(rows: Sequence[Row]) -> list[S]:
        values = [dict(zip(chosen, r, strict=False)) for r in rows]  # type: ignore[call-overload]
        if status:
            for v in values:
                v["status"] = invoice_status(v["amount"], v["open_balance"])
        return msgspec.convert(values, kind, strict=strict)

    return read


read_invoices: Reader[Invoice] = _converter(INVOICE_COLUMNS, Invoice, status=True)
read_payments: Reader[Payment] = _converter(PAYMENT_COLUMNS, Payment, strict=False)
read_receipts: Reader[Receipt] = _converter(RECEIPT_COLUMNS, Receipt)
read_lines: Reader[ReceiptLine] = _converter(LINE_COLUMNS, ReceiptLine)


def read_invoice(row: Row) -> Invoice:
    return read_invoices([row])[0]


def read_payment(row: Row) -> Payment:
    return read_payments([row])[0]


def read_receipt(row: Row) -> Receipt:
    return read_receipts([row])[0]


def read_line(row: Row) -> ReceiptLine:
    return read_lines([row])[0]


async def paged(
    repo: B2BRepository,
    table: Table,
    names: Sequence[str],
    read: Reader[S],
    where: Filter,
    listing: Listing,
    amount: str,
) -> tuple[list[S], str | None, ListMeta]:
    """One page of `table` with its cursor and the totals of every matching row."""
    rows, cursor = await repo.page(table, names, where, listing)
    sums = await repo.totals(table, amount, where)
    meta = ListMeta(
        total_count=sum(int(r["n"]) for r in sums),
        offset=listing.offset,
        limit=listing.limit,
        totals=[Total(currency=r["currency"], amount=int(r["total"])) for r in sums],
    )
    return read(rows), cursor, meta


def page_kwargs(items: list[Any], cursor: str | None, meta: ListMeta) -> dict[str, Any]:
    return {"data": items, "next_cursor": cursor, "meta": meta}
