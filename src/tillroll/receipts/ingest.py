"""Ingest: one pipeline for a single receipt and for a batch of up to 500.

Each receipt is checked on its own (rules, references, returns) and is stored or refused as
a whole; the accepted ones are written together (one number block, two multi-row inserts).
Posting the same receipt again answers with the stored one; the same `external_id` with
different content is a 409.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec

from tillroll.errors import Conflict, InvalidInput, TillrollError
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.kit.repository import next_number, to_json
from tillroll.receipts.export import ReceiptCells
from tillroll.receipts.repository import ReceiptRepository
from tillroll.receipts.returns import check_returns
from tillroll.receipts.rules import check_receipt, normal_quantity, quantity_micro
from tillroll.receipts.schemas import (
    BranchSummary,
    CustomerSummary,
    Employee,
    Receipt,
    ReceiptCreate,
)


@dataclass(slots=True)
class Item:
    """One receipt on its way in."""

    index: int
    body: ReceiptCreate
    body_hash: str = ""
    error: TillrollError | None = None
    stored_id: uuid.UUID | None = None  # already stored (replay)
    duplicate_of: Item | None = None  # the same receipt earlier in this batch
    new_id: uuid.UUID | None = None
    branch: BranchSummary | None = None
    customer: CustomerSummary | None = None
    return_targets: dict[int, uuid.UUID] = field(default_factory=dict)  # line index → receipt

    @property
    def pending(self) -> bool:
        return self.error is None and self.stored_id is None and self.duplicate_of is None

    @property
    def receipt_id(self) -> uuid.UUID | None:
        if self.duplicate_of is not None:
            return self.duplicate_of.receipt_id
        return self.stored_id or self.new_id


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    receipt: Receipt | None = None
    error: TillrollError | None = None


def body_hash(body: ReceiptCreate) -> str:
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


async def ingest(
    conn: Connection, merchant_id: uuid.UUID, bodies: list[ReceiptCreate]
) -> list[Outcome]:
    items = [Item(index, body) for index, body in enumerate(bodies)]
    for item in items:
        errors = check_receipt(item.body)
        if errors:
            item.error = InvalidInput.fields(errors)
        else:
            item.body_hash = body_hash(item.body)
    repo = ReceiptRepository.of(conn)
    await _match_stored(repo, merchant_id, items)
    await _resolve_branches(repo, merchant_id, [i for i in items if i.pending])
    await _resolve_customers(repo, merchant_id, [i for i in items if i.pending])
    await _check_products(repo, merchant_id, [i for i in items if i.pending])
    await check_returns(repo, merchant_id, [i for i in items if i.pending])
    await _write(conn, repo, merchant_id, [i for i in items if i.pending])
    return await _outcomes(repo, merchant_id, items)


async def _match_stored(repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]) -> None:
    live = [i for i in items if i.error is None]
    stored = await repo.existing(merchant_id, sorted({i.body.external_id for i in live}))
    first_seen: dict[str, Item] = {}
    for item in live:
        external_id = item.body.external_id
        match = stored.get(external_id)
        earlier = first_seen.setdefault(external_id, item)
        if match is not None:
            same = match["body_hash"] == item.body_hash
            item.stored_id = match["id"] if same else None
        else:
            same = earlier.body_hash == item.body_hash
            item.duplicate_of = earlier if earlier is not item and same else None
        if not same:
            item.error = Conflict(
                f"external_id {external_id!r} is already used by a receipt with other content; "
                "a receipt is immutable (post a return to correct it)."
            )


async def _resolve_branches(
    repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]
) -> None:
    refs = [i.body.branch for i in items if i.body.branch is not None]
    if not refs:
        return
    found = await repo.branches(
        merchant_id,
        sorted({r.id for r in refs if r.id is not None}),
        sorted({r.code for r in refs if r.code is not None}),
    )
    by_id = {b.id: b for b in found}
    by_code = {b.code: b for b in found}
    for item in items:
        ref = item.body.branch
        if ref is None:
            continue
        item.branch = by_id.get(ref.id) if ref.id is not None else by_code.get(ref.code or "")
        if item.branch is None:
            what = f"id {ref.id}" if ref.id is not None else f"code {ref.code!r}"
            item.error = InvalidInput.field("branch", f"no branch with {what}")


async def _resolve_customers(
    repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]
) -> None:
    for column in ("id", "external_id", "member_number"):
        wanted = {
            getattr(i.body.customer, column): i
            for i in items
            if i.body.customer is not None and getattr(i.body.customer, column) is not None
        }
        if not wanted:
            continue
        found = {
            getattr(c, column): c
            for c in await repo.customers(merchant_id, column, sorted(wanted, key=str))
        }
        for item in items:
            value = getattr(item.body.customer, column, None)
            if value is None:
                continue
            item.customer = found.get(value)
            if item.customer is None:
                item.error = InvalidInput.field(
                    f"customer.{column}", f"no customer with {column} {value}"
                )


async def _check_products(
    repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]
) -> None:
    wanted = {line.product_id for i in items for line in i.body.lines if line.product_id}
    if not wanted:
        return
    known = await repo.product_ids(merchant_id, sorted(wanted))
    for item in items:
        for index, line in enumerate(item.body.lines):
            if line.product_id is not None and line.product_id not in known:
                item.error = InvalidInput.field(f"lines[{index}].product_id", "no such product")


async def _write(
    conn: Connection, repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]
) -> None:
    if not items:
        return
    number = await next_number(conn, merchant_id, "receipt", len(items))
    now = utc_now()
    receipts: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for offset, item in enumerate(items):
        item.new_id = uuid7()
        receipts.append(_receipt_row(merchant_id, item, number + offset, now))
        lines += _line_rows(merchant_id, item)
    await repo.insert(receipts, lines)


def _receipt_row(merchant_id: uuid.UUID, item: Item, number: int, now: Any) -> dict[str, Any]:
    body = item.body
    employee = body.employee or Employee()
    head, tail = ReceiptCells(
        number, body.external_id, body.issued_at, body.type,
        sum(quantity_micro(line.quantity) for line in body.lines), body.currency,
        body.subtotal, body.total, body.shipping_total, employee.code, employee.name, body.notes,
    ).fragments()  # fmt: skip
    return {
        "merchant_id": merchant_id, "id": item.new_id, "number": number,
        "external_id": body.external_id, "type": body.type, "issued_at": body.issued_at,
        "branch_id": item.branch.id if item.branch else None,
        "customer_id": item.customer.id if item.customer else None,
        "employee": to_json(body.employee), "currency": body.currency,
        "prices_include_tax": body.prices_include_tax, "subtotal": body.subtotal,
        "tax_total": body.tax_total, "shipping_total": body.shipping_total,
        "discount_total": body.discount_total, "total": body.total,
        "taxes": to_json(body.taxes), "payments": to_json(body.payments),
        "discounts": to_json(body.discounts), "notes": body.notes,
        "metadata": to_json(body.metadata), "is_return": bool(item.return_targets),
        "body_hash": item.body_hash, "created_at": now,
        "csv_head": head, "csv_tail": tail,
    }  # fmt: skip


def _line_rows(merchant_id: uuid.UUID, item: Item) -> list[dict[str, Any]]:
    return [
        {
            "merchant_id": merchant_id,
            "receipt_id": item.new_id,
            "line_no": index + 1,
            "sku": line.sku,
            "barcode": line.barcode,
            "product_id": line.product_id,
            "name": line.name,
            "description": line.description,
            "category": line.category,
            "quantity": normal_quantity(line.quantity),
            "quantity_micro": quantity_micro(line.quantity),
            "unit": line.unit,
            "unit_price": line.unit_price,
            "original_price": line.original_price,
            "discount": line.discount,
            "vouchers": line.vouchers,
            "total": line.total,
            "tax_rate": line.tax_rate,
            "metadata": to_json(line.metadata),
            "return_of_receipt_id": item.return_targets.get(index),
            "return_of_line_no": line.return_of.line_no if line.return_of else None,
        }
        for index, line in enumerate(item.body.lines)
    ]


async def _outcomes(
    repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]
) -> list[Outcome]:
    ids = sorted({i.receipt_id for i in items if i.receipt_id is not None})
    receipts = {r.id: r for r in await repo.get_many(merchant_id, ids)}
    outcomes = []
    for item in items:
        error = item.error or (item.duplicate_of.error if item.duplicate_of else None)
        if error is not None:
            outcomes.append(Outcome(error.status, error=error))
        else:
            receipt = receipts[item.receipt_id]  # type: ignore[index]
            outcomes.append(Outcome(201 if item.new_id else 200, receipt=receipt))
    return outcomes
