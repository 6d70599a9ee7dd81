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


def _converter(names: Sequence[str], schema: type[S], strict: bool = True) -> Callable[[Row], S]:
    """Row → schema in one C call; ids and times given as text (SQLite pages) are parsed,
    and with `strict=False` SQLite's 0/1 booleans too."""
    chosen = tuple(names)
    return lambda row: msgspec.convert(
        dict(zip(chosen, row, strict=False)),  # type: ignore[call-overload]
        schema,
        strict=strict,
    )


def read_invoice(row: Row) -> Invoice:
    values = dict(zip(INVOICE_COLUMNS, row, strict=False))  # type: ignore[call-overload]
    values["status"] = invoice_status(values["amount"], values["open_balance"])
    return msgspec.convert(values, Invoice)


read_payment: Callable[[Row], Payment] = _converter(PAYMENT_COLUMNS, Payment, strict=False)
read_receipt: Callable[[Row], Receipt] = _converter(RECEIPT_COLUMNS, Receipt)
read_line: Callable[[Row], ReceiptLine] = _converter(LINE_COLUMNS, ReceiptLine)


async def paged(
    repo: B2BRepository,
    table: Table,
    names: Sequence[str],
    read: Callable[[Row], S],
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
    return [read(r) for r in rows], cursor, meta


def page_kwargs(items: list[Any], cursor: str | None, meta: ListMeta) -> dict[str, Any]:
    return {"data": items, "next_cursor": cursor, "meta": meta}
