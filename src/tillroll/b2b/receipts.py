"""Payment receipts and their lines: queries (filters, sort, search, totals) and deletions.

A deletion is kept honest: it is recorded in the trail, the invoice balances the deleted
lines held are given back, and the rows disappear from every query (`deleted_at`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tillroll.b2b import audit
from tillroll.b2b.payments import release
from tillroll.b2b.repository import LIVE, B2BRepository, Filter, Listing
from tillroll.b2b.schemas import (
    Deleted,
    LinePage,
    LineQuery,
    Receipt,
    ReceiptLine,
    ReceiptPage,
    ReceiptQuery,
    SearchField,
)
from tillroll.b2b.stored import (
    LINE_COLUMNS,
    RECEIPT_COLUMNS,
    RawPage,
    answer_page,
    read_line,
    read_receipt,
    typed_page,
)
from tillroll.b2b.tables import LINES, RECEIPTS
from tillroll.errors import NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection

SEARCHED: tuple[SearchField, ...] = (
    "payer_name",
    "reference_number",
    "external_id",
    "external_customer_id",
    "customer_ref",
)


def _search(
    where: Filter, q: str | None, field: SearchField | None, also: Mapping[str, Any] | None = None
) -> Filter:
    return where.prefix([field] if field else SEARCHED, q, also)


def _listing(query: ReceiptQuery | LineQuery) -> Listing:
    return Listing(query.sort, query.order, query.offset, query.limit, query.cursor)


def _receipts(merchant_id: uuid.UUID, query: ReceiptQuery) -> tuple[Filter, Listing]:
    where = (
        Filter(merchant_id)
        .raw(LIVE)
        .among("payment_status", query.payment_status)
        .equal("customer_id", query.customer_id)
        .equal("payer_customer_id", query.payer_customer_id)
    )
    return _search(where, query.q, query.search_by), _listing(query)


def _lines(
    merchant_id: uuid.UUID,
    query: LineQuery,
    receipt_id: uuid.UUID | None,
    also: Mapping[str, Any] | None,
) -> tuple[Filter, Listing]:
    where = (
        Filter(merchant_id)
        .raw(LIVE)
        .equal("receipt_id", receipt_id)
        .among("payment_status", query.payment_status)
        .equal("customer_id", query.customer_id)
        .equal("payer_customer_id", query.payer_customer_id)
        .equal("invoice_id", query.invoice_id)
    )
    return _search(where, query.q, query.search_by, also), _listing(query)


class ReceiptService:
    async def get(self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID) -> Receipt:
        return await self._one(conn, Filter(merchant_id).equal("id", receipt_id), receipt_id)

    async def by_number(self, conn: Connection, merchant_id: uuid.UUID, number: int) -> Receipt:
        return await self._one(conn, Filter(merchant_id).equal("number", number), number)

    async def _one(self, conn: Connection, where: Filter, shown: object) -> Receipt:
        row = await B2BRepository.of(conn).one(RECEIPTS, RECEIPT_COLUMNS, where.raw(LIVE))
        if row is None:
            raise NotFound(f"No payment receipt {shown}.")
        return read_receipt(row)

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, query: ReceiptQuery
    ) -> ReceiptPage:
        where, listing = _receipts(merchant_id, query)
        return await typed_page(
            B2BRepository.of(conn), RECEIPTS, Receipt, ReceiptPage, where, listing
        )

    async def list_answer(
        self, conn: Connection, merchant_id: uuid.UUID, query: ReceiptQuery
    ) -> RawPage:
        """`list` as the native API answers it (`stored.answer_page`)."""
        where, listing = _receipts(merchant_id, query)
        repo = B2BRepository.of(conn)
        return await answer_page(repo, RECEIPTS, Receipt, where, listing)

    async def line(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        receipt_id: uuid.UUID | None,
        line_id: uuid.UUID | None = None,
        number: int | None = None,
    ) -> ReceiptLine:
        """A live line by id or number (of `receipt_id`, when given)."""
        where = Filter(merchant_id).raw(LIVE).equal("receipt_id", receipt_id)
        where.equal("id", line_id).equal("number", number)
        row = await B2BRepository.of(conn).one(LINES, LINE_COLUMNS, where)
        if row is None:
            raise NotFound(f"No receipt line {line_id or number}.")
        return read_line(row)

    async def lines(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        query: LineQuery,
        receipt_id: uuid.UUID | None = None,
        *,
        also: Mapping[str, Any] | None = None,
    ) -> LinePage:
        """Lines of every receipt, or of one (404 when it is not a live receipt). `also`:
        columns whose value equal to it matches `q` too (the BC facade's search of every
        field: a payer or invoice `q` names)."""
        if receipt_id is not None:
            await self.get(conn, merchant_id, receipt_id)
        where, listing = _lines(merchant_id, query, receipt_id, also)
        return await typed_page(
            B2BRepository.of(conn), LINES, ReceiptLine, LinePage, where, listing
        )

    async def lines_answer(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        query: LineQuery,
        receipt_id: uuid.UUID | None = None,
    ) -> RawPage:
        """`lines` as the native API answers it (`stored.answer_page`)."""
        if receipt_id is not None:
            await self.get(conn, merchant_id, receipt_id)
        where, listing = _lines(merchant_id, query, receipt_id, None)
        return await answer_page(B2BRepository.of(conn), LINES, ReceiptLine, where, listing)

    async def delete(
        self, conn: Connection, merchant_id: uuid.UUID, actor: str, receipt_id: uuid.UUID
    ) -> Deleted:
        """Delete a receipt with its lines; the balances they held are given back."""
        repo = B2BRepository.of(conn)
        found = await self.get(conn, merchant_id, receipt_id)
        await repo.lock_payment(merchant_id, found.payment_id, ["id"])
        receipt = await self.get(conn, merchant_id, receipt_id)  # still live once locked
        rows = await repo.live_lines(merchant_id, [receipt.payment_id], LINE_COLUMNS)
        lines = [read_line(r) for r in rows]
        now = utc_now()
        balances = await release(conn, merchant_id, receipt.payment_id, lines, now)
        gone = {"deleted_at": now, "updated_at": now}
        await repo.update(RECEIPTS, merchant_id, [receipt_id], gone)
        await repo.update(LINES, merchant_id, [line.id for line in lines], gone)
        changes = {
            "payment_id": receipt.payment_id,
            "total": receipt.total,
            "lines": [{"id": x.id, "invoice_id": x.invoice_id, "amount": x.amount} for x in lines],
            "open_balances": balances,
        }
        await audit.record(
            conn,
            merchant_id,
            actor,
            "payment_receipt.deleted",
            ("payment_receipt", receipt_id),
            changes,
        )
        return Deleted(id=receipt_id, deleted_at=now)

    async def delete_line(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        actor: str,
        receipt_id: uuid.UUID,
        line_id: uuid.UUID,
    ) -> Deleted:
        """Delete one line; its invoice gets its amount back; the receipt's total drops."""
        repo = B2BRepository.of(conn)
        found = await self.line(conn, merchant_id, receipt_id, line_id)
        await repo.lock_payment(merchant_id, found.payment_id, ["id"])
        line = await self.line(conn, merchant_id, receipt_id, line_id)  # still live once locked
        now = utc_now()
        balances = await release(conn, merchant_id, line.payment_id, [line], now)
        await repo.update(LINES, merchant_id, [line_id], {"deleted_at": now, "updated_at": now})
        changes = {
            "receipt_id": receipt_id,
            "invoice_id": line.invoice_id,
            "amount": line.amount,
            "open_balances": balances,
        }
        await audit.record(
            conn,
            merchant_id,
            actor,
            "payment_receipt_line.deleted",
            ("payment_receipt_line", line_id),
            changes,
        )
        return Deleted(id=line_id, deleted_at=now)


receipt = ReceiptService()
