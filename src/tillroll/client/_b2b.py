"""Invoices, payments and payment receipts (docs/payments.md): call builders and resources,
made by `_resources`' helpers as every other resource is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tillroll.b2b.schemas import (
    Deleted,
    Invoice,
    InvoiceCreate,
    InvoicePage,
    InvoiceUpdate,
    LinePage,
    Payment,
    PaymentCreate,
    PaymentPage,
    PaymentUpdate,
    Reallocation,
    ReceiptLine,
    ReceiptPage,
)
from tillroll.b2b.schemas import Receipt as PaymentReceipt
from tillroll.client._base import Call, Id, path
from tillroll.client._resources import AsyncResource, SyncResource, _async, _sync


class _InvoiceCalls:
    @staticmethod
    def create(
        body: InvoiceCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[Invoice]:
        """Create a B2B invoice; its open balance starts at its amount."""
        return Call("POST", "/v1/invoices", Invoice, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def get(invoice_id: Id) -> Call[Invoice]:
        """One invoice, with its open balance and status."""
        return Call("GET", path("/v1/invoices/{}", invoice_id), Invoice)

    @staticmethod
    def list(**filters: Any) -> Call[InvoicePage]:
        """One page of invoices; the filters of `GET /v1/invoices` (`InvoiceQuery`)."""
        return Call("GET", "/v1/invoices", InvoicePage, params=filters)

    @staticmethod
    def update(invoice_id: Id, body: InvoiceUpdate | Mapping[str, Any]) -> Call[Invoice]:
        """Change an invoice's non-financial fields."""
        return Call("PATCH", path("/v1/invoices/{}", invoice_id), Invoice, body=body)


