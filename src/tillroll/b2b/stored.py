"""Rows → schemas, and the list pages every b2b list answers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from tillroll.b2b.repository import B2BRepository, Filter, Listing, Totals
from tillroll.b2b.schemas import (
    Invoice,
    InvoiceStatus,
    LinePage,
    ListMeta,
    Payment,
    Receipt,
    ReceiptLine,
    ReceiptPage,
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
    return read(rows), cursor, _meta_of(await repo.totals(table, amount, where), listing)


def _meta_of(sums: Sequence[Totals], listing: Listing) -> ListMeta:
    return ListMeta(
        total_count=sum(r.n for r in sums),
        offset=listing.offset,
        limit=listing.limit,
        totals=[Total(currency=r.currency, amount=r.total) for r in sums],
    )


class RawPage(msgspec.Struct):
    """A page whose rows are the JSON array the database built (`B2BRepository.page_json`):
    the same document as the typed page, answered without a row decoded or encoded in
    Python."""

    data: msgspec.Raw
    next_cursor: str | None
    meta: ListMeta


P = TypeVar("P", ReceiptPage, LinePage)


async def typed_page(
    repo: B2BRepository,
    table: Table,
    schema: type[S],
    page: type[P],
    where: Filter,
    listing: Listing,
) -> P:
    """A page of receipts or lines as structs, decoded from the database's JSON (one call)."""
    raw = await answer_page(repo, table, schema, where, listing)
    items = _decoder(schema).decode(raw.data)
    return page(data=items, next_cursor=raw.next_cursor, meta=raw.meta)


async def answer_page(
    repo: B2BRepository, table: Table, schema: type[S], where: Filter, listing: Listing
) -> RawPage:
    """The page as a list endpoint answers it: its rows' JSON as the database built it."""
    body, cursor, sums = await repo.page_json(
        table, _FIELDS[schema], _AMOUNT[schema], where, listing
    )
    return RawPage(data=msgspec.Raw(body), next_cursor=cursor, meta=_meta_of(sums, listing))


_FIELDS: dict[type, list[str]] = {Receipt: RECEIPT_COLUMNS, ReceiptLine: LINE_COLUMNS}
_AMOUNT = {Receipt: "total", ReceiptLine: "amount"}


@functools.cache
def _decoder(schema: type[S]) -> msgspec.json.Decoder[list[S]]:
    return msgspec.json.Decoder(list[schema])  # type: ignore[valid-type]


def page_kwargs(items: list[Any], cursor: str | None, meta: ListMeta) -> dict[str, Any]:
    return {"data": items, "next_cursor": cursor, "meta": meta}
