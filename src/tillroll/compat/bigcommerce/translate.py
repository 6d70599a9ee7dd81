"""Native b2b objects ↔ BC B2B shapes. Money crosses only here: minor units ↔ `{code,
value}` with a 4-decimal string, parsed through `kit.parse` (never a float); times as Unix
seconds; ids as the native sequential `number`s; `customerId` as the customer's
`external_id` (its number when it has none); `storeHash` derived from the merchant."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime

from tillroll.b2b import schemas as native
from tillroll.compat.bigcommerce.schemas import (
    Amount,
    Invoice,
    Memo,
    ModuleData,
    Payment,
    PaymentLineItem,
    Receipt,
    ReceiptDetails,
    ReceiptLine,
    Transaction,
)
from tillroll.customers.service import customer as customer_service
from tillroll.errors import InvalidInput
from tillroll.kit import parse
from tillroll.kit.db import Connection
from tillroll.kit.money import EXPONENTS, MAX_AMOUNT, to_decimal_string

PLACES = 4
INVOICE_STATUS = {"open": 0, "partially_paid": 1, "completed": 2}


def store_hash(merchant_id: uuid.UUID) -> str:
    """A stable 10-character store hash (`1i6zpxpe3g`-like) of the merchant."""
    digest = hashlib.sha256(b"bigcommerce-b2b:" + merchant_id.bytes).digest()
    return base64.b32encode(digest).decode().lower()[:10]


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def from_unix(seconds: int) -> date:
    return datetime.fromtimestamp(seconds, UTC).date()


def amount(minor: int, currency: str) -> Amount:
    return Amount(code=currency, value=to_decimal_string(minor, currency, PLACES))


def minor_units(text: str, currency: str, field: str) -> int:
    """`"122.9500"` in USD → 12295: at most 4 decimals, none beyond the currency's own."""
    exponent = EXPONENTS[currency]
    value = parse.decimal(text, field=field, places=max(PLACES, exponent))
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidInput.field(field, f"{text} has more decimals than {currency} has")
    if not 0 < scaled <= MAX_AMOUNT:
        raise InvalidInput.field(field, f"{text} is not between 0 and {MAX_AMOUNT} minor units")
    return int(scaled)


class Refs:
    """The BC `customerId` of each customer a page refers to (one query)."""

    def __init__(self, by_id: dict[uuid.UUID, str]) -> None:
        self.by_id = by_id

    @classmethod
    async def load(
        cls, conn: Connection, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID | None]
    ) -> Refs:
        wanted = sorted({i for i in ids if i is not None})
        found = await customer_service.summaries(conn, merchant_id, "id", wanted)
        return cls({c.id: c.external_id or str(c.number) for c in found})

    def __call__(self, customer_id: uuid.UUID | None) -> str:
        return "" if customer_id is None else self.by_id.get(customer_id, "")


def receipt(r: native.Receipt, refs: Refs, store: str) -> Receipt:
    return Receipt(
        id=r.number,
        created_at=unix(r.created_at),
        updated_at=unix(r.updated_at),
        store_hash=store,
        customer_id=refs(r.customer_id),
        external_id=r.external_id or "",
        external_customer_id=r.external_customer_id or "",
        payer_name=r.payer_name,
        payer_customer_id=refs(r.payer_customer_id),
        details=ReceiptDetails(payment_details=Memo(memo=r.memo)),
        transaction_type=r.transaction_type,
        payment_type=r.payment_type,
        reference_number=r.reference_number,
        payment_id=r.payment_number,
        total=amount(r.total, r.currency),
    )


def line(x: native.ReceiptLine, refs: Refs, store: str) -> ReceiptLine:
    return ReceiptLine(
        id=x.number,
        created_at=unix(x.created_at),
        updated_at=unix(x.updated_at),
        store_hash=store,
        customer_id=refs(x.customer_id),
        external_id=x.external_id or "",
        external_customer_id=x.external_customer_id or "",
        receipt_id=x.receipt_number,
        invoice_id=x.invoice_seq,
        amount=amount(x.amount, x.currency),
        payment_status=x.payment_status,
        payment_type=x.payment_type,
        invoice_number=x.invoice_number,
        payment_id=x.payment_number,
        reference_number=x.reference_number,
        transaction_type=x.transaction_type,
    )


OFFLINE = "payments_offline"
"""BC's `moduleName` of an offline payment: every payment Tillroll records is one."""


def transactions(p: native.Payment) -> list[Transaction]:
    """Its one transaction, as BC shows an offline payment's."""
    return [Transaction(memo=p.memo, type="OfflineTransaction", raw_transaction=None)]


def payment(p: native.Payment, refs: Refs, store: str, channels: dict[int, str]) -> Payment:
    items = [
        PaymentLineItem(
            payment_id=p.number,
            invoice_id=x.invoice_seq,
            invoice_number=x.invoice_number,
            amount=amount(x.amount, p.currency),
        )
        for x in p.lines
    ]
    holds = p.processing_status in native.HOLDS_BALANCE
    return Payment(
        id=p.number,
        created_at=unix(p.created_at),
        updated_at=unix(p.updated_at),
        store_hash=store,
        customer_id=refs(p.customer_id),
        external_id=p.external_id,
        external_customer_id=p.external_customer_id,
        payer_name=p.payer_name,
        payer_customer_id=refs(p.payer_customer_id),
        details=Memo(memo=p.memo),
        module_name=OFFLINE,
        processing_status=p.processing_status,
        applied_status=int(p.applied),
        funding_status=p.funding_status,
        total=amount(p.total, p.currency),
        fees=[],
        line_items=items,
        allowed_operations=[1] if p.applied else ([0] if holds else []),
        channel_id=p.channel_id,
        module_data=ModuleData(transactions=transactions(p)),
        customer_name=p.customer_name,
        allowed_statuses=[1, 2, 3, 4],
        channel_name=None if p.channel_id is None else channels.get(p.channel_id),
    )


def invoice(i: native.Invoice, refs: Refs, store: str) -> Invoice:
    due = i.due_date
    return Invoice(
        id=i.number,
        created_at=unix(i.created_at),
        updated_at=unix(i.updated_at),
        store_hash=store,
        invoice_number=i.invoice_number,
        customer_id=refs(i.customer_id),
        external_id=i.external_id or "",
        original_balance=amount(i.amount, i.currency),
        open_balance=amount(i.open_balance, i.currency),
        status=INVOICE_STATUS[i.status],
        due_date=None if due is None else unix(datetime(due.year, due.month, due.day, tzinfo=UTC)),
        source=0 if i.source == "b2b" else 1,
    )
