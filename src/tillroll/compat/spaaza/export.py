"""Spaaza's get-receipts.csv: its 27 columns, rendered by the facade alone.

A receipt never changes, so its own cells are rendered once, while it is stored (the
`store_cells` listener the app wires into ingest), into the facade's table
`spaaza_receipt_cells`; the branch and customer cells are rendered per export from their
current rows, asked of their services. Each line is then a few strings joined, which keeps
the export near the database's own dump (docs/performance.md).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tillroll.branches.schemas import Branch
from tillroll.branches.service import branch as branch_service
from tillroll.compat.spaaza.tables import CELLS
from tillroll.customers.schemas import Customer
from tillroll.customers.service import customer as customer_service
from tillroll.kit.csv import number, text
from tillroll.kit.db import Connection, Database
from tillroll.kit.money import symbol, to_decimal_string
from tillroll.receipts.export import (
    Cached,
    Window,
    as_uuid,
    csv_stream,
    render_all_missing,
    with_own_cells,
)
from tillroll.receipts.rules import MICRO, quantity_micro
from tillroll.receipts.schemas import Receipt

RECEIPT_HEAD = [
    "id", "retailer_basket_code", "timestamp", "type", "items_count", "currency_code",
    "currency_symbol", "subtotal", "total_value", "shipping_charge", "employee_code",
    "employee_name",
]  # fmt: skip
BRANCH_CELLS = ["chain_business_id", "chain_business_name", "chain_business_owner_code"]
CUSTOMER_CELLS = [
    "shopper_id", "shopper_member_program", "shopper_member_number",
    "shopper_authentication_point_identifier", "shopper_email", "shopper_firstname",
    "shopper_lastname", "shopper_gender", "shopper_birthday", "shopper_country_code",
    "shopper_address_postalcode",
]  # fmt: skip
HEADER = ",".join([*RECEIPT_HEAD, *BRANCH_CELLS, *CUSTOMER_CELLS, "notes"]) + "\r\n"
NO_BRANCH = "," * (len(BRANCH_CELLS) - 1)
NO_CUSTOMER = "," * (len(CUSTOMER_CELLS) - 1)


# --- rendering ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiptCells:
    """What a receipt contributes to its CSV line (its `id` cell, the number, comes from the
    row: it is allocated last, just before commit)."""

    external_id: str
    issued_at: datetime
    type: str
    items_micro: int
    currency: str
    subtotal: int
    total: int
    shipping_total: int
    employee_code: str | None
    employee_name: str | None
    notes: str | None

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptCells:
        employee = receipt.employee
        return cls(
            receipt.external_id, receipt.issued_at, receipt.type,
            sum(quantity_micro(line.quantity) for line in receipt.lines), receipt.currency,
            receipt.subtotal, receipt.total, receipt.shipping_total,
            employee.code if employee else None, employee.name if employee else None,
            receipt.notes,
        )  # fmt: skip

    def fragments(self) -> tuple[str, str]:
        """(head, tail): the cells after `id` and before the branch's; the notes."""
        currency = self.currency
        head = ",".join([
            text(self.external_id),
            self.issued_at.astimezone(UTC).isoformat(), text(self.type),
            _quantity(self.items_micro), text(currency), text(symbol(currency)),
            to_decimal_string(self.subtotal, currency), to_decimal_string(self.total, currency),
            to_decimal_string(self.shipping_total, currency),
            text(self.employee_code), text(self.employee_name),
        ])  # fmt: skip
        return head, text(self.notes)


def _quantity(micro: int) -> str:
    whole, frac = divmod(abs(micro), MICRO)
    sign = "-" if micro < 0 else ""
    return f"{sign}{whole}" if not frac else f"{sign}{whole}.{frac:06d}".rstrip("0")


def _branch_cells(branch: Branch) -> str:
    return ",".join([number(branch.number), text(branch.name), text(branch.code)])


