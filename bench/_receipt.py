"""The benchmark receipt (5 lines, valid under Tillroll's rules) and its rows for raw drivers.

The column lists are a copy of the spine schema's `receipts` / `receipt_lines` columns as
Tillroll writes them (src/tillroll/receipts/repository.py, 2026-11-22), so the raw-driver
baselines write the same rows with the same columns.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from tillroll.receipts.rules import normal_price
from tillroll.receipts.schemas import ReceiptCreate
from tillroll.receipts.tables import LINES, RECEIPTS

# Tillroll's own columns, from the tables' declarations.
RECEIPT_COLUMNS = RECEIPTS.names
LINE_COLUMNS = LINES.names

MARK = "@@EXT@@"

# A realistic till receipt: 5 lines (one weighed), two tax rates, two payments; no branch or
# customer reference, so both sides do the same work (no reference lookups).
TEMPLATE = (
    '{"external_id":"' + MARK + '","type":"in_store","issued_at":"2026-11-21T15:09:26+01:00",'
    '"currency":"EUR","prices_include_tax":true,"employee":{"code":"E07","name":"Sanne"},'
    '"lines":['
    '{"sku":"TS-KIT-L-W","barcode":"8712345678906","name":"Classic t-shirt with kitten",'
    '"category":"Clothing > T-shirts","quantity":"2","unit_price":1500,"original_price":1800,'
    '"discount":200,"total":2800,"tax_rate":"0.21","metadata":{"colour":"white","size":"L"}},'
    '{"sku":"APL-ELS","name":"Elstar apples","quantity":"1.055","unit":"kg",'
    '"unit_price":299,"total":315,"tax_rate":"0.09"},'
    '{"sku":"BAG","name":"Paper bag","quantity":"1","unit_price":25,"total":25,'
    '"tax_rate":"0.21"},'
    '{"sku":"MLK-1L","barcode":"8710400000011","name":"Whole milk 1 l","category":"Dairy",'
    '"quantity":"3","unit_price":119,"total":357,"tax_rate":"0.09"},'
    '{"sku":"COF-500","name":"Coffee beans 500 g","category":"Coffee","quantity":"1",'
    '"unit_price":899,"total":899,"tax_rate":"0.09"}],'
    '"taxes":[{"rate":"0.21","taxable_amount":2335,"tax_amount":490},'
    '{"rate":"0.09","taxable_amount":1441,"tax_amount":130}],'
    '"payments":[{"method":"card","amount":3000,"card_brand":"visa","card_last4":"1234"},'
    '{"method":"cash","amount":1396}],'
    '"subtotal":4396,"tax_total":620,"total":4396,'
    '"notes":"Thank you for shopping with us!","metadata":{"till":"T-0001"}}'
)
PART1, PART2 = TEMPLATE.split(MARK)


def body(external_id: str) -> bytes:
    return (PART1 + external_id + PART2).encode()


def batch_body(external_ids: list[str]) -> bytes:
    return b'{"receipts":[' + b",".join(body(e) for e in external_ids) + b"]}"


DECODER = msgspec.json.Decoder(ReceiptCreate)


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def uuid7() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | rand & 0x3FFF_FFFF_FFFF_FFFF
    return uuid.UUID(int=value)


def sqlite_time(value: datetime) -> str:
    """The text form Tillroll's sqlite3 adapter stores (UTC, microseconds, +00:00)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def rows(
    r: ReceiptCreate, merchant_id: uuid.UUID, number: int, *, sqlite: bool
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """(receipt row, line rows) in RECEIPT_COLUMNS / LINE_COLUMNS order.

    For sqlite, UUIDs and times are given as the text Tillroll stores; for asyncpg as objects.
    """
    rid = uuid7()
    now = datetime.now(UTC)
    m: Any = merchant_id
    i: Any = rid
    issued: Any = r.issued_at
    created: Any = now
    if sqlite:
        m, i, issued, created = str(merchant_id), str(rid), sqlite_time(issued), sqlite_time(now)
    receipt = (
        m,
        i,
        number,
        r.external_id,
        r.type,
        issued,
        None,
        None,
        _json(r.employee),
        r.currency,
        r.prices_include_tax,
        r.subtotal,
        r.tax_total,
        r.shipping_total,
        r.discount_total,
        r.total,
        _json(r.taxes),
        _json(r.payments),
        _json(r.discounts),
        r.notes,
        _json(r.metadata),
        False,
        "0" * 64,
        created,
        None,
        None,  # csv_cells: the export's cells, rendered by Tillroll's ingest only
    )
    lines = [
        line_tuple(
            merchant_id=m,
            receipt_id=i,
            line_no=n,
            sku=ln.sku,
            barcode=ln.barcode,
            product_id=ln.product_id,
            name=ln.name,
            description=ln.description,
            category=ln.category,
            quantity=ln.quantity,
            quantity_micro=int(Decimal(ln.quantity) * 1_000_000),
            unit=ln.unit,
            unit_price=normal_price(ln.unit_price),
            original_price=ln.original_price,
            discount=ln.discount,
            vouchers=ln.vouchers,
            total=ln.total,
            tax_rate=ln.tax_rate,
            metadata=_json(ln.metadata),
            return_of_receipt_id=None,
            return_of_line_no=None,
        )
        for n, ln in enumerate(r.lines, 1)
    ]
    return receipt, lines


def line_tuple(**values: Any) -> tuple[Any, ...]:
    """A line row in LINE_COLUMNS order, from its values by name (no order to keep by hand)."""
    assert values.keys() == set(LINE_COLUMNS), set(LINE_COLUMNS) ^ values.keys()
    return tuple(values[c] for c in LINE_COLUMNS)


def insert_sql(table: str, columns: tuple[str, ...], *, sqlite: bool) -> str:
    marks = ["?"] * len(columns) if sqlite else [f"${n}" for n in range(1, len(columns) + 1)]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})"


# Allocate `n` receipt numbers (the same per-merchant counter row Tillroll uses).
COUNTER_SQLITE = (
    "INSERT INTO counters (merchant_id, name, value) VALUES (?, 'receipt', ?) "
    "ON CONFLICT (merchant_id, name) DO UPDATE SET value = value + excluded.value "
    "RETURNING value"
)
COUNTER_PG = (
    "INSERT INTO counters (merchant_id, name, value) VALUES ($1, 'receipt', $2) "
    "ON CONFLICT (merchant_id, name) DO UPDATE SET value = counters.value + excluded.value "
    "RETURNING value"
)
