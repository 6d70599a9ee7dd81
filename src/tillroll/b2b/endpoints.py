"""The b2b routes: invoices, payments, payment receipts and lines, the audit trail."""

from __future__ import annotations

import uuid

from tillroll.b2b.audit import trail, who
from tillroll.b2b.invoices import invoice as invoice_service
from tillroll.b2b.payments import payment as payment_service
from tillroll.b2b.receipts import receipt as receipt_service
from tillroll.b2b.schemas import (
    AuditPage,
    AuditQuery,
    Deleted,
    Invoice,
    InvoiceCreate,
    InvoicePage,
    InvoiceQuery,
    InvoiceUpdate,
    LinePage,
    LineQuery,
    Operation,
    Payment,
    PaymentCreate,
    PaymentPage,
    PaymentQuery,
    PaymentUpdate,
    Reallocation,
    Receipt,
    ReceiptLine,
    ReceiptPage,
    ReceiptQuery,
    StatusChange,
)
from tillroll.errors import InvalidInput
from tillroll.kit.http import Access, Call, Reply, Router

invoices = Router("/v1/invoices", tag="invoices")
payments = Router("/v1/payments", tag="payments")
receipts = Router("/v1/payment-receipts", tag="payment receipts")
lines = Router("/v1/payment-receipt-lines", tag="payment receipts")
trail_router = Router("/v1/b2b-audit", tag="payment receipts")
ROUTERS = [invoices, payments, receipts, lines, trail_router]


def _merchant(call: Call) -> uuid.UUID:
    return call.principal.merchant_id


@invoices.post("", access=Access.write, status=201, idempotent=True, errors=(409, 422))
async def create_invoice(call: Call, body: InvoiceCreate) -> Invoice:
    """Create an invoice; its open balance starts at its amount."""
    return await invoice_service.create(call.conn, _merchant(call), who(call.principal), body)


@invoices.get("", access=Access.read, errors=(422,))
async def list_invoices(call: Call, query: InvoiceQuery) -> InvoicePage:
    """Invoices, filtered, sorted and searched, with totals."""
    return await invoice_service.list(call.conn, _merchant(call), query)


@invoices.get("/{invoice_id}", access=Access.read, errors=(404,))
async def get_invoice(call: Call, invoice_id: uuid.UUID) -> Invoice:
    """Get one invoice."""
    return await invoice_service.get(call.conn, _merchant(call), invoice_id)


@invoices.patch("/{invoice_id}", access=Access.write, errors=(404, 422))
async def update_invoice(call: Call, invoice_id: uuid.UUID, body: InvoiceUpdate) -> Invoice:
    """Change an invoice's non-financial fields."""
    actor = who(call.principal)
    return await invoice_service.update(call.conn, _merchant(call), actor, invoice_id, body)


@payments.post("", access=Access.write, status=201, idempotent=True, errors=(404, 422))
async def record_payment(call: Call, body: PaymentCreate) -> Payment:
    """Record a payment (`Idempotency-Key` required): its receipt and lines are created and
    the invoices' balances move, in one transaction."""
    if not call.request.headers.get("idempotency-key"):
        raise InvalidInput.field("header.Idempotency-Key", "required when recording a payment")
    return await payment_service.record(call.conn, _merchant(call), who(call.principal), body)


@payments.get("", access=Access.read, errors=(422,))
async def list_payments(call: Call, query: PaymentQuery) -> PaymentPage:
    """Payments with their lines, newest first."""
    return await payment_service.list(call.conn, _merchant(call), query)


@payments.get("/{payment_id}", access=Access.read, errors=(404,))
async def get_payment(call: Call, payment_id: uuid.UUID) -> Payment:
    """Get one payment with its lines."""
    return await payment_service.get(call.conn, _merchant(call), payment_id)


@payments.patch("/{payment_id}", access=Access.write, errors=(404, 422))
async def update_payment(call: Call, payment_id: uuid.UUID, body: PaymentUpdate) -> Payment:
    """Change a payment's descriptive fields (its receipt and lines follow)."""
    actor = who(call.principal)
    return await payment_service.update(call.conn, _merchant(call), actor, payment_id, body)


