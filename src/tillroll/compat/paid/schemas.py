"""What the official `paid-python` client (1.12.0) sends and reads, in Paid's camelCase.

Only the fields a value receipt and its inputs need; the client validates every response
against its pydantic models, so each field they require is here with its type."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Aware = Annotated[datetime, Meta(tz=True)]
Text = Annotated[str, Meta(max_length=500)]
Ref = Annotated[str, Meta(min_length=1, max_length=128)]


class In(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A request body or query: unknown fields are refused (400)."""


class Out(msgspec.Struct, rename="camel", kw_only=True):
    """A response body."""


class Pagination(Out):
    limit: int
    offset: int
    total: int
    has_more: bool


class Page(In):
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    offset: Annotated[int, Meta(ge=0, le=1_000_000)] = 0


class Success(Out):
    success: bool = True


# --- customers ------------------------------------------------------------------------------


class BillingAddress(In):
    line1: Text | None = None
    line2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zip_code: Text | None = None
    country: Text | None = None


class CustomerIn(In):
    name: Annotated[str, Meta(min_length=1, max_length=300)] | None = None
    legal_name: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    website: Text | None = None
    external_id: Ref | None = None
    billing_address: BillingAddress | None = None
    creation_state: Literal["draft", "active"] | None = None
    churn_date: Aware | None = None
    vat_number: Text | None = None
    metadata: dict[str, Any] | None = None
    default_currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] | None = None


class CustomerQuery(Page):
    name: str | None = None
    external_id: str | None = None
    status: str | None = None
    creation_state: str | None = None
    created_at_from: str | None = None
    created_at_to: str | None = None


class Connections(Out):
    stripe: None = None


class Customer(Out):
    id: str
    name: str
    legal_name: str | None
    email: str
    phone: str
    website: str
    external_id: str | None
    billing_address: dict[str, Any] | None
    creation_state: str
    status: str
    churn_date: datetime | None
    vat_number: str | None
    metadata: dict[str, Any] | None
    default_currency: str
    connections: Connections
    created_at: datetime
    updated_at: datetime


class CustomerList(Out):
    data: list[Customer]
    pagination: Pagination


# --- products -------------------------------------------------------------------------------


class ProductIn(In):
    name: Annotated[str, Meta(min_length=1, max_length=300)] | None = None
    description: Text | None = None
    active: bool | None = None
    product_code: Ref | None = None
    external_id: Ref | None = None
    metadata: dict[str, Any] | None = None


class ProductQuery(Page):
    name: str | None = None
    active: bool | None = None
    archived: bool | None = None


class Product(Out):
    id: str
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    active: bool
    product_code: str | None
    external_id: str | None
    archived_at: datetime | None
    metadata: dict[str, Any] | None
    product_attributes: list[Any] = []


class ProductList(Out):
    data: list[Product]
    pagination: Pagination


# --- signals --------------------------------------------------------------------------------


class CustomerAttribution(In):
    customer_id: Ref | None = None
    external_customer_id: Ref | None = None


class Attribution(In):
    product_id: Ref | None = None
    external_product_id: Ref | None = None


class SignalIn(In):
    event_name: Annotated[str, Meta(min_length=1, max_length=128)]
    customer: CustomerAttribution
    customer_unit: dict[str, Any] | None = None
    attribution: Attribution | None = None
    timestamp: Aware | None = None
    data: dict[str, Any] | None = None
    idempotency_key: Ref | None = None


class SignalsIn(In):
    signals: Annotated[list[SignalIn], Meta(min_length=1, max_length=1000)]


class BulkResult(Out):
    ingested: int
    duplicates: int
    failed: int


class SignalQuery(Page):
    signal_name: str | None = None
    customer_id: str | None = None
    external_customer_id: str | None = None
    product_id: str | None = None
    external_product_id: str | None = None
    created_at_from: Aware | None = None
    created_at_to: Aware | None = None