class _PaymentCalls:
    @staticmethod
    def record(body: PaymentCreate | Mapping[str, Any], *, idempotency_key: str) -> Call[Payment]:
        """Record a payment: its receipt and lines, the invoices' balances moved."""
        return Call("POST", "/v1/payments", Payment, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def get(payment_id: Id) -> Call[Payment]:
        """One payment with its lines."""
        return Call("GET", path("/v1/payments/{}", payment_id), Payment)

    @staticmethod
    def list(**filters: Any) -> Call[PaymentPage]:
        """One page of payments; the filters of `GET /v1/payments` (`PaymentQuery`)."""
        return Call("GET", "/v1/payments", PaymentPage, params=filters)

    @staticmethod
    def update(payment_id: Id, body: PaymentUpdate | Mapping[str, Any]) -> Call[Payment]:
        """Change a payment's descriptive fields (its receipt and lines follow)."""
        return Call("PATCH", path("/v1/payments/{}", payment_id), Payment, body=body)

    @staticmethod
    def set_status(payment_id: Id, processing_status: int) -> Call[Payment]:
        """Change the processing status (4 Refunded gives the balances back)."""
        url = path("/v1/payments/{}/processing-status", payment_id)
        return Call("PUT", url, Payment, body={"processing_status": processing_status})

    @staticmethod
    def operate(payment_id: Id, operation: str) -> Call[Payment]:
        """`apply` the payment to its invoices' balances, or `revert` it."""
        url = path("/v1/payments/{}/operations", payment_id)
        return Call("POST", url, Payment, body={"operation": operation})

    @staticmethod
    def reallocate(payment_id: Id, body: Reallocation | Mapping[str, Any]) -> Call[Payment]:
        """Change the payment's invoices and amounts (balances move by the difference)."""
        url = path("/v1/payments/{}/allocations", payment_id)
        return Call("PUT", url, Payment, body=body)


class _PaymentReceiptCalls:
    @staticmethod
    def get(receipt_id: Id) -> Call[PaymentReceipt]:
        """One payment receipt."""
        return Call("GET", path("/v1/payment-receipts/{}", receipt_id), PaymentReceipt)

    @staticmethod
    def list(**filters: Any) -> Call[ReceiptPage]:
        """One page of receipts; the filters of `GET /v1/payment-receipts` (`ReceiptQuery`)."""
        return Call("GET", "/v1/payment-receipts", ReceiptPage, params=filters)

    @staticmethod
    def lines(receipt_id: Id | None = None, **filters: Any) -> Call[LinePage]:
        """One page of receipt lines, of one receipt or of all (`LineQuery`'s filters)."""
        url = path("/v1/payment-receipts/{}/lines", receipt_id) if receipt_id else None
        return Call("GET", url or "/v1/payment-receipt-lines", LinePage, params=filters)

    @staticmethod
    def line(receipt_id: Id, line_id: Id) -> Call[ReceiptLine]:
        """One receipt line."""
        url = path("/v1/payment-receipts/{}/lines/{}", receipt_id, line_id)
        return Call("GET", url, ReceiptLine)

    @staticmethod
    def delete(receipt_id: Id) -> Call[Deleted]:
        """Delete a receipt and its lines; their balances are given back (admin key)."""
        return Call("DELETE", path("/v1/payment-receipts/{}", receipt_id), Deleted)

    @staticmethod
    def delete_line(receipt_id: Id, line_id: Id) -> Call[Deleted]:
        """Delete one receipt line; its invoice gets the amount back (admin key)."""
        url = path("/v1/payment-receipts/{}/lines/{}", receipt_id, line_id)
        return Call("DELETE", url, Deleted)


class InvoicesResource(SyncResource):
    """`/v1/invoices`: B2B invoices."""

    create = _sync(_InvoiceCalls.create)
    get = _sync(_InvoiceCalls.get)
    list = _sync(_InvoiceCalls.list)
    update = _sync(_InvoiceCalls.update)


class AsyncInvoicesResource(AsyncResource):
    """`/v1/invoices`: B2B invoices."""

    create = _async(_InvoiceCalls.create)
    get = _async(_InvoiceCalls.get)
    list = _async(_InvoiceCalls.list)
    update = _async(_InvoiceCalls.update)


class PaymentsResource(SyncResource):
    """`/v1/payments`: B2B payments allocated across invoices."""

    record = _sync(_PaymentCalls.record)
    get = _sync(_PaymentCalls.get)
    list = _sync(_PaymentCalls.list)
    update = _sync(_PaymentCalls.update)
    set_status = _sync(_PaymentCalls.set_status)
    operate = _sync(_PaymentCalls.operate)
    reallocate = _sync(_PaymentCalls.reallocate)


class AsyncPaymentsResource(AsyncResource):
    """`/v1/payments`: B2B payments allocated across invoices."""

    record = _async(_PaymentCalls.record)
    get = _async(_PaymentCalls.get)
    list = _async(_PaymentCalls.list)
    update = _async(_PaymentCalls.update)
    set_status = _async(_PaymentCalls.set_status)
    operate = _async(_PaymentCalls.operate)
    reallocate = _async(_PaymentCalls.reallocate)


class PaymentReceiptsResource(SyncResource):
    """`/v1/payment-receipts`: the receipts payments create, and their lines."""

    get = _sync(_PaymentReceiptCalls.get)
    list = _sync(_PaymentReceiptCalls.list)
    lines = _sync(_PaymentReceiptCalls.lines)
    line = _sync(_PaymentReceiptCalls.line)
    delete = _sync(_PaymentReceiptCalls.delete)
    delete_line = _sync(_PaymentReceiptCalls.delete_line)


class AsyncPaymentReceiptsResource(AsyncResource):
    """`/v1/payment-receipts`: the receipts payments create, and their lines."""

    get = _async(_PaymentReceiptCalls.get)
    list = _async(_PaymentReceiptCalls.list)
    lines = _async(_PaymentReceiptCalls.lines)
    line = _async(_PaymentReceiptCalls.line)
    delete = _async(_PaymentReceiptCalls.delete)
    delete_line = _async(_PaymentReceiptCalls.delete_line)
