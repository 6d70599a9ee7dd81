"""All SQL of purchase receipts. Every statement is scoped by `merchant_id`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tillroll.kit.db import Connection, Row
from tillroll.kit.repository import Repository, in_list, is_number
from tillroll.receipts.schemas import Line, Receipt, ReturnOfLine
from tillroll.receipts.tables import LINES, RECEIPTS

_RECEIPT_FIELDS = [f for f in Receipt.__struct_fields__ if f in RECEIPTS.names]
_LINE_FIELDS = [f for f in Line.__struct_fields__ if f in LINES.names]
RECEIPT_SELECT = (
    RECEIPTS.select([*_RECEIPT_FIELDS, "branch_id", "customer_id"], alias="r") + " FROM receipts r "
)
LINE_SELECT = LINES.select(
    [*_LINE_FIELDS, "receipt_id", "return_of_receipt_id", "return_of_line_no"]
)
_read_receipt = RECEIPTS.reader(_RECEIPT_FIELDS)
_read_line = LINES.reader(_LINE_FIELDS)


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    """A receipt read back; its branch and customer, other domains' rows, are only ids here
    (`receipt.branch` and `receipt.customer` are None until they are filled in)."""

    receipt: Receipt
    branch_id: uuid.UUID | None
    customer_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class ReceiptFilter:
    """Which receipts; `after`/`before` continue a keyset walk on (issued_at, number)."""

    customer_id: uuid.UUID | None = None
    branch_id: uuid.UUID | None = None
    external_id: str | None = None
    type: str | None = None
    order_status: tuple[str, ...] | None = None
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
        if self.order_status is not None:
            marks, listed = in_list("os", self.order_status)
            clauses.append(f"r.order_status IN {marks}")
            params |= listed
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

    async def original_lines(
        self, merchant_id: uuid.UUID, column: str, values: Sequence[Any]
    ) -> list[OriginalLine]:
        """Lines of the receipts returns point at, with what was already returned of each.

        On PostgreSQL the receipts are locked, so concurrent returns of one line serialize.
        """
        assert column in ("id", "external_id")
        marks, params = in_list("o", values)
        await self.conn.fetchall(
            f"SELECT id FROM receipts WHERE merchant_id = :m AND {column} IN {marks}"
            + self.conn.for_update(),
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
        await self.conn.defer_foreign_keys()
        await LINES.insert(self.conn, lines)

    async def insert_numbered(self, merchant_id: uuid.UUID, receipts: list[dict[str, Any]]) -> None:
        """Insert the receipts, numbered from the merchant's counter (filled into each row),
        last: the counter's lock is held until commit."""
        await RECEIPTS.insert_numbered(self.conn, merchant_id, "receipt", receipts)

    @staticmethod
    async def without_csv_cells(conn: Connection, limit: int) -> list[Row]:
        """(merchant_id, id) of receipts whose export cells are not stored, at most `limit`."""
        return await conn.fetchall(
            "SELECT merchant_id, id FROM receipts WHERE csv_cells IS NULL LIMIT :n", {"n": limit}
        )

    async def set_csv_cells(
        self, merchant_id: uuid.UUID, cells: Sequence[tuple[uuid.UUID, str]]
    ) -> None:
        await self.conn.executemany(
            "UPDATE receipts SET csv_cells = :c WHERE merchant_id = :m AND id = :id",
            [{"m": merchant_id, "id": i, "c": c} for i, c in cells],
        )

    async def get_many(
        self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> list[StoredReceipt]:
        """Receipts by id, in the order of `ids` (missing ones left out)."""
        if not ids:
            return []
        marks, params = in_list("i", ids)
        rows = await self.conn.fetchall(
            f"SELECT {RECEIPT_SELECT} WHERE r.merchant_id = :m AND r.id IN {marks}",
            {"m": merchant_id, **params},
        )
        by_id = {r.receipt.id: r for r in await self._with_lines(merchant_id, rows)}
        return [by_id[i] for i in ids if i in by_id]

    async def page(
        self, merchant_id: uuid.UUID, where: ReceiptFilter, limit: int
    ) -> list[StoredReceipt]:
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

    async def set_order_status(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, status: str
    ) -> None:
        await self.conn.execute(
            "UPDATE receipts SET order_status = :s WHERE merchant_id = :m AND id = :id",
            {"m": merchant_id, "id": receipt_id, "s": status},
        )

    async def _with_lines(self, merchant_id: uuid.UUID, rows: list[Row]) -> list[StoredReceipt]:
        if not rows:
            return []
        lines = await self.lines_of(merchant_id, [r["id"] for r in rows])
        return [_receipt(r, lines.get(r["id"], [])) for r in rows]

    async def lines_of(
        self, merchant_id: uuid.UUID, receipt_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Line]]:
        """receipt id → its lines, in order (one query; lines are written before receipts)."""
        if not receipt_ids:
            return {}
        marks, params = in_list("r", receipt_ids)
        line_rows = await self.conn.fetchall(
            f"SELECT {LINE_SELECT} FROM receipt_lines "
            f"WHERE merchant_id = :m AND receipt_id IN {marks} ORDER BY receipt_id, line_no",
            {"m": merchant_id, **params},
        )
        lines: dict[uuid.UUID, list[Line]] = {}
        for lr in line_rows:
            lines.setdefault(lr["receipt_id"], []).append(_line(lr))
        return lines


def _line(r: Row) -> Line:
    return_of = None
    if r["return_of_receipt_id"] is not None:
        return_of = ReturnOfLine(
            receipt_id=r["return_of_receipt_id"], line_no=r["return_of_line_no"]
        )
    return Line(**_read_line(r), return_of=return_of)


def _receipt(r: Row, lines: list[Line]) -> StoredReceipt:
    receipt = Receipt(**_read_receipt(r), branch=None, customer=None, lines=lines)
    return StoredReceipt(receipt, r["branch_id"], r["customer_id"])
