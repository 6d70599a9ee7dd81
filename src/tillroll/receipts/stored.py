"""A new receipt as it is stored: the `Receipt` a GET will return, and its table rows.

The rows are derived from the `Receipt`, so what the POST answers is exactly what was
written, without reading it back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tillroll.receipts.export import own_cells
from tillroll.receipts.rules import normal_price, normal_quantity, quantity_micro
from tillroll.receipts.schemas import Line, Receipt, ReturnOfLine
from tillroll.receipts.tables import LINES, RECEIPTS

if TYPE_CHECKING:
    from tillroll.receipts.ingest import Item


def as_stored(item: Item, receipt_id: uuid.UUID, number: int, now: datetime) -> Receipt:
    body = item.body
    return Receipt(
        id=receipt_id, number=number, external_id=body.external_id, type=body.type,
        issued_at=body.issued_at.astimezone(UTC), currency=body.currency,
        prices_include_tax=body.prices_include_tax, branch=item.branch,
        customer=item.customer, employee=body.employee,
        lines=[_line(item, index) for index in range(len(body.lines))],
        taxes=body.taxes, payments=body.payments, discounts=body.discounts,
        subtotal=body.subtotal, tax_total=body.tax_total, shipping_total=body.shipping_total,
        discount_total=body.discount_total, total=body.total, notes=body.notes,
        metadata=body.metadata, is_return=bool(item.return_targets), created_at=now,
        claimed_at=None,
    )  # fmt: skip


def _line(item: Item, index: int) -> Line:
    line = item.body.lines[index]
    return_of = None
    if line.return_of is not None:
        return_of = ReturnOfLine(
            receipt_id=item.return_targets[index], line_no=line.return_of.line_no
        )
    return Line(
        line_no=index + 1, name=line.name, quantity=normal_quantity(line.quantity),
        unit=line.unit, unit_price=normal_price(line.unit_price), total=line.total, sku=line.sku,
        barcode=line.barcode, product_id=line.product_id, description=line.description,
        category=line.category, original_price=line.original_price, discount=line.discount,
        vouchers=line.vouchers, tax_rate=line.tax_rate, metadata=line.metadata,
        return_of=return_of,
    )  # fmt: skip


_RECEIPT_COLUMNS = RECEIPTS.encoder([n for n in RECEIPTS.names if n in Receipt.__struct_fields__])
_LINE_COLUMNS = LINES.encoder([n for n in LINES.names if n in Line.__struct_fields__])


def receipt_row(merchant_id: uuid.UUID, receipt: Receipt, body_hash: str) -> dict[str, Any]:
    row = _RECEIPT_COLUMNS(receipt)
    row["merchant_id"] = merchant_id
    row["branch_id"] = receipt.branch.id if receipt.branch else None
    row["customer_id"] = receipt.customer.id if receipt.customer else None
    row["body_hash"] = body_hash
    row["csv_cells"] = own_cells(receipt)
    return row


def line_rows(merchant_id: uuid.UUID, receipt: Receipt) -> list[dict[str, Any]]:
    rows = []
    for line in receipt.lines:
        row = _LINE_COLUMNS(line)
        row["merchant_id"] = merchant_id
        row["receipt_id"] = receipt.id
        row["quantity_micro"] = quantity_micro(line.quantity)
        row["return_of_receipt_id"] = line.return_of.receipt_id if line.return_of else None
        row["return_of_line_no"] = line.return_of.line_no if line.return_of else None
        rows.append(row)
    return rows
