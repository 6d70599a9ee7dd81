"""Purchase receipts: ingest, read, query, claim."""

from __future__ import annotations

import builtins
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Annotated

from msgspec import Meta

from tillroll.branches.service import branch as branch_service
from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound, TillrollError
from tillroll.events.service import emit
from tillroll.kit.clock import check_moment, parse_relative, utc_now
from tillroll.kit.db import Connection
from tillroll.kit.pagination import decode_cursor, encode_cursor
from tillroll.kit.schemas import Page, ProblemError
from tillroll.kit.viewer import Viewer
from tillroll.receipts import references
from tillroll.receipts.events import RECEIPT_CLAIMED, summary
from tillroll.receipts.ingest import Checked as Checked  # a service type
from tillroll.receipts.ingest import Outcome, check, ingest
from tillroll.receipts.repository import ReceiptFilter as ReceiptFilter  # a service type
from tillroll.receipts.repository import ReceiptRepository
from tillroll.receipts.rules import quantity_micro
from tillroll.receipts.schemas import (
    BatchItem,
    BatchResult,
    CustomerRef,
    ItemError,
    Line,
    Receipt,
    ReceiptCreate,
    ReceiptFilters,
    ReceiptQuery,
)


class ReceiptService:
    def check(self, bodies: builtins.list[ReceiptCreate]) -> builtins.list[Checked]:
        """What the bodies alone decide (rules, content hash): CPU only, to run before the
        transaction and hand to `create` / `create_batch`."""
        return check(bodies)

    async def create(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        body: ReceiptCreate,
        checked: list[Checked] | None = None,
    ) -> tuple[Receipt, bool]:
        """Store one receipt; (receipt, True) if new, (stored receipt, False) if a replay.
        `checked`: its `ingest.check`, when made before the transaction."""
        [outcome] = await ingest(conn, merchant_id, [body], checked)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.receipt is not None
        return outcome.receipt, outcome.status == 201

    async def create_batch(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        bodies: list[ReceiptCreate],
        checked: list[Checked] | None = None,
    ) -> BatchResult:
        outcomes = await ingest(conn, merchant_id, bodies, checked)
        return BatchResult(results=[_batch_item(i, o) for i, o in enumerate(outcomes)])

    async def get(self, conn: Connection, viewer: Viewer, receipt_id: uuid.UUID) -> Receipt:
        found = await references.get_many(conn, viewer.merchant_id, [receipt_id])
        if not found or not viewer.sees(_owner(found[0])):
            raise NotFound(f"No receipt {receipt_id}.")
        return found[0]

    async def list(self, conn: Connection, viewer: Viewer, query: ReceiptQuery) -> Page[Receipt]:
        where = await self.filter(conn, viewer, query)
        where = replace(where, before=_after(query.cursor))
        rows = await references.page(conn, viewer.merchant_id, where, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        cursor = encode_cursor(rows[-1].issued_at.isoformat(), rows[-1].number) if more else None
        return Page(data=rows, next_cursor=cursor)

    async def window(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        where: ReceiptFilter,
        offset: int,
        limit: int,
    ) -> builtins.list[Receipt]:
        """Receipts by position, oldest first (the export's order): skip `offset`, take `limit`."""
        ids = await ReceiptRepository.of(conn).window_ids(merchant_id, where, offset, limit)
        return await references.get_many(conn, merchant_id, ids)

    async def count(self, conn: Connection, merchant_id: uuid.UUID, where: ReceiptFilter) -> int:
        """How many receipts `where` matches."""
        return await ReceiptRepository.of(conn).count(merchant_id, where)

    async def by_number(self, conn: Connection, viewer: Viewer, number: int) -> Receipt:
        """By the per-merchant sequential `number` (the integer id facades show)."""
        receipt_id = await ReceiptRepository.of(conn).id_by_number(viewer.merchant_id, number)
        if receipt_id is None:
            raise NotFound(f"No receipt number {number}.")
        try:
            return await self.get(conn, viewer, receipt_id)
        except NotFound:
            raise NotFound(f"No receipt number {number}.") from None

    async def line_to_return(
        self, conn: Connection, merchant_id: uuid.UUID, external_id: str, sku: str, quantity: str
    ) -> int | None:
        """The `line_no` of the line with `sku` on receipt `external_id` that a return of
        `quantity` (positive) gives back: the first with that much left, else the first."""
        lines = await ReceiptRepository.of(conn).lines_by_sku(merchant_id, external_id, sku)
        wanted = quantity_micro(quantity)
        for line_no, bought, returned in lines:
            if bought - returned >= wanted:
                return line_no
        return lines[0][0] if lines else None

    async def filter(
        self, conn: Connection, viewer: Viewer, query: ReceiptFilters
    ) -> ReceiptFilter:
        """The query as a filter, narrowed to what `viewer` sees (one that matches nothing
        for an unknown branch code, or for a shopper asking for another customer)."""
        if query.branch_id is not None and query.branch_code is not None:
            raise InvalidInput.fields(
                [FieldError("query.branch_code", "give branch_id or branch_code, not both")]
            )
        visible, customer_id = viewer.customer_filter(query.customer_id)
        if not visible:
            return ReceiptFilter(nothing=True)
        branch_id = query.branch_id
        if query.branch_code is not None:
            branch = await branch_service.find(conn, viewer.merchant_id, "code", query.branch_code)
            if branch is None:
                return ReceiptFilter(nothing=True)
            branch_id = branch.id
        issued_from = check_moment("query.issued_from", query.issued_from)
        issued_to = check_moment("query.issued_to", query.issued_to)
        if query.issued_from_relative is not None:
            loc = "query.issued_from_relative"
            issued_from = check_moment(loc, parse_relative(query.issued_from_relative, field=loc))
        if query.issued_to_relative is not None:
            loc = "query.issued_to_relative"
            issued_to = check_moment(loc, parse_relative(query.issued_to_relative, field=loc))
        return ReceiptFilter(
            customer_id=customer_id,
            branch_id=branch_id,
            external_id=query.external_id,
            type=query.type,
            order_status=tuple(query.order_status) if query.order_status else None,
            issued_from=issued_from,
            issued_to=issued_to,
        )

    async def lines_of(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_ids: builtins.list[uuid.UUID]
    ) -> dict[uuid.UUID, builtins.list[Line]]:
        """The lines of receipts by id, readable in the storing transaction already (the
        `receipt.created` listeners run before the receipt rows are written)."""
        return await ReceiptRepository.of(conn).lines_of(merchant_id, receipt_ids)

    async def set_order_status(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID, status: str
    ) -> None:
        """Keep an online receipt's order status (derived and set by the orders domain)."""
        await ReceiptRepository.of(conn).set_order_status(merchant_id, receipt_id, status)

    async def claim(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID, ref: CustomerRef
    ) -> Receipt:
        """Attach an anonymous receipt to a customer, once."""
        merchant = Viewer(merchant_id)
        await self.get(conn, merchant, receipt_id)
        customer = await _resolve_customer(conn, merchant_id, ref)
        if not await ReceiptRepository.of(conn).claim(merchant_id, receipt_id, customer, utc_now()):
            raise Conflict("The receipt already belongs to a customer; a claim happens once.")
        claimed = await self.get(conn, merchant, receipt_id)
        await emit(conn, merchant_id, RECEIPT_CLAIMED, summary(claimed))
        return claimed


async def _resolve_customer(
    conn: Connection, merchant_id: uuid.UUID, ref: CustomerRef
) -> uuid.UUID:
    given = {k: v for k in ("id", "external_id", "member_number") if (v := getattr(ref, k))}
    if len(given) != 1:
        raise InvalidInput.field("customer", "give exactly one of id, external_id, member_number")
    [(column, value)] = given.items()
    if column == "id":
        try:
            return (await customer_service.get(conn, merchant_id, value)).id
        except NotFound:
            raise InvalidInput.field("customer.id", f"no customer with id {value}") from None
    found = await customer_service.find(conn, merchant_id, column, value)
    if found is None:
        raise InvalidInput.field(f"customer.{column}", f"no customer with {column} {value}")
    return found.id


def _after(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    issued_at, number = decode_cursor(cursor, (_CursorTime, _CursorNumber))
    check_moment("query.cursor", issued_at)
    return issued_at, number


_CursorTime = Annotated[datetime, Meta(tz=True)]
_CursorNumber = Annotated[int, Meta(ge=0, le=2**63 - 1)]


def _owner(receipt: Receipt) -> uuid.UUID | None:
    return receipt.customer.id if receipt.customer else None


def _batch_item(index: int, outcome: Outcome) -> BatchItem:
    error: TillrollError | None = outcome.error
    return BatchItem(
        index=index,
        status=outcome.status,
        receipt=outcome.receipt,
        error=None
        if error is None
        else ItemError(
            status=error.status,
            code=error.code,
            detail=error.detail,
            errors=[ProblemError(loc=e.loc, message=e.message) for e in error.errors],
        ),
    )


receipt = ReceiptService()