class SignalItem(Out):
    id: str
    name: str
    customer_id: str | None
    external_customer_id: str | None
    product_id: str | None
    external_product_id: str | None
    trace_id: str | None
    data: dict[str, Any] | None
    created_at: datetime


class SignalList(Out):
    data: list[SignalItem]
    pagination: Pagination


# --- value metrics --------------------------------------------------------------------------


class UnitIn(In):
    type: Literal["monetary", "duration", "custom"]
    duration_unit: Literal["seconds", "minutes", "hours", "days"] | None = None
    unit: Annotated[str, Meta(max_length=64)] | None = None
    unit_display: Annotated[str, Meta(max_length=64)] | None = None


class UnitOut(Out):
    type: str
    duration_unit: str | None
    unit: str | None
    unit_display: str | None


class VariableIn(In):
    id: Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    label: Annotated[str, Meta(max_length=200)]
    type: str | None = None
    description: Text | None = None
    format: str | None = None
    format_unit: str | None = None


class FormulaIn(In):
    expression: Annotated[str, Meta(min_length=1)]
    variables: Annotated[list[VariableIn], Meta(max_length=50)]
    label: Annotated[str, Meta(max_length=200)] | None = None


class BindingIn(In):
    event_name: Annotated[str, Meta(min_length=1, max_length=128)]
    label: Text | None = None
    defaults: dict[str, float] | None = None
    description: Text | None = None
    labels: list[str] | None = None
    tags: list[str] | None = None


class ConversionIn(In):
    value_per_unit: float
    label: Annotated[str, Meta(max_length=200)] | None = None


class MetricCreate(In):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    unit: UnitIn
    formula: FormulaIn
    signal: BindingIn
    slug: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] | None = None
    monetary_conversion: ConversionIn | None = None
    category: str | None = None
    description: Annotated[str, Meta(max_length=2000)] | None = None
    long_description: str | None = None
    sources: list[Any] | None = None
    expected_active_version: int | None = None


class VariableEdit(In):
    value: float | None = None
    label: Annotated[str, Meta(max_length=200)] | None = None
    format: str | None = None
    format_unit: str | None = None


class MetricUpdate(In):
    name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    unit: UnitIn | None = None
    monetary_conversion: ConversionIn | None = None
    variables: dict[str, VariableEdit] | None = None
    archived_at: Aware | msgspec.UnsetType | None = msgspec.UNSET
    category: str | None = None
    description: Annotated[str, Meta(max_length=2000)] | None = None
    long_description: str | None = None
    sources: list[Any] | None = None
    expected_active_version: int | None = None


class ArchiveQuery(In):
    expected_active_version: int | None = None


class MetricQuery(Page):
    include_archived: bool = False


class WriteAck(Out):
    slug: str
    name: str
    version: int


class ConversionVariable(Out):
    id: str
    label: str
    default: float


class ConversionOut(Out):
    value_per_unit: float | None
    label: str | None
    expression: str
    variables: list[ConversionVariable]


class FormulaVariable(Out):
    id: str
    label: str


class FormulaOut(Out):
    id: str
    label: str
    expression: str
    variables: list[FormulaVariable]


class BindingOut(Out):
    event_name: str
    label: str | None
    defaults: dict[str, float]


class MetricSummary(Out):
    slug: str
    name: str
    category: str | None
    unit: UnitOut
    description: str | None
    archived_at: str | None
    monetary_conversion: ConversionOut | None


class MetricDetail(MetricSummary):
    formula: FormulaOut
    signals: list[BindingOut]


class MetricList(Out):
    data: list[MetricSummary]
    pagination: Pagination


# --- value receipts -------------------------------------------------------------------------


class ProductScope(In):
    product_id: Ref
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] | None = None


class ReceiptIn(In):
    start_date: Aware
    end_date: Aware
    customer_id: Ref | None = None
    external_customer_id: Ref | None = None
    product: ProductScope | None = None
    order_id: Ref | None = None


