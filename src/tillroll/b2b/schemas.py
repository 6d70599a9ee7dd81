"""The b2b API's bodies: invoices, payments with their allocations, receipts and lines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.money import MAX_AMOUNT
from tillroll.kit.schemas import Limit, Schema

Ref = Annotated[str, Meta(min_length=1, max_length=128)]
Text = Annotated[str, Meta(max_length=256)]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")]
Amount = Annotated[int, Meta(ge=1, le=MAX_AMOUNT, description="Minor units (cents).")]
Status = Annotated[
    int,
    Meta(
        ge=0,
        le=4,
        description="0 Incomplete, 1 Awaiting processing, 2 Processing, 3 Completed, 4 Refunded.",
    ),
]
InvoiceStatus = Literal["open", "partially_paid", "completed"]
Order = Literal["asc", "desc"]
Search = Annotated[str, Meta(min_length=1, max_length=128)]
Offset = Annotated[int, Meta(ge=0, le=1_000_000, description="Rows to skip (or use `cursor`).")]

FundingStatus = Annotated[
    int, Meta(ge=0, le=3, description="0-3, as BigCommerce B2B's `fundingStatus` (no rule).")
]
ChannelId = Annotated[int, Meta(ge=1, le=2**31 - 1)]
CustomerRef = Annotated[str, Meta(description="The company's external id, else its number (text).")]

HOLDS_BALANCE = frozenset({1, 2, 3})
"""Processing statuses whose payment holds (is applied to) its invoices' balances."""


# --- invoices ----------------------------------------------------------------------------


class InvoiceCreate(Schema):
    invoice_number: Annotated[Ref, Meta(description="Unique per merchant.")]
    customer_id: Annotated[uuid.UUID, Meta(description="The B2B company (a customer).")]
    currency: Currency
    amount: Amount
    due_date: date | None = None
    external_id: Ref | None = None
    source: Literal["b2b", "external"] = "b2b"


class InvoiceUpdate(Schema):
    """Non-financial fields only; omitted fields keep their value, null clears."""

    due_date: date | UnsetType | None = UNSET
    external_id: Ref | UnsetType | None = UNSET
    source: Literal["b2b", "external"] | UnsetType = UNSET


class Invoice(Schema):
    id: uuid.UUID
    number: Annotated[int, Meta(description="Sequential integer id within the merchant.")]
    invoice_number: str
    customer_id: uuid.UUID
    currency: str
    amount: int
    open_balance: int
    status: Annotated[InvoiceStatus, Meta(description="Derived from the open balance.")]
    due_date: date | None
    external_id: str | None
    source: str
    created_at: datetime
    updated_at: datetime


class InvoiceQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0
    cursor: str | None = None
    sort: Literal["created_at", "updated_at", "due_date", "amount", "open_balance"] = "created_at"
    order: Order = "desc"
    q: Annotated[Search | None, Meta(description="Prefix of the invoice number.")] = None
    customer_id: uuid.UUID | None = None
    currency: Currency | None = None
    status: list[InvoiceStatus] = []


# --- payments ----------------------------------------------------------------------------


class Allocation(Schema):
    invoice_id: uuid.UUID
    amount: Amount


class PaymentCreate(Schema):
    customer_id: Annotated[uuid.UUID, Meta(description="The company whose invoices are paid.")]
    currency: Currency
    total: Annotated[Amount, Meta(description="Must equal the sum of the allocations.")]
    allocations: Annotated[list[Allocation], Meta(min_length=1, max_length=100)]
    processing_status: Status = 3
    payer_name: Text = "Store Offline Payment"
    payer_customer_id: Annotated[
        uuid.UUID | None, Meta(description="Who paid; the company by default.")
    ] = None
    payment_type: Annotated[Text, Meta(description="`Offline`, `Visa ending in 1111`…")] = "Offline"
    reference_number: Text = ""
    transaction_type: Text = "Paid"
    memo: Annotated[str, Meta(max_length=2000)] = ""
    external_id: Ref | None = None
    external_customer_id: Ref | None = None
    funding_status: FundingStatus = 0
    channel_id: Annotated[
        ChannelId | None, Meta(description="The sales channel (storefront) it was taken for.")
    ] = None


class PaymentUpdate(Schema):
    """Descriptive fields only (amounts move through status, operations and deletions)."""

    payer_name: Text | UnsetType = UNSET
    payment_type: Text | UnsetType = UNSET
    reference_number: Text | UnsetType = UNSET
    memo: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET
    external_id: Ref | UnsetType | None = UNSET
    external_customer_id: Ref | UnsetType | None = UNSET
    funding_status: FundingStatus | UnsetType = UNSET


class Reallocation(Schema):
    """A payment's invoices and amounts, anew (what BigCommerce's offline PUT allows)."""

    total: Annotated[Amount, Meta(description="Must equal the sum of the allocations.")]
    allocations: Annotated[list[Allocation], Meta(min_length=1, max_length=100)]


class StatusChange(Schema):
    processing_status: Annotated[int, Meta(ge=1, le=4, description="1-4, as BC B2B allows.")]


class Operation(Schema):
    operation: Annotated[
        Literal["apply", "revert"],
        Meta(description="`apply` to / `revert` the invoices' balances."),
    ]


class PaymentLine(Schema):
    invoice_id: uuid.UUID
    invoice_seq: Annotated[int, Meta(description="The invoice's sequential `number`.")]
    invoice_number: str
    amount: int


