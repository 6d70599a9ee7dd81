from __future__ import annotations

import uuid

from starlette.responses import StreamingResponse

from tillroll.customers.service import customer as customer_service
from tillroll.documents.service import documents
from tillroll.kit import group
from tillroll.kit.db import Connection
from tillroll.kit.group import Later
from tillroll.kit.http import Access, Call, Reply, Router
from tillroll.kit.schemas import Page
from tillroll.receipts.export import Window, stream_csv, stream_jsonl
from tillroll.receipts.schemas import (
    BatchResult,
    ClaimBody,
    Receipt,
    ReceiptBatch,
    ReceiptCreate,
    ReceiptFilters,
    ReceiptQuery,
)
from tillroll.receipts.service import Checked
from tillroll.receipts.service import receipt as receipt_service
from tillroll.wallets.receipt_view import with_wallets

router = Router("/v1/receipts", tag="receipts")
by_customer = Router("/v1/customers", tag="receipts")


def _check_one(body: ReceiptCreate) -> list[Checked]:
    return receipt_service.check([body])


def _check_batch(body: ReceiptBatch) -> list[Checked]:
    return receipt_service.check(body.receipts)


# Group-committed (docs/performance.md); the rules run before the transaction.
@router.post(
    "", access=Access.write, status=201, idempotent=True, errors=(409, 422), grouped=True,
    prepare=_check_one,
)  # fmt: skip
async def create(call: Call, body: ReceiptCreate) -> Receipt | Reply | Later[Receipt | Reply]:
    """Ingest one receipt (201); the same receipt posted again answers 200 with the stored one."""
    stored, created = await receipt_service.create(
        call.conn, call.principal.merchant_id, body, call.prepared
    )

    async def answer(_: Connection) -> Receipt | Reply:  # once the group gave the numbers
        [linked] = await _linked(call, [stored])
        return linked if created else Reply(linked, status=200)

    return await group.later(call.conn, answer)


@router.post(
    "/batch", access=Access.write, idempotent=True, errors=(422,), grouped=True,
    prepare=_check_batch,
)  # fmt: skip
async def create_batch(call: Call, body: ReceiptBatch) -> BatchResult | Later[BatchResult]:
    """Ingest up to 500 receipts; each is stored or refused on its own, with a result each."""
    result = await receipt_service.create_batch(
        call.conn, call.principal.merchant_id, body.receipts, call.prepared
    )

    async def answer(_: Connection) -> BatchResult:  # once the group gave the numbers
        stored = await _linked(call, [item.receipt for item in result.results if item.receipt])
        linked = iter(stored)
        for item in result.results:
            if item.receipt is not None:
                item.receipt = next(linked)
        return result

    return await group.later(call.conn, answer)


@router.get("", access=Access.read, shopper_ok=True, errors=(422,))
async def list_receipts(call: Call, query: ReceiptQuery) -> Page[Receipt]:
    """Query receipts, newest first, with keyset pagination."""
    page = await receipt_service.list(call.conn, call.viewer, query)
    return Page(data=await _linked(call, page.data), next_cursor=page.next_cursor)


@router.get("/{receipt_id}", access=Access.read, shopper_ok=True, errors=(404,))
async def get(call: Call, receipt_id: uuid.UUID) -> Receipt:
    """Get one receipt."""
    [found] = await _linked(call, [await receipt_service.get(call.conn, call.viewer, receipt_id)])
    return found


@router.post("/{receipt_id}/claim", access=Access.write, idempotent=True, errors=(404, 409, 422))
async def claim(call: Call, receipt_id: uuid.UUID, body: ClaimBody) -> Receipt:
    """Attach an anonymous receipt to a customer (once)."""
    claimed = await receipt_service.claim(
        call.conn, call.principal.merchant_id, receipt_id, body.customer
    )
    [claimed] = await _linked(call, [claimed])
    return claimed


@by_customer.get("/{customer_id}/receipts", access=Access.read, shopper_ok=True, errors=(404,))
async def list_for_customer(
    call: Call, customer_id: uuid.UUID, query: ReceiptQuery
) -> Page[Receipt]:
    """One customer's receipts, newest first."""
    await customer_service.seen_by(call.conn, call.viewer, customer_id)
    query.customer_id = customer_id
    page = await receipt_service.list(call.conn, call.viewer, query)
    return Page(data=await _linked(call, page.data), next_cursor=page.next_cursor)


async def _linked(call: Call, receipts: list[Receipt]) -> list[Receipt]:
    """With each receipt's signed `download_url` (docs/documents.md) and its wallet fields
    (docs/wallets.md)."""
    merchant_id = call.principal.merchant_id
    linked = await documents.with_links(call.conn, call.settings, merchant_id, receipts)
    return await with_wallets(call.conn, merchant_id, linked)


exports = Router("/v1/receipts", tag="exports")
_CSV = "text/csv; charset=utf-8"


@exports.get("/export.csv", access=Access.read, shopper_ok=True, produces=_CSV, errors=(422,))
async def export_csv(call: Call, query: ReceiptFilters) -> StreamingResponse:
    """Stream the receipts as CSV (columns in docs/exports.md), oldest first, in constant
    memory."""
    window = await _window(call, query)
    return StreamingResponse(
        stream_csv(call.db, call.principal.merchant_id, window),
        media_type=_CSV,
        headers={"Content-Disposition": 'attachment; filename="receipts.csv"'},
    )


@exports.get(
    "/export.jsonl", access=Access.read, shopper_ok=True, produces="application/jsonl",
    errors=(422,),
)  # fmt: skip
async def export_jsonl(call: Call, query: ReceiptFilters) -> StreamingResponse:
    """Stream the receipts as JSON lines (one receipt object each), oldest first."""
    window = await _window(call, query)
    return StreamingResponse(
        stream_jsonl(call.db, call.principal.merchant_id, window),
        media_type="application/jsonl",
        headers={"Content-Disposition": 'attachment; filename="receipts.jsonl"'},
    )


async def _window(call: Call, query: ReceiptFilters) -> Window:
    return Window(await receipt_service.filter(call.conn, call.viewer, query))