class ReceiptQuery(Page):
    customer_id: str | None = None
    external_customer_id: str | None = None
    order_id: str | None = None
    product_id: str | None = None
    archived: bool = False


class PublishIn(In):
    publish_expires_at: Aware | None = None


class SyncResponse(Out):
    id: str
    status: str
    public_url_token: str
    public_url: str
    generated_at: datetime | None


class ReceiptSummary(Out):
    id: str
    status: str
    public_url_token: str
    public_url: str
    is_published: bool
    customer_id: str | None
    customer_name: str | None
    customer_external_id: str | None
    order_id: str | None
    product_id: str | None
    currency: str
    start_date: datetime
    end_date: datetime
    total_delivered_value: float
    archived_at: datetime | None
    created_at: datetime


class ReceiptDetail(ReceiptSummary):
    published_at: datetime | None
    publish_expires_at: datetime | None
    allow_embed: bool


class ReceiptList(Out):
    data: list[ReceiptSummary]
    total: int


# --- orders ---------------------------------------------------------------------------------

CreationState = Literal["draft", "active"]


class OrderLineIn(In):
    product_id: Ref
    name: Annotated[str, Meta(max_length=200)] | None = None
    description: Annotated[str, Meta(max_length=2000)] | None = None
    start_date: Aware | None = None
    end_date: Aware | None = None
    attributes: list[Any] | None = None
    line_type: Literal["STANDARD"] | None = None


class OrderIn(In):
    """Paid's CreateOrderRequest: the billing switches are accepted and not kept (Tillroll
    does not bill)."""

    customer_id: Ref
    billing_customer_id: Ref | None = None
    billing_contact_ids: list[Ref] | None = None
    name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    start_date: Aware | None = None
    end_date: Aware | None = None
    subscription_terms: Annotated[int, Meta(ge=0, le=1200)] | None = None
    creation_state: CreationState | None = None
    billing_anchor: Annotated[int, Meta(ge=1, le=31)] | None = None
    payment_terms: Annotated[str, Meta(max_length=200)] | None = None
    external_id: Ref | None = None
    metadata: dict[str, Any] | None = None
    currency: str | None = None
    auto_post_invoices: bool | None = None
    auto_send_billing_emails: bool | None = None
    auto_send_payment_emails: bool | None = None
    lines: Annotated[list[OrderLineIn], Meta(max_length=100)] | None = None
    billing_frequency_override: dict[str, Any] | None = None
    purchase_order_reference: Annotated[str, Meta(max_length=200)] | None = None


class OrderQuery(Page):
    customer_id: str | None = None
    external_customer_id: str | None = None
    external_id: str | None = None
    creation_state: CreationState | None = None
    status: Literal["draft", "active", "paused", "ended"] | None = None
    start_date_from: Aware | None = None
    start_date_to: Aware | None = None
    end_date_from: Aware | None = None
    end_date_to: Aware | None = None


class Order(Out):
    """Paid's Order; the billed amounts are 0 (no invoices here)."""

    id: str
    customer_id: str
    billing_customer_id: str | None
    billing_contact_ids: list[str]
    created_at: datetime
    updated_at: datetime
    end_date: datetime | None
    name: str
    start_date: datetime
    subscription_terms: int | None
    billed_amount_no_tax: int
    billed_tax: int
    estimated_tax: int
    order_amount: int
    pending_billing_amount: int
    total_amount: int
    total_billed_amount: int
    creation_state: CreationState
    payment_terms: str | None
    number: int
    metadata: dict[str, Any] | None
    external_id: str | None
    version: int
    billing_frequency_overridden: bool
    purchase_order_reference: str | None


class OrderList(Out):
    data: list[Order]
    pagination: Pagination


class OrderLine(Out):
    id: str
    product_id: str
    name: str
    description: str | None
    start_date: datetime
    end_date: datetime | None
    line_type: Literal["STANDARD"]


class OrderLines(Out):
    data: list[OrderLine]
    pagination: Pagination
