"""All SQL of purchase receipts. Every statement is scoped by `merchant_id`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from tillroll.kit.db import Row
from tillroll.kit.repository import Repository, from_json, in_list, is_number, next_number
from tillroll.receipts.schemas import (
    BasketDiscount,
    BranchSummary,
    CustomerSummary,
    Employee,
    Line,
    Payment,
    Receipt,
    ReturnOfLine,
    TaxLine,
)

RECEIPT_SELECT = (
    "r.id, r.number, r.external_id, r.type, r.issued_at, r.currency, r.prices_include_tax, "
    "r.employee, r.taxes, r.payments, r.discounts, r.subtotal, r.tax_total, r.shipping_total, "
    "r.discount_total, r.total, r.notes, r.metadata, r.is_return, r.created_at, r.claimed_at, "
    "b.id AS b_id, b.number AS b_number, b.code AS b_code, b.name AS b_name, "
    "c.id AS c_id, c.number AS c_number, c.external_id AS c_external_id, "
    "c.member_number AS c_member_number "
    "FROM receipts r "
    "LEFT JOIN branches b ON b.merchant_id = r.merchant_id AND b.id = r.branch_id "
    "LEFT JOIN customers c ON c.merchant_id = r.merchant_id AND c.id = r.customer_id "
)
LINE_SELECT = (
    "receipt_id, line_no, name, quantity, unit, unit_price, total, sku, barcode, product_id, "
    "description, category, original_price, discount, vouchers, tax_rate, metadata, "
    "return_of_receipt_id, return_of_line_no"
)
RECEIPT_COLUMNS = (
    "merchant_id", "id", "number", "external_id", "type", "issued_at", "branch_id",
    "customer_id", "employee", "currency", "prices_include_tax", "subtotal", "tax_total",
    "shipping_total", "discount_total", "total", "taxes", "payments", "discounts", "notes",
    "metadata", "is_return", "body_hash", "created_at", "csv_head", "csv_tail",
)  # fmt: skip
LINE_COLUMNS = (
    "merchant_id", "receipt_id", "line_no", "sku", "barcode", "product_id", "name",
    "description", "category", "quantity", "quantity_micro", "unit", "unit_price",
    "original_price", "discount", "vouchers", "total", "tax_rate", "metadata",
    "return_of_receipt_id", "return_of_line_no",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReceiptFilter:
    """Which receipts; `after`/`before` continue a keyset walk on (issued_at, number)."""

    customer_id: uuid.UUID | None = None
    branch_id: uuid.UUID | None = None
    external_id: str | None = None
    type: str | None = None
    issued_from: datetime | None = None
    issued_to: datetime | None = None
    nothing: bool = False  # e.g. an unknown branch code: no receipt can match
    after: tuple[Any, int] | None = None  # oldest-first walks: rows past this key
    before: tuple[Any, int] | None = None  # newest-first walks: rows before this key

    def where(self) -> tuple[str, dict[str, Any]]:
        clauses: list[str] = ["1 = 0"] if self.nothing else []
        params: dict[str, Any] = {}
        # A keyset's own time is the range bound (it lies inside the window), so the index
        # seeks straight to it; SQLite would otherwise scan from issued_from every page.
        lower = self.after[0] if self.after else self.issued_from
        upper = self.before[0] if self.before else self.issued_to
        for column, value, op in (
            ("r.customer_id", self.customer_id, "="),
            ("r.branch_id", self.branch_id, "="),
            ("r.external_id", self.external_id, "="),
            ("r.type", self.type, "="),
            ("r.issued_at", lower, ">="),
            ("r.issued_at", upper, "<="),
        ):
            if value is not None:
                name = f"f{len(params)}"
                clauses.append(f"{column} {op} :{name}")
                params[name] = value
        for key, op in ((self.after, ">"), (self.before, "<")):
            if key is not None:
                name = f"f{len(params)}"
                clauses.append(f"(r.issued_at, r.number) {op} (:{name}_at, :{name}_n)")
                params |= {f"{name}_at": key[0], f"{name}_n": key[1]}
        return "".join(f" AND {c}" for c in clauses), params


@dataclass(frozen=True, slots=True)
class OriginalLine:
    receipt_id: uuid.UUID
    external_id: str
    currency: str
    line_no: int
    quantity_micro: int
    total: int
    is_return_line: bool
    returned_micro: int
    refunded: int


def _given_back(expression: str) -> str:
    """Σ over the return lines pointing at line `l` (negated: a positive amount given back)."""
    return (
        f"(SELECT COALESCE(-SUM(x.{expression}), 0) FROM receipt_lines x "
        "WHERE x.merchant_id = l.merchant_id AND x.return_of_receipt_id = l.receipt_id "
        "AND x.return_of_line_no = l.line_no)"
    )


_RETURNED = _given_back("quantity_micro")
_REFUNDED = _given_back("total")


_INSERT_ONE_NUMBERED = (
    "WITH c AS (UPDATE counters SET value = value + 1 "
    "WHERE merchant_id = :merchant_id AND name = 'receipt' RETURNING value) "
    f"INSERT INTO receipts ({', '.join(RECEIPT_COLUMNS)}) VALUES ("
    + ", ".join("(SELECT value FROM c)" if c == "number" else f":{c}" for c in RECEIPT_COLUMNS)
    + ") RETURNING number"
)


class ReceiptRepository(Repository):
    async def existing(self, merchant_id: uuid.UUID, external_ids: Sequence[str]) -> dict[str, Row]:
        """external_id → (id, body_hash) of receipts already stored."""
        if not external_ids:
            return {}
        marks, params = in_list("e", external_ids)
        rows = await self.conn.fetchall(
            "SELECT id, external_id, body_hash FROM receipts "
            f"WHERE merchant_id = :m AND external_id IN {marks}",
            {"m": merchant_id, **params},
        )
        return {r["external_id"]: r for r in rows}

    async def branches(
        self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID], codes: Sequence[str]
    ) -> list[BranchSummary]:
        id_marks, id_params = in_list("i", ids)
        code_marks, code_params = in_list("c", codes)
        rows = await self.conn.fetchall(
            "SELECT id, number, code, name FROM branches WHERE merchant_id = :m AND ("
            f"{'id IN ' + id_marks if ids else '0 = 1'} OR "
            f"{'code IN ' + code_marks if codes else '0 = 1'})",
            {"m": merchant_id, **id_params, **code_params},
        )
        return [
            BranchSummary(id=r["id"], number=r["number"], code=r["code"], name=r["name"])
            for r in rows
        ]

    async def customers(
        self, merchant_id: uuid.UUID, column: str, values: Sequence[Any]
    ) -> list[CustomerSummary]:
        assert column in ("id", "external_id", "member_number")
        marks, params = in_list("v", values)
        rows = await self.conn.fetchall(
            "SELECT id, number, external_id, member_number FROM customers "
            f"WHERE merchant_id = :m AND {column} IN {marks}",
            {"m": merchant_id, **params},
        )
        return [
            CustomerSummary(
                id=r["id"],
                number=r["number"],
                external_id=r["external_id"],
                member_number=r["member_number"],
            )
            for r in rows
        ]

    async def product_ids(self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        marks, params = in_list("p", ids)
        rows = await self.conn.fetchall(
            f"SELECT id FROM products WHERE merchant_id = :m AND id IN {marks}",
            {"m": merchant_id, **params},
        )
        return {r["id"] for r in rows}

    async def original_lines(
        self, merchant_id: uuid.UUID, column: str, values: Sequence[Any]
    ) -> list[OriginalLine]:
        """Lines of the receipts returns point at, with what was already returned of each.

        On PostgreSQL the receipts are locked, so concurrent returns of one line serialize.
        """
        assert column in ("id", "external_id")
        marks, params = in_list("o", values)
        lock = " FOR UPDATE" if self.conn.dialect == "postgresql" else ""
        await self.conn.fetchall(
            f"SELECT id FROM receipts WHERE merchant_id = :m AND {column} IN {marks}{lock}",
            {"m": merchant_id, **params},
        )
        rows = await self.conn.fetchall(
            "SELECT r.id, r.external_id, r.currency, l.line_no, l.quantity_micro, l.total, "
            f"l.return_of_receipt_id, {_RETURNED} AS returned, {_REFUNDED} AS refunded "
            "FROM receipts r JOIN receipt_lines l "
            "ON l.merchant_id = r.merchant_id AND l.receipt_id = r.id "
            f"WHERE r.merchant_id = :m AND r.{column} IN {marks}",
            {"m": merchant_id, **params},
        )
        return [
            OriginalLine(
                receipt_id=r["id"],
                external_id=r["external_id"],
                currency=r["currency"],
                line_no=r["line_no"],
                quantity_micro=r["quantity_micro"],
                total=r["total"],
                is_return_line=r["return_of_receipt_id"] is not None,
                returned_micro=int(r["returned"]),
                refunded=int(r["refunded"]),
            )
            for r in rows
        ]

    async def insert_lines(self, lines: list[dict[str, Any]]) -> None:
        """Lines before their receipts: their reference is checked at commit."""
        if self.conn.dialect == "sqlite":
            await self.conn.execute("PRAGMA defer_foreign_keys = ON")  # until this commit
        values = itemgetter(*LINE_COLUMNS)
        await self.conn.insert_rows("receipt_lines", LINE_COLUMNS, [values(r) for r in lines])

    async def insert_numbered(self, merchant_id: uuid.UUID, receipts: list[dict[str, Any]]) -> None:
        """Insert the receipts, numbered from the merchant's counter (filled into each row).

        The counter's row lock is held until commit, so it is taken here, last. On
        PostgreSQL a single receipt is numbered and inserted in one statement, which keeps
        that lock for one round trip less.
        """
        if self.conn.dialect == "postgresql" and len(receipts) == 1:
            receipts[0]["number"] = await self.conn.fetchval(_INSERT_ONE_NUMBERED, receipts[0])
            return
        first = await next_number(self.conn, merchant_id, "receipt", len(receipts))
        for offset, row in enumerate(receipts):
            row["number"] = first + offset
        values = itemgetter(*RECEIPT_COLUMNS)
        await self.conn.insert_rows("receipts", RECEIPT_COLUMNS, [values(r) for r in receipts])

    async def get_many(self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Receipt]:
        """Receipts by id, in the order of `ids` (missing ones left out)."""
        if not ids:
            return []
        marks, params = in_list("i", ids)
        rows = await self.conn.fetchall(
            f"SELECT {RECEIPT_SELECT} WHERE r.merchant_id = :m AND r.id IN {marks}",
            {"m": merchant_id, **params},
        )
        by_id = {r.id: r for r in await self._with_lines(merchant_id, rows)}
        return [by_id[i] for i in ids if i in by_id]

    async def page(self, merchant_id: uuid.UUID, where: ReceiptFilter, limit: int) -> list[Receipt]:
        """Newest first (continue with `where.before`)."""
        clauses, params = where.where()
        rows = await self.conn.fetchall(
            f"SELECT {RECEIPT_SELECT} WHERE r.merchant_id = :m{clauses} "
            "ORDER BY r.issued_at DESC, r.number DESC LIMIT :limit",
            {"m": merchant_id, "limit": limit, **params},
        )
        return await self._with_lines(merchant_id, rows)

    async def id_by_number(self, merchant_id: uuid.UUID, number: int) -> uuid.UUID | None:
        if not is_number(number):
            return None
        value: uuid.UUID | None = await self.conn.fetchval(
            "SELECT id FROM receipts WHERE merchant_id = :m AND number = :n",
            {"m": merchant_id, "n": number},
        )
        return value

    async def window_ids(
        self, merchant_id: uuid.UUID, where: ReceiptFilter, offset: int, limit: int
    ) -> list[uuid.UUID]:
        """Ids of the receipts `offset` … `offset + limit`, oldest first (as the export)."""
        clauses, params = where.where()
        rows = await self.conn.fetchall(
            f"SELECT r.id FROM receipts r WHERE r.merchant_id = :m{clauses} "
            "ORDER BY r.issued_at, r.number LIMIT :limit OFFSET :offset",
            {"m": merchant_id, "limit": limit, "offset": offset, **params},
        )
        return [r["id"] for r in rows]

    async def lines_by_sku(
        self, merchant_id: uuid.UUID, external_id: str, sku: str
    ) -> list[tuple[int, int, int]]:
        """(line_no, quantity_micro, returned_micro) of the purchase lines with `sku` on the
        receipt `external_id`, in line order."""
        rows = await self.conn.fetchall(
            f"SELECT l.line_no, l.quantity_micro, {_RETURNED} AS returned "
            "FROM receipts r JOIN receipt_lines l "
            "ON l.merchant_id = r.merchant_id AND l.receipt_id = r.id "
            "WHERE r.merchant_id = :m AND r.external_id = :e AND l.sku = :s "
            "AND l.return_of_receipt_id IS NULL ORDER BY l.line_no",
            {"m": merchant_id, "e": external_id, "s": sku},
        )
        return [(r["line_no"], r["quantity_micro"], int(r["returned"])) for r in rows]

    async def count(self, merchant_id: uuid.UUID, where: ReceiptFilter) -> int:
        clauses, params = where.where()
        value = await self.conn.fetchval(
            f"SELECT COUNT(*) FROM receipts r WHERE r.merchant_id = :m{clauses}",
            {"m": merchant_id, **params},
        )
        return int(value)

    async def claim(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, customer_id: uuid.UUID, now: datetime
    ) -> bool:
        """Attach an anonymous receipt to a customer; False if it already has one."""
        row = await self.conn.fetchone(
            "UPDATE receipts SET customer_id = :c, claimed_at = :now "
            "WHERE merchant_id = :m AND id = :id AND customer_id IS NULL RETURNING id",
            {"m": merchant_id, "id": receipt_id, "c": customer_id, "now": now},
        )
        return row is not None

    async def _with_lines(self, merchant_id: uuid.UUID, rows: list[Row]) -> list[Receipt]:
        if not rows:
            return []
        marks, params = in_list("r", [r["id"] for r in rows])
        line_rows = await self.conn.fetchall(
            f"SELECT {LINE_SELECT} FROM receipt_lines "
            f"WHERE merchant_id = :m AND receipt_id IN {marks} ORDER BY receipt_id, line_no",
            {"m": merchant_id, **params},
        )
        lines: dict[uuid.UUID, list[Line]] = {}
        for lr in line_rows:
            lines.setdefault(lr["receipt_id"], []).append(_line(lr))
        return [_receipt(r, lines.get(r["id"], [])) for r in rows]


def _line(r: Row) -> Line:
    return_of = None
    if r["return_of_receipt_id"] is not None:
        return_of = ReturnOfLine(
            receipt_id=r["return_of_receipt_id"], line_no=r["return_of_line_no"]
        )
    return Line(
        line_no=r["line_no"],
        name=r["name"],
        quantity=r["quantity"],
        unit=r["unit"],
        unit_price=r["unit_price"],
        total=r["total"],
        sku=r["sku"],
        barcode=r["barcode"],
        product_id=r["product_id"],
        description=r["description"],
        category=r["category"],
        original_price=r["original_price"],
        discount=r["discount"],
        vouchers=r["vouchers"],
        tax_rate=r["tax_rate"],
        metadata=from_json(r["metadata"], dict[str, Any]),
        return_of=return_of,
    )


def _receipt(r: Row, lines: Iterable[Line]) -> Receipt:
    branch = None
    if r["b_id"] is not None:
        branch = BranchSummary(
            id=r["b_id"], number=r["b_number"], code=r["b_code"], name=r["b_name"]
        )
    customer = None
    if r["c_id"] is not None:
        customer = CustomerSummary(
            id=r["c_id"],
            number=r["c_number"],
            external_id=r["c_external_id"],
            member_number=r["c_member_number"],
        )
    return Receipt(
        id=r["id"],
        number=r["number"],
        external_id=r["external_id"],
        type=r["type"],
        issued_at=r["issued_at"],
        currency=r["currency"],
        prices_include_tax=r["prices_include_tax"],
        branch=branch,
        customer=customer,
        employee=from_json(r["employee"], Employee),
        lines=list(lines),
        taxes=from_json(r["taxes"], list[TaxLine]),
        payments=from_json(r["payments"], list[Payment]),
        discounts=from_json(r["discounts"], list[BasketDiscount]),
        subtotal=r["subtotal"],
        tax_total=r["tax_total"],
        shipping_total=r["shipping_total"],
        discount_total=r["discount_total"],
        total=r["total"],
        notes=r["notes"],
        metadata=from_json(r["metadata"], dict[str, Any]),
        is_return=r["is_return"],
        created_at=r["created_at"],
        claimed_at=r["claimed_at"],
    )
