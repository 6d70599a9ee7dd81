"""BC B2B shapes: query parameters, request bodies and response objects (camelCase).

Unknown body fields are ignored (BC clients send fields Tillroll has no use for, such as a
PUT's `channelId`); a known field with a malformed value is refused (422 in BC's envelope)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Id = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Status = Annotated[int, Meta(ge=0, le=4)]
Text = Annotated[str, Meta(max_length=256)]


class In(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, rename="camel"):
    """A BC input: unknown fields ignored."""


class Out(msgspec.Struct, kw_only=True, rename="camel"):
    """A BC output object."""


# --- queries -----------------------------------------------------------------------------


class ListQuery(In, forbid_unknown_fields=True):
    offset: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    limit: Annotated[int, Meta(ge=1, le=500)] = 10
    order_by: Literal["DESC", "ASC"] = "DESC"
    q: Annotated[str, Meta(min_length=1, max_length=128)] | None = None


class ReceiptsQuery(ListQuery, forbid_unknown_fields=True):
    sort_by: Literal[
        "customerId",
        "externalCustomerId",
        "paymentId",
        "total",
        "transactionType",
        "referenceNumber",
        "createdAt",
        "updatedAt",
    ] = "createdAt"
    search_by: (
        Literal["payerName", "referenceNumber", "customerId", "externalId", "externalCustomerId"]
        | None
    ) = None
    payment_status: list[Status] = []


class LinesQuery(ListQuery, forbid_unknown_fields=True):
    sort_by: Literal[
        "customerId",
        "externalCustomerId",
        "receiptId",
        "invoiceId",
        "amount",
        "createdAt",
        "updatedAt",
    ] = "createdAt"
    search_by: (
        Literal[
            "customerId",
            "externalId",
            "externalCustomerId",
            "payerName",
            "payerCustomerId",
            "referenceNumber",
            "invoiceId",
        ]
        | None
    ) = None
    payment_status: list[Status] = []


class PaymentsQuery(ListQuery, forbid_unknown_fields=True):
    sort_by: Literal[
        "moduleName",
        "processingStatus",
        "appliedStatus",
        "createdAt",
        "customerId",
        "externalCustomerId",
        "fundingStatus",
        "updatedAt",
        "totalAmount",
    ] = "createdAt"
    search_by: Literal["id", "customerId", "externalId", "externalCustomerId"] | None = None
    customer_name: Annotated[str, Meta(min_length=1, max_length=128)] | None = None
    invoice_id: Id | None = None
    processing_status: list[Status] = []
    channel_ids: list[Id] = []


class InvoicesQuery(ListQuery, forbid_unknown_fields=True):
    sort_by: Literal["createdAt", "updatedAt", "dueDate", "originalBalance", "openBalance"] = (
        "createdAt"
    )
    status: list[Annotated[int, Meta(ge=0, le=2)]] = []


# --- bodies ------------------------------------------------------------------------------


class Money(In):
    code: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
    value: Annotated[str, Meta(max_length=64)]


class LineItem(In):
    invoice_id: Id
    amount: Annotated[str, Meta(max_length=64, description="A decimal string, `122.9500`.")]


class PaymentDetails(In):
    memo: Annotated[str, Meta(max_length=2000)] = ""


class OfflinePayment(In):
    line_items: Annotated[list[LineItem], Meta(min_length=1, max_length=100)]
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
    customer_id: Annotated[str, Meta(min_length=1, max_length=128)]
    details: PaymentDetails = msgspec.field(default_factory=PaymentDetails)
    external_id: Annotated[str, Meta(max_length=128)] | None = None
    external_customer_id: Annotated[str, Meta(max_length=128)] | None = None
    payer_name: Text | None = None
    payer_customer_id: Annotated[str, Meta(max_length=128)] | None = None
    processing_status: Annotated[int, Meta(ge=1, le=4)] = 3
    payment_type: Text = "Offline"
    reference_number: Text = ""
    channel_id: Id | None = None


class OfflinePaymentUpdate(In):
    line_items: list[LineItem] | None = None
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] | None = None
    customer_id: Annotated[str, Meta(max_length=128)] | None = None
    details: PaymentDetails | None = None
    external_id: Annotated[str, Meta(max_length=128)] | None = None
    external_customer_id: Annotated[str, Meta(max_length=128)] | None = None
    payer_name: Text | None = None
    processing_status: Annotated[int, Meta(ge=1, le=4)] | None = None
    reference_number: Text | None = None
    funding_status: Annotated[int, Meta(ge=0, le=3)] | None = None


class ProcessingStatus(In):
    processing_status: Annotated[int, Meta(ge=1, le=4)]


class OperationCode(In):
    operation_code: Annotated[int, Meta(ge=0, le=1, description="0 apply, 1 revert.")]


class InvoiceCreate(In):
    invoice_number: Annotated[str, Meta(min_length=1, max_length=128)]
    customer_id: Annotated[str, Meta(min_length=1, max_length=128)]
    original_balance: Money
    due_date: Annotated[int, Meta(ge=0, le=253_402_300_799)] | None = None
    external_id: Annotated[str, Meta(max_length=128)] | None = None
    source: Annotated[int, Meta(ge=0, le=1)] = 0


# --- responses ---------------------------------------------------------------------------


class Memo(Out):
    memo: str


class ReceiptDetails(Out):
    payment_details: Memo


class Amount(Out):
    code: str
    value: str


class Receipt(Out):
    id: int
    created_at: int
    updated_at: int
    store_hash: str
    customer_id: str
    external_id: str
    external_customer_id: str
    payer_name: str
    payer_customer_id: str
    details: ReceiptDetails
    transaction_type: str
    payment_type: str
    reference_number: str
    payment_id: int
    total: Amount


class ReceiptLine(Out):
    id: int
    created_at: int
    updated_at: int
    store_hash: str
    customer_id: str
    external_id: str
    external_customer_id: str
    receipt_id: int
    invoice_id: int
    amount: Amount
    payment_status: int
    payment_type: str
    invoice_number: str
    payment_id: int
    reference_number: str
    transaction_type: str


class PaymentLineItem(Out):
    payment_id: int
    invoice_id: int
    invoice_number: str
    amount: Amount


class Transaction(Out):
    """A payment's transaction: an offline one (no gateway, card or raw gateway data)."""

    memo: str
    type: str
    raw_transaction: None


class ModuleData(Out):
    transactions: list[Transaction]


class Payment(Out):
    id: int
    created_at: int
    updated_at: int
    store_hash: str
    customer_id: str
    external_id: Annotated[str | None, Meta(description="null when none, as BC's payments.")]
    external_customer_id: str | None
    payer_name: str
    payer_customer_id: str
    details: Memo
    module_name: str
    processing_status: int
    applied_status: Annotated[int, Meta(description="1 applied to invoice balances, 0 not.")]
    funding_status: int
    total: Amount
    fees: Annotated[list[dict[str, str]], Meta(description="Always empty: no fees recorded.")]
    line_items: list[PaymentLineItem]
    allowed_operations: list[int]
    channel_id: int | None
    module_data: ModuleData
    customer_name: str
    allowed_statuses: list[int]
    channel_name: Annotated[str | None, Meta(description="The branch numbered `channelId`.")]


class Invoice(Out):
    id: int
    created_at: int
    updated_at: int
    store_hash: str
    invoice_number: str
    customer_id: str
    external_id: str
    original_balance: Amount
    open_balance: Amount
    status: Annotated[int, Meta(description="0 open, 1 partially paid, 2 completed.")]
    due_date: int | None
    source: int
