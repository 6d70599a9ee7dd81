"""Streamed receipt exports: CSV (Spaaza's 27 columns) and JSON lines, in constant memory.

Rows are read in keyset batches on (issued_at, number), oldest first, each batch in its own
short read; nothing holds the whole result. A receipt never changes, so its own CSV cells
(`csv_head`, `csv_tail`) are rendered once when it is stored; the branch and customer cells
are rendered per batch from their current rows. Each line is then four strings joined —
which is what keeps the export near the database's own dump (docs/performance.md). If the
stream fails midway, the file ends with an error line instead of silently stopping short.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from tillroll.kit.csv import number, text
from tillroll.kit.db import Database, SQLiteDatabase, sqlite_connect
from tillroll.kit.money import symbol, to_decimal_string
from tillroll.kit.repository import in_list
from tillroll.receipts import references
from tillroll.receipts.repository import ReceiptFilter
from tillroll.receipts.rules import MICRO

log = logging.getLogger("tillroll.export")

BATCH = 5000
_CACHE = 100_000  # branch and customer cells kept per export
RECEIPT_HEAD = [
    "id",
    "retailer_basket_code",
    "timestamp",
    "type",
    "items_count",
    "currency_code",
    "currency_symbol",
    "subtotal",
    "total_value",
    "shipping_charge",
    "employee_code",
    "employee_name",
]
BRANCH_CELLS = ["chain_business_id", "chain_business_name", "chain_business_owner_code"]
CUSTOMER_CELLS = [
    "shopper_id",
    "shopper_member_program",
    "shopper_member_number",
    "shopper_authentication_point_identifier",
    "shopper_email",
    "shopper_firstname",
    "shopper_lastname",
    "shopper_gender",
    "shopper_birthday",
    "shopper_country_code",
    "shopper_address_postalcode",
]
HEADER = ",".join([*RECEIPT_HEAD, *BRANCH_CELLS, *CUSTOMER_CELLS, "notes"]) + "\r\n"
NO_BRANCH = "," * (len(BRANCH_CELLS) - 1)
NO_CUSTOMER = "," * (len(CUSTOMER_CELLS) - 1)


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows: the filter, then `offset` rows skipped and at most `limit` taken."""

    where: ReceiptFilter
    offset: int = 0
    limit: int | None = None


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

    def fragments(self) -> tuple[str, str]:
        """(`csv_head`, `csv_tail`): the cells after `id` and before the branch's; the notes."""
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


def _branch_cells(row: Any) -> str:
    return ",".join([number(row["number"]), text(row["name"]), text(row["code"])])


def _customer_cells(row: Any) -> str:
    member = row["member_number"]
    shopper_id = member if member and member.isascii() and member.isdigit() else row["number"]
    birthday = row["birthday"]
    return ",".join([
        number(shopper_id), "", text(member), text(row["external_id"]), text(row["email"]),
        text(row["first_name"]), text(row["last_name"]), text(row["gender"]),
        number(birthday.isoformat() if isinstance(birthday, date) else birthday),
        text(row["country"]), text(row["postal_code"]),
    ])  # fmt: skip


# --- reading --------------------------------------------------------------------------

_ORDER = " ORDER BY r.issued_at, r.number"
_CSV_ROWS = "SELECT r.csv_head, r.branch_id, r.customer_id, r.csv_tail, r.issued_at, r.number"
_ID_ROWS = "SELECT r.id, r.issued_at, r.number"


