"""Value metrics, signals and value receipts: what the API takes and answers (msgspec)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.schemas import Schema

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="`hours-saved`.")]
VariableId = Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
EventName = Annotated[str, Meta(min_length=1, max_length=128)]
Ref = Annotated[str, Meta(min_length=1, max_length=128)]
Label = Annotated[str, Meta(min_length=1, max_length=200)]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
Number = Annotated[Decimal, Meta(description="A decimal number, as a JSON number or string.")]
UnitType = Literal["monetary", "duration", "custom"]
DurationUnit = Literal["seconds", "minutes", "hours", "days"]
Status = Literal["draft", "posted"]
Aware = Annotated[datetime, Meta(tz=True, description="ISO 8601 with a UTC offset.")]


class Variable(Schema):
    """A formula variable and what it is worth for one occurrence (a signal's `data` may
    override it)."""

    id: VariableId
    default: Number
    label: Label | None = None


class Formula(Schema):
    expression: Annotated[
        str, Meta(min_length=1, description="e.g. `minutes_saved / 60`; at most 500 characters.")
    ]
    variables: Annotated[list[Variable], Meta(max_length=50)] = []


class Unit(Schema):
    type: UnitType
    duration_unit: DurationUnit | None = None
    unit: Annotated[str, Meta(max_length=64)] | None = None
    unit_display: Annotated[str, Meta(max_length=64)] | None = None


class MetricCreate(Schema):
    name: Label
    event_name: EventName
    formula: Formula
    unit: Unit
    slug: Slug | None = None
    currency: Annotated[
        Currency | None, Meta(description="Of a monetary unit and `value_per_unit`.")
    ] = None
    value_per_unit: Annotated[
        Number | None, Meta(description="Money per one unit, in `currency`.")
    ] = None
    description: Annotated[str, Meta(max_length=2000)] | None = None


class MetricUpdate(Schema):
    """Changes publish a new version; the expression and the event name stay."""

    name: Label | UnsetType = UNSET
    unit: Unit | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    value_per_unit: Number | UnsetType | None = UNSET
    defaults: Annotated[dict[VariableId, Number], Meta(max_length=50)] | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=2000)] | UnsetType | None = UNSET
    archived: bool | UnsetType = UNSET


class Metric(Schema):
    id: uuid.UUID
    slug: str
    version: int
    name: str
    event_name: str
    formula: Formula
    unit: Unit
    currency: str
    value_per_unit: Decimal | None
    description: str | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MetricQuery(Schema):
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    offset: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    include_archived: bool = False


class MetricList(Schema):
    data: list[Metric]
    total: int


# --- signals ------------------------------------------------------------------------------


class SignalCreate(Schema):
    event_name: EventName
    customer_id: uuid.UUID | None = None
    external_customer_id: Annotated[
        Ref | None, Meta(description="Created as a customer on first sight.")
    ] = None
    product_id: uuid.UUID | None = None
    external_product_id: Ref | None = None
    order_id: Ref | None = None
    timestamp: Annotated[
        Aware | None, Meta(description="When it happened (with an offset); default now.")
    ] = None
    data: Annotated[
        dict[str, Any] | None, Meta(description="Overrides the formula variables by name.")
    ] = None
    idempotency_key: Ref | None = None


class SignalBulk(Schema):
    signals: Annotated[list[SignalCreate], Meta(min_length=1, max_length=1000)]


class SignalError(Schema):
    index: int
    loc: str
    message: str


class IngestResult(Schema):
    ingested: int
    duplicates: int
    failed: int
    errors: list[SignalError] = []
    ids: Annotated[
        list[uuid.UUID | None], Meta(description="Per item: its signal id, null if it failed.")
    ] = []


class Signal(Schema):
    id: uuid.UUID
    event_name: str
    customer_id: uuid.UUID
    external_customer_id: str | None
    product_id: uuid.UUID | None
    order_id: str | None
    occurred_at: datetime
    data: dict[str, Any] | None
    idempotency_key: str | None
    created_at: datetime


class SignalQuery(Schema):
    event_name: str | None = None
    customer_id: uuid.UUID | None = None
    external_customer_id: str | None = None
    product_id: uuid.UUID | None = None
    order_id: str | None = None
    occurred_from: Annotated[Aware | None, Meta(description="Inclusive.")] = None
    occurred_to: Annotated[Aware | None, Meta(description="Exclusive.")] = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    cursor: str | None = None
    offset: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None


# --- value receipts -------------------------------------------------------------------------


class ReceiptRequest(Schema):
    """A value receipt's natural key: one customer, `[start, end)`, optionally one product or
    one order (not both)."""

    start: Aware
    end: Aware
    customer_id: uuid.UUID | None = None
    external_customer_id: Ref | None = None
    product_id: uuid.UUID | None = None
    order_id: Ref | None = None
    currency: Currency | None = None


class Line(Schema):
    metric_id: uuid.UUID
    slug: str
    version: int
    name: str
    unit: Unit
    occurrences: int
    quantity: Annotated[Decimal, Meta(description="Total in the metric's unit.")]
    value: Annotated[int | None, Meta(description="Minor units of the receipt's currency.")]


class Point(Schema):
    day: Annotated[str, Meta(description="UTC date, `2026-11-03`.")]
    value: int


class CustomerRef(Schema):
    id: uuid.UUID
    external_id: str | None
    name: str | None


class ValueReceipt(Schema):
    id: uuid.UUID
    status: Status
    customer: CustomerRef
    product_id: uuid.UUID | None
    order_id: str | None
    currency: str
    start: datetime
    end: datetime
    total_delivered_value: Annotated[int, Meta(description="Minor units of `currency`.")]
    lines: list[Line]
    series: list[Point]
    share_token: str
    share_url: str
    is_published: bool
    published_at: datetime | None
    publish_expires_at: datetime | None
    archived_at: datetime | None
    sealed_at: datetime | None
    generated_at: datetime
    created_at: datetime
    updated_at: datetime


class ReceiptQuery(Schema):
    customer_id: uuid.UUID | None = None
    external_customer_id: str | None = None
    order_id: str | None = None
    product_id: uuid.UUID | None = None
    archived: bool = False
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    offset: Annotated[int, Meta(ge=0, le=1_000_000)] = 0


class ReceiptList(Schema):
    data: list[ValueReceipt]
    total: int


class PublishBody(Schema):
    publish_expires_at: Aware | None = None


class Revoked(Schema):
    unpublished: int


# --- embedding ------------------------------------------------------------------------------


class EmbedSettingsUpdate(Schema):
    issuer: Annotated[str, Meta(min_length=1, max_length=200)] = "tillroll"
    audience: Annotated[str, Meta(max_length=200)] | None = None
    ttl_seconds: Annotated[int, Meta(ge=60, le=86_400)] = 3600
    login_url: Annotated[str, Meta(max_length=2000)] | None = None
    refresh_url: Annotated[str, Meta(max_length=2000)] | None = None
    allowed_origins: Annotated[
        list[Annotated[str, Meta(max_length=200)]],
        Meta(max_length=20, description="Parent page origins allowed to embed, `https://a.b`."),
    ] = []
    rotate_secret: bool = False


class EmbedSettings(Schema):
    issuer: str
    audience: str | None
    ttl_seconds: int
    login_url: str | None
    refresh_url: str | None
    allowed_origins: list[str]
    secret: Annotated[
        str | None, Meta(description="The HS256 signing key: shown once, when it is made.")
    ]
    updated_at: datetime
