"""A new receipt as it is stored: the `Receipt` a GET will return, and its table rows.

The rows are derived from the `Receipt`, so what the POST answers is exactly what was
written, without reading it back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tillroll.kit.repository import to_json
from tillroll.receipts.export import ReceiptCells
from tillroll.receipts.rules import normal_price, normal_quantity, quantity_micro
from tillroll.receipts.schemas import Line, Receipt, ReturnOfLine

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


def receipt_row(merchant_id: uuid.UUID, receipt: Receipt, body_hash: str) -> dict[str, Any]:
    employee = receipt.employee
    head, tail = ReceiptCells(
        receipt.external_id, receipt.issued_at, receipt.type,
        sum(quantity_micro(line.quantity) for line in receipt.lines), receipt.currency,
        receipt.subtotal, receipt.total, receipt.shipping_total,
        employee.code if employee else None, employee.name if employee else None, receipt.notes,
    ).fragments()  # fmt: skip
    return {
        "merchant_id": merchant_id, "id": receipt.id, "number": receipt.number,
        "external_id": receipt.external_id, "type": receipt.type,
        "issued_at": receipt.issued_at,
        "branch_id": receipt.branch.id if receipt.branch else None,
        "customer_id": receipt.customer.id if receipt.customer else None,
        "employee": to_json(employee), "currency": receipt.currency,
        "prices_include_tax": receipt.prices_include_tax, "subtotal": receipt.subtotal,
        "tax_total": receipt.tax_total, "shipping_total": receipt.shipping_total,
        "discount_total": receipt.discount_total, "total": receipt.total,
        "taxes": to_json(receipt.taxes), "payments": to_json(receipt.payments),
        "discounts": to_json(receipt.discounts), "notes": receipt.notes,
        "metadata": to_json(receipt.metadata), "is_return": receipt.is_return,
        "body_hash": body_hash, "created_at": receipt.created_at,
        "csv_head": head, "csv_tail": tail,
    }  # fmt: skip


def line_rows(merchant_id: uuid.UUID, receipt: Receipt) -> list[dict[str, Any]]:
    return [
        {
            "merchant_id": merchant_id,
            "receipt_id": receipt.id,
            "line_no": line.line_no,
            "sku": line.sku,
            "barcode": line.barcode,
            "product_id": line.product_id,
            "name": line.name,
            "description": line.description,
            "category": line.category,
            "quantity": line.quantity,
            "quantity_micro": quantity_micro(line.quantity),
            "unit": line.unit,
            "unit_price": line.unit_price,
            "original_price": line.original_price,
            "discount": line.discount,
            "vouchers": line.vouchers,
            "total": line.total,
            "tax_rate": line.tax_rate,
            "metadata": to_json(line.metadata),
            "return_of_receipt_id": line.return_of.receipt_id if line.return_of else None,
            "return_of_line_no": line.return_of.line_no if line.return_of else None,
        }
        for line in receipt.lines
    ]