def _customer_cells(c: Customer) -> str:
    member = c.member_number
    shopper_id = member if member and member.isascii() and member.isdigit() else c.number
    billing, shipping = c.billing_address, c.shipping_address
    postal = billing.postal_code if billing and billing.postal_code is not None else None
    if postal is None and shipping is not None:
        postal = shipping.postal_code
    return ",".join([
        number(shopper_id), "", text(member), text(c.external_id), text(c.email),
        text(c.first_name), text(c.last_name), text(c.gender),
        number(c.birthday.isoformat() if c.birthday else None), text(c.country), text(postal),
    ])  # fmt: skip


def _cells_rows(merchant_id: uuid.UUID, receipts: Sequence[Receipt]) -> list[dict[str, Any]]:
    rows = []
    for receipt in receipts:
        head, tail = ReceiptCells.of(receipt).fragments()
        rows.append(
            {"merchant_id": merchant_id, "receipt_id": receipt.id, "head": head, "tail": tail}
        )
    return rows


async def store_cells(
    conn: Connection, merchant_id: uuid.UUID, receipts: Sequence[Receipt]
) -> None:
    """Ingest's listener: render the new receipts' own cells, in their transaction."""
    await CELLS.insert_before_commit(conn, _cells_rows(merchant_id, receipts))


# --- streaming ----------------------------------------------------------------------

_JOIN = "LEFT JOIN spaaza_receipt_cells s ON s.merchant_id = r.merchant_id AND s.receipt_id = r.id "
_ROWS = "SELECT s.head, r.branch_id, r.customer_id, s.tail, r.id, r.issued_at, r.number"


def stream_csv(
    db: Database, merchant_id: uuid.UUID, window: Window, *, header: bool = True
) -> AsyncIterator[bytes]:
    """The CSV file, one chunk per batch."""
    branches = Cached(lambda ids: _render_branches(db, merchant_id, ids))
    customers = Cached(lambda ids: _render_customers(db, merchant_id, ids))

    async def render(rows: Sequence[Any]) -> str:
        await branches.fill(r[1] for r in rows)
        await customers.fill(r[2] for r in rows)
        branch, customer = branches.cells.get, customers.cells.get
        return "".join(
            f"{n},{head},{branch(b, NO_BRANCH)},{customer(c, NO_CUSTOMER)},{tail}\r\n"
            for head, b, c, tail, _, _, n in await with_own_cells(db, merchant_id, rows, _fill)
        )

    return csv_stream(db, merchant_id, window, _ROWS, render, HEADER if header else "", join=_JOIN)


def _fill(receipt: Receipt, row: Any) -> tuple[Any, ...]:
    head, tail = ReceiptCells.of(receipt).fragments()
    return (head, row[1], row[2], tail, *row[4:])


async def _render_branches(db: Database, merchant_id: uuid.UUID, ids: list[Any]) -> dict[Any, str]:
    async with db.transaction(write=False) as conn:
        found = await branch_service.get_many(conn, merchant_id, [as_uuid(i) for i in ids])
    return {i: _branch_cells(found[as_uuid(i)]) for i in ids if as_uuid(i) in found}


async def _render_customers(db: Database, merchant_id: uuid.UUID, ids: list[Any]) -> dict[Any, str]:
    async with db.transaction(write=False) as conn:
        found = await customer_service.get_many(conn, merchant_id, [as_uuid(i) for i in ids])
    return {i: _customer_cells(found[as_uuid(i)]) for i in ids if as_uuid(i) in found}


# --- rendering what is missing (receipts stored before migration 0004 or without the facade)


async def _missing(conn: Connection, limit: int) -> list[Any]:
    return await conn.fetchall(
        f"SELECT r.merchant_id, r.id FROM receipts r {_JOIN}WHERE s.receipt_id IS NULL LIMIT :n",
        {"n": limit},
    )


async def render_missing(db: Database) -> int:
    """Store the cells of receipts that have none; return how many (`tillroll migrate`)."""
    return await render_all_missing(db, _missing, store_cells)