@payments.route("PUT", "/{payment_id}/processing-status", access=Access.write, errors=(404, 422))
async def set_processing_status(call: Call, payment_id: uuid.UUID, body: StatusChange) -> Payment:
    """Change the processing status; the balances follow (Refunded re-opens them)."""
    status, actor = body.processing_status, who(call.principal)
    return await payment_service.set_status(call.conn, _merchant(call), actor, payment_id, status)


@payments.route("PUT", "/{payment_id}/allocations", access=Access.write, errors=(404, 409, 422))
async def reallocate(call: Call, payment_id: uuid.UUID, body: Reallocation) -> Payment:
    """Change the payment's invoices and amounts (its lines and totals follow; the invoices'
    balances move by the difference while it holds them; recorded from → to)."""
    actor = who(call.principal)
    return await payment_service.reallocate(call.conn, _merchant(call), actor, payment_id, body)


@payments.post("/{payment_id}/operations", access=Access.write, errors=(404, 409, 422))
async def operate(call: Call, payment_id: uuid.UUID, body: Operation) -> Payment:
    """Apply the payment to its invoices' balances, or revert it."""
    actor = who(call.principal)
    return await payment_service.operate(
        call.conn, _merchant(call), actor, payment_id, body.operation
    )


@receipts.get("", access=Access.read, errors=(422,))
async def list_receipts(call: Call, query: ReceiptQuery) -> ReceiptPage | Reply:
    """Payment receipts, filtered, sorted and searched, with totals."""
    return Reply(await receipt_service.list_answer(call.conn, _merchant(call), query))


@receipts.get("/{payment_receipt_id}", access=Access.read, errors=(404,))
async def get_receipt(call: Call, payment_receipt_id: uuid.UUID) -> Receipt:
    """Get one payment receipt."""
    return await receipt_service.get(call.conn, _merchant(call), payment_receipt_id)


@receipts.delete("/{payment_receipt_id}", access=Access.admin, errors=(404,))
async def delete_receipt(call: Call, payment_receipt_id: uuid.UUID) -> Deleted:
    """Delete a receipt and its lines; the invoice balances they held are given back."""
    actor = who(call.principal)
    return await receipt_service.delete(call.conn, _merchant(call), actor, payment_receipt_id)


@receipts.get("/{payment_receipt_id}/lines", access=Access.read, errors=(404, 422))
async def list_receipt_lines(
    call: Call, payment_receipt_id: uuid.UUID, query: LineQuery
) -> LinePage | Reply:
    """The lines of one receipt."""
    m = _merchant(call)
    return Reply(await receipt_service.lines_answer(call.conn, m, query, payment_receipt_id))


@receipts.get("/{payment_receipt_id}/lines/{line_id}", access=Access.read, errors=(404,))
async def get_line(call: Call, payment_receipt_id: uuid.UUID, line_id: uuid.UUID) -> ReceiptLine:
    """Get one receipt line."""
    return await receipt_service.line(call.conn, _merchant(call), payment_receipt_id, line_id)


@receipts.delete("/{payment_receipt_id}/lines/{line_id}", access=Access.admin, errors=(404,))
async def delete_line(call: Call, payment_receipt_id: uuid.UUID, line_id: uuid.UUID) -> Deleted:
    """Delete one line; its invoice gets the amount back."""
    actor = who(call.principal)
    return await receipt_service.delete_line(
        call.conn, _merchant(call), actor, payment_receipt_id, line_id
    )


@lines.get("", access=Access.read, errors=(422,))
async def list_lines(call: Call, query: LineQuery) -> LinePage | Reply:
    """Receipt lines of every receipt, filtered, sorted and searched, with totals."""
    return Reply(await receipt_service.lines_answer(call.conn, _merchant(call), query))


@trail_router.get("", access=Access.read, errors=(422,))
async def audit_trail(call: Call, query: AuditQuery) -> AuditPage:
    """Who changed what, when: invoices, payments, receipts and lines, oldest first."""
    return await trail(call.conn, _merchant(call), query.object_id, query.cursor, query.limit)