class Payment(Schema):
    id: uuid.UUID
    number: int
    customer_id: uuid.UUID
    payer_name: str
    payer_customer_id: uuid.UUID | None
    payment_type: str
    reference_number: str
    transaction_type: str
    memo: str
    external_id: str | None
    external_customer_id: str | None
    currency: str
    total: int
    processing_status: int
    applied: Annotated[bool, Meta(description="Whether it holds its invoices' balances.")]
    created_at: datetime
    updated_at: datetime
    funding_status: int
    channel_id: int | None
    customer_ref: CustomerRef
    customer_name: Annotated[str, Meta(description="The company's first and last name.")]
    receipt_id: uuid.UUID | None = None
    lines: list[PaymentLine] = []


PaymentSort = Literal[
    "created_at",
    "updated_at",
    "total",
    "processing_status",
    "funding_status",
    "applied",
    "customer_ref",
    "external_customer_id",
]
PaymentSearch = Literal["external_id", "external_customer_id", "customer_ref"]


class PaymentQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0
    cursor: str | None = None
    sort: PaymentSort = "created_at"
    order: Order = "desc"
    q: Annotated[Search | None, Meta(description="Prefix searched in `search_by`.")] = None
    search_by: Annotated[
        PaymentSearch | None, Meta(description="One field; all three when omitted.")
    ] = None
    customer_id: uuid.UUID | None = None
    customer_name: Annotated[Search | None, Meta(description="Prefix of the company's name.")] = (
        None
    )
    invoice_id: Annotated[
        uuid.UUID | None, Meta(description="Payments with a live line on this invoice.")
    ] = None
    channel_id: list[ChannelId] = []
    processing_status: list[Status] = []


# --- receipts and lines ------------------------------------------------------------------


class Receipt(Schema):
    id: uuid.UUID
    number: int
    payment_id: uuid.UUID
    payment_number: int
    customer_id: uuid.UUID
    customer_ref: CustomerRef
    payer_name: str
    payer_customer_id: uuid.UUID | None
    payment_type: str
    reference_number: str
    transaction_type: str
    memo: str
    external_id: str | None
    external_customer_id: str | None
    currency: str
    total: int
    payment_status: int
    created_at: datetime
    updated_at: datetime


class ReceiptLine(Schema):
    id: uuid.UUID
    number: int
    receipt_id: uuid.UUID
    receipt_number: int
    payment_id: uuid.UUID
    payment_number: int
    invoice_id: uuid.UUID
    invoice_seq: Annotated[int, Meta(description="The invoice's sequential `number`.")]
    invoice_number: str
    customer_id: uuid.UUID
    customer_ref: CustomerRef
    payer_name: str
    payer_customer_id: uuid.UUID | None
    payment_type: str
    reference_number: str
    transaction_type: str
    external_id: str | None
    external_customer_id: str | None
    currency: str
    amount: int
    payment_status: int
    created_at: datetime
    updated_at: datetime


ReceiptSort = Literal[
    "customer_id",
    "customer_ref",
    "external_customer_id",
    "payment_number",
    "total",
    "transaction_type",
    "reference_number",
    "created_at",
    "updated_at",
]
LineSort = Literal[
    "customer_id",
    "customer_ref",
    "external_customer_id",
    "receipt_number",
    "invoice_seq",
    "amount",
    "created_at",
    "updated_at",
]
SearchField = Literal[
    "payer_name", "reference_number", "external_id", "external_customer_id", "customer_ref"
]


class ReceiptQuery(Schema):
    """Filters, sort and search of receipts (seed 003's field set)."""

    limit: Limit = 50
    offset: Offset = 0
    cursor: str | None = None
    sort: ReceiptSort = "created_at"
    order: Order = "desc"
    q: Annotated[Search | None, Meta(description="Prefix searched in `search_by`.")] = None
    search_by: Annotated[
        SearchField | None, Meta(description="One field; all five when omitted.")
    ] = None
    payment_status: list[Status] = []
    customer_id: uuid.UUID | None = None
    payer_customer_id: uuid.UUID | None = None


class LineQuery(Schema):
    """Filters, sort and search of receipt lines (seed 003's field set)."""

    limit: Limit = 50
    offset: Offset = 0
    cursor: str | None = None
    sort: LineSort = "created_at"
    order: Order = "desc"
    q: Annotated[Search | None, Meta(description="Prefix searched in `search_by`.")] = None
    search_by: SearchField | None = None
    payment_status: list[Status] = []
    customer_id: uuid.UUID | None = None
    payer_customer_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None


class Total(Schema):
    currency: str
    amount: int


class ListMeta(Schema):
    total_count: Annotated[int, Meta(description="Rows matching the filters.")]
    offset: int
    limit: int
    totals: Annotated[list[Total], Meta(description="Sum of the matching rows per currency.")]


class InvoicePage(Schema):
    data: list[Invoice]
    next_cursor: str | None
    meta: ListMeta


class PaymentPage(Schema):
    data: list[Payment]
    next_cursor: str | None
    meta: ListMeta


class ReceiptPage(Schema):
    data: list[Receipt]
    next_cursor: str | None
    meta: ListMeta


class LinePage(Schema):
    data: list[ReceiptLine]
    next_cursor: str | None
    meta: ListMeta


class Deleted(Schema):
    id: uuid.UUID
    deleted_at: datetime


class AuditEntry(Schema):
    id: uuid.UUID
    at: datetime
    actor: Annotated[str, Meta(description="Who: `key <api key id>` or `session …`.")]
    action: str
    object_type: str
    object_id: uuid.UUID
    changes: dict[str, Any]


class AuditQuery(Schema):
    object_id: uuid.UUID | None = None
    limit: Limit = 50
    cursor: str | None = None


class AuditPage(Schema):
    data: list[AuditEntry]
    next_cursor: str | None