class _Reader:
    """Runs the export's reads: SQLite on its own plain connection (WAL: no lock held
    against writers, no type conversion per cell), PostgreSQL through the pool."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.branches: dict[Any, str] = {}
        self.customers: dict[Any, str] = {}
        self.sqlite: sqlite3.Connection | None = None
        if isinstance(db, SQLiteDatabase):
            self.sqlite = sqlite_connect(db.path, convert=False)

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()

    async def fetchall(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        if self.sqlite is not None:
            return self.sqlite.execute(sql, params).fetchall()
        async with self.db.transaction(write=False) as conn:
            return await conn.fetchall(sql, params)

    async def batches(
        self, select: str, merchant_id: uuid.UUID, window: Window, size: int
    ) -> AsyncIterator[Sequence[Any]]:
        """Rows of `select` (ending with issued_at, number) in keyset batches of `size`."""
        where = window.where
        skip, left = window.offset, window.limit
        while left is None or left > 0:
            take = size if left is None else min(size, left)
            clauses, params = where.where()
            sql = (
                f"{select} FROM receipts r WHERE r.merchant_id = :m{clauses}{_ORDER}"
                " LIMIT :take OFFSET :skip"
            )
            rows = await self.fetchall(
                sql, {**params, "m": merchant_id, "take": take, "skip": skip}
            )
            if not rows:
                return
            yield rows
            where = replace(window.where, after=(rows[-1][-2], rows[-1][-1]))
            skip = 0
            left = None if left is None else left - len(rows)

    async def fragments(self, merchant_id: uuid.UUID, rows: Sequence[Any]) -> None:
        """Render the branch and customer cells this batch needs and has not seen yet.

        Kept for the rest of the export (at most `_CACHE` of each, so memory stays bounded).
        """
        for cache in (self.branches, self.customers):
            if len(cache) > _CACHE:
                cache.clear()
        branch_ids = {r[1] for r in rows if r[1] is not None} - self.branches.keys()
        customer_ids = {r[2] for r in rows if r[2] is not None} - self.customers.keys()
        if branch_ids:
            marks, params = in_list("b", sorted(branch_ids, key=str))
            for row in await self.fetchall(
                "SELECT id, number, name, code FROM branches "
                f"WHERE merchant_id = :m AND id IN {marks}",
                {"m": merchant_id, **params},
            ):
                self.branches[row["id"]] = _branch_cells(row)
        if customer_ids:
            marks, params = in_list("c", sorted(customer_ids, key=str))
            postal = _postal_sql(self.sqlite is not None)
            for row in await self.fetchall(
                "SELECT id, number, member_number, external_id, email, first_name, last_name, "
                f"gender, birthday, country, {postal} AS postal_code FROM customers "
                f"WHERE merchant_id = :m AND id IN {marks}",
                {"m": merchant_id, **params},
            ):
                self.customers[row["id"]] = _customer_cells(row)


def _postal_sql(sqlite: bool) -> str:
    if sqlite:
        return (
            "COALESCE(json_extract(billing_address, '$.postal_code'), "
            "json_extract(shipping_address, '$.postal_code'))"
        )
    return "COALESCE(billing_address ->> 'postal_code', shipping_address ->> 'postal_code')"


# --- streaming ----------------------------------------------------------------------


async def stream_csv(
    db: Database, merchant_id: uuid.UUID, window: Window, *, header: bool = True
) -> AsyncIterator[bytes]:
    """The CSV file, one chunk per batch."""
    rows_sent = 0
    reader = _Reader(db)
    try:
        if header:
            yield HEADER.encode()
        async for rows in reader.batches(_CSV_ROWS, merchant_id, window, BATCH):
            await reader.fragments(merchant_id, rows)
            branch, customer = reader.branches.get, reader.customers.get
            yield "".join(
                f"{n},{head},{branch(b, NO_BRANCH)},{customer(c, NO_CUSTOMER)},{tail}\r\n"
                for head, b, c, tail, _, n in rows
            ).encode()
            rows_sent += len(rows)
    except Exception as exc:  # the file must say it is incomplete
        log.exception("CSV export failed after %d rows", rows_sent)
        reason = type(exc).__name__
        line = f"#ERROR: export failed after {rows_sent} rows ({reason}); file incomplete\r\n"
        yield line.encode()
    finally:
        reader.close()


async def stream_jsonl(
    db: Database, merchant_id: uuid.UUID, window: Window
) -> AsyncIterator[bytes]:
    """One native receipt object per line, in batches of 500."""
    rows_sent = 0
    reader = _Reader(db)
    try:
        async for rows in reader.batches(_ID_ROWS, merchant_id, window, 500):
            ids = [r[0] if isinstance(r[0], uuid.UUID) else uuid.UUID(r[0]) for r in rows]
            async with db.transaction(write=False) as conn:
                receipts = await references.get_many(conn, merchant_id, ids)
            rows_sent += len(receipts)
            yield b"".join(msgspec.json.encode(r) + b"\n" for r in receipts)
    except Exception as exc:
        log.exception("JSONL export failed after %d rows", rows_sent)
        error = {
            "error": {"code": "export_failed", "rows": rows_sent, "detail": type(exc).__name__}
        }
        yield msgspec.json.encode(error) + b"\n"
    finally:
        reader.close()


# --- rendering what is missing (receipts stored before migration 0002) -----------------


async def render_missing(db: Database, batch: int = 2000) -> int:
    """Render `csv_head`/`csv_tail` of receipts that have none; return how many."""
    done = 0
    while True:
        async with db.transaction(write=True) as conn:
            rows = await conn.fetchall(
                "SELECT r.merchant_id, r.id, r.number, r.external_id, r.issued_at, r.type, "
                "r.currency, r.subtotal, r.total, r.shipping_total, r.employee, r.notes, "
                "(SELECT COALESCE(SUM(l.quantity_micro), 0) FROM receipt_lines l "
                " WHERE l.merchant_id = r.merchant_id AND l.receipt_id = r.id) AS items "
                "FROM receipts r WHERE r.csv_head IS NULL LIMIT :n",
                {"n": batch},
            )
            updates = []
            for r in rows:
                employee = msgspec.json.decode(r["employee"]) if r["employee"] else {}
                head, tail = ReceiptCells(
                    r["external_id"], r["issued_at"], r["type"], int(r["items"]),
                    r["currency"], r["subtotal"], r["total"], r["shipping_total"],
                    employee.get("code"), employee.get("name"), r["notes"],
                ).fragments()  # fmt: skip
                updates.append({"m": r["merchant_id"], "id": r["id"], "h": head, "t": tail})
            await conn.executemany(
                "UPDATE receipts SET csv_head = :h, csv_tail = :t "
                "WHERE merchant_id = :m AND id = :id",
                updates,
            )
        done += len(rows)
        if len(rows) < batch:
            return done
