from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta

from tillroll.branches.schemas import BranchSummary
from tillroll.customers.schemas import CustomerSummary
from tillroll.kit.money import MAX_AMOUNT
from tillroll.kit.schemas import Limit, ProblemError, Schema
from tillroll.wallets.campaign_schemas import BasketVoucher, ReceiptWallet

Amount = Annotated[
    int, Meta(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Integer minor units (cents).")
]
Positive = Annotated[int, Meta(ge=0, le=MAX_AMOUNT, description="Integer minor units (cents).")]
DecimalText = Annotated[
    str,
    Meta(pattern=r"^-?\d{1,12}(\.\d{1,6})?$", description="A decimal string, e.g. `1.055`."),
]
UNIT_PRICE_LIMIT = 10**12
"""A unit price has at most 12 integer digits of minor units (and at most 6 decimals)."""
UnitPrice = Annotated[int, Meta(ge=1 - UNIT_PRICE_LIMIT, le=UNIT_PRICE_LIMIT - 1)] | DecimalText
PriceText = Annotated[
    str,
    Meta(
        description='Minor units per unit as an exact decimal string (`"185.9"` = 1.859 EUR).',
        examples=["1500", "185.9"],
    ),
]
Aware = Annotated[datetime, Meta(tz=True, description="ISO 8601 with a UTC offset.")]
ReceiptType = Literal["in_store", "online"]
OrderStatus = Literal["PREPARED_SHIP", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "CANCELED"]
Text = Annotated[str, Meta(max_length=2000)]


class BranchRef(Schema):
    """A branch by `id` or by `code` (one of them)."""

    id: uuid.UUID | None = None
    code: str | None = None


class CustomerRef(Schema):
    """A customer by `id`, `external_id` or `member_number` (one of them)."""

    id: uuid.UUID | None = None
    external_id: str | None = None
    member_number: str | None = None


class Employee(Schema):
    code: str | None = None
    name: str | None = None


class ReturnOf(Schema):
    """The original line a return line gives back: receipt by id or external_id, and line_no."""

    line_no: Annotated[int, Meta(ge=1)]
    receipt_id: uuid.UUID | None = None
    receipt_external_id: str | None = None


class LineIn(Schema):
    name: Annotated[str, Meta(min_length=1, max_length=500)]
    unit_price: Annotated[
        UnitPrice,
        Meta(
            description="Minor units per unit: an integer, or a decimal string of minor units "
            'with up to 6 decimals (`"185.9"` = 1.859 EUR per litre).'
        ),
    ]
    total: Annotated[
        Amount,
        Meta(description="unit_price × quantity to the nearest minor unit − discount − vouchers"),
    ]
    quantity: DecimalText = "1"
    unit: Annotated[str, Meta(min_length=1, max_length=16, examples=["item", "kg"])] = "item"
    sku: str | None = None
    barcode: str | None = None
    product_id: uuid.UUID | None = None
    description: Text | None = None
    category: str | None = None
    original_price: Amount | None = None
    discount: Positive = 0
    vouchers: Annotated[Positive, Meta(description="Value of vouchers applied to this line.")] = 0
    tax_rate: Annotated[DecimalText | None, Meta(description="Fraction, `0.21` for 21 %.")] = None
    metadata: dict[str, Any] | None = None
    return_of: ReturnOf | None = None


class TaxLine(Schema):
    rate: DecimalText
    taxable_amount: Amount
    tax_amount: Amount


class Payment(Schema):
    method: Annotated[str, Meta(min_length=1, max_length=64, examples=["card", "cash"])]
    amount: Amount
    card_brand: str | None = None
    card_last4: Annotated[str, Meta(pattern=r"^\d{4}$")] | None = None
    reference: str | None = None


class BasketDiscount(Schema):
    amount: Positive
    kind: Literal["discount", "voucher"] = "discount"
    code: str | None = None
    description: str | None = None


class ReceiptCreate(Schema):
    external_id: Annotated[
        str, Meta(min_length=1, max_length=128, description="The till's transaction code.")
    ]
    issued_at: Aware
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
    lines: Annotated[list[LineIn], Meta(min_length=1, max_length=1000)]
    subtotal: Annotated[Amount, Meta(description="Σ lines[].total")]
    total: Amount
    type: ReceiptType = "in_store"
    prices_include_tax: bool = True
    tax_total: Amount = 0
    shipping_total: Amount = 0
    discount_total: Positive = 0
    branch: BranchRef | None = None
    customer: Annotated[CustomerRef | None, Meta(description="null: anonymous")] = None
    employee: Employee | None = None
    taxes: list[TaxLine] = []
    payments: list[Payment] = []
    discounts: list[BasketDiscount] = []
    notes: Text | None = None
    metadata: dict[str, Any] | None = None


class ReturnOfLine(Schema):
    receipt_id: uuid.UUID
    line_no: int


class Line(Schema):
    line_no: int
    name: str
    quantity: str
    unit: str
    unit_price: PriceText
    total: int
    sku: str | None
    barcode: str | None
    product_id: uuid.UUID | None
    description: str | None
    category: str | None
    original_price: int | None
    discount: int
    vouchers: int
    tax_rate: str | None
    metadata: dict[str, Any] | None
    return_of: ReturnOfLine | None


class Receipt(Schema):
    id: uuid.UUID
    number: Annotated[int, Meta(description="Sequential per merchant, gapless.")]
    external_id: str
    type: ReceiptType
    issued_at: datetime
    currency: str
    prices_include_tax: bool
    branch: BranchSummary | None
    customer: CustomerSummary | None
    employee: Employee | None
    lines: list[Line]
    taxes: list[TaxLine]
    payments: list[Payment]
    discounts: list[BasketDiscount]
    subtotal: int
    tax_total: int
    shipping_total: int
    discount_total: int
    total: int
    notes: str | None
    metadata: dict[str, Any] | None
    is_return: bool
    created_at: datetime
    claimed_at: datetime | None
    order_status: Annotated[
        OrderStatus | None, Meta(description="An online order's status (docs/orders.md).")
    ] = None
    download_url: Annotated[
        str | None,
        Meta(description="Signed, expiring link to the PDF; needs no API key (docs/documents.md)."),
    ] = None
    monetary_wallet: Annotated[
        ReceiptWallet | None,
        Meta(description="What the receipt's campaigns credited (or a return clawed back) in "
             "the customer's credit wallet (docs/wallets.md); null: nothing."),
    ] = None  # fmt: skip
    points_wallet: Annotated[
        ReceiptWallet | None, Meta(description="The same for the points wallet.")
    ] = None
    basket_vouchers: list[BasketVoucher] = []
    total_points_balance: Annotated[
        int | None, Meta(description="The customer's points balance now; null: anonymous.")
    ] = None


class ReceiptBatch(Schema):
    receipts: Annotated[list[ReceiptCreate], Meta(min_length=1, max_length=500)]


class ItemError(Schema):
    status: int
    code: str
    detail: str
    errors: list[ProblemError] = []


class BatchItem(Schema):
    index: int
    status: Annotated[int, Meta(description="201 created, 200 already stored, or the error's.")]
    receipt: Receipt | None = None
    error: ItemError | None = None


class BatchResult(Schema):
    results: list[BatchItem]


class ClaimBody(Schema):
    customer: CustomerRef


class ReceiptFilters(Schema):
    """Which receipts: the filters shared by lists and exports."""

    customer_id: uuid.UUID | None = None
    branch_id: uuid.UUID | None = None
    branch_code: Annotated[str | None, Meta(description="Not together with branch_id.")] = None
    external_id: str | None = None
    type: ReceiptType | None = None
    order_status: Annotated[
        list[OrderStatus] | None, Meta(description="Repeatable: any of these order statuses.")
    ] = None
    issued_from: Annotated[Aware | None, Meta(description="Inclusive lower bound.")] = None
    issued_to: Annotated[Aware | None, Meta(description="Inclusive upper bound.")] = None
    issued_from_relative: Annotated[
        str | None, Meta(description="e.g. `-13 weeks`; overrides issued_from.")
    ] = None
    issued_to_relative: Annotated[
        str | None, Meta(description="e.g. `+6 months -5 days`; overrides issued_to.")
    ] = None


class ReceiptQuery(ReceiptFilters):
    limit: Limit = 50
    cursor: str | None = None
