"""Streamed receipt exports: native CSV and JSON lines, in constant memory.

Rows are read in keyset batches on (issued_at, number), oldest first, each batch in its own
short read; nothing holds the whole result. The native CSV has its own columns (amounts in
integer minor units, as the API; docs/exports.md). A receipt never changes, so its own cells
(`id` … `branch_id`) are rendered once, at ingest, into `receipts.csv_cells`; an export
adds the number, the branch's current code (asked of the branches service once per export),
the customer (a claim sets it later), the notes and the wallet cells (asked of the wallets
service once per batch: `wallets.receipt_view`). A facade renders its own format through
`Reader.batches`, joining a table of its own. If the stream fails midway, the file ends with
an error line instead of silently stopping short.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any

import msgspec

from tillroll.branches.service import branch as branch_service
from tillroll.kit.csv import text
from tillroll.kit.db import Connection, Database, SQLiteDatabase, sqlite_connect
from tillroll.receipts import references
from tillroll.receipts.repository import ReceiptFilter, ReceiptRepository
from tillroll.receipts.schemas import Receipt
from tillroll.wallets.receipt_view import any_receipt_wallets, receipt_wallets, with_wallets

log = logging.getLogger("tillroll.export")

BATCH = 5000
_CACHE = 100_000  # branch cells kept per export
COLUMNS = [
    "number", "id", "external_id", "type", "issued_at", "currency", "subtotal", "tax_total",
    "shipping_total", "discount_total", "total", "is_return", "branch_id", "branch_code",
    "customer_id", "notes", "order_status", "monetary_wallet_amount", "monetary_wallet_total",
    "points_wallet_amount", "points_wallet_total",
]  # fmt: skip
NO_WALLETS = ",,,"
HEADER = ",".join(COLUMNS) + "\r\n"


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows: the filter, then `offset` rows skipped and at most `limit` taken."""

    where: ReceiptFilter
    offset: int = 0
    limit: int | None = None


# --- reading --------------------------------------------------------------------------

_ORDER = " ORDER BY r.issued_at, r.number"
_CSV_ROWS = (
    "SELECT r.csv_cells, r.branch_id, r.customer_id, r.notes, r.order_status, r.id, "
    "r.issued_at, r.number"
)
_ID_ROWS = "SELECT r.id, r.issued_at, r.number"


class Reader:
    """Runs an export's reads: SQLite on its own plain connection (WAL: no lock held
    against writers, no type conversion per cell), PostgreSQL through the pool."""

    def __init__(self, db: Database) -> None:
        self.db = db
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
        self, select: str, merchant_id: uuid.UUID, window: Window, size: int, join: str = ""
    ) -> AsyncIterator[Sequence[Any]]:
        """Rows of `select` (ending with r.issued_at, r.number) over `receipts r` and the
        caller's own `join` (a facade's table), in keyset batches of `size`."""
        where = window.where
        skip, left = window.offset, window.limit
        while left is None or left > 0:
            take = size if left is None else min(size, left)
            clauses, params = where.where()
            sql = (
                f"{select} FROM receipts r {join}WHERE r.merchant_id = :m{clauses}{_ORDER}"
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


class Cached:
    """Cells rendered per referenced row, kept for the rest of an export (at most `_CACHE`,
    so memory stays bounded); misses are rendered a batch at a time."""

    def __init__(self, render: Callable[[list[Any]], Awaitable[dict[Any, str]]]) -> None:
        self.cells: dict[Any, str] = {}
        self.render = render

    async def fill(self, ids: Iterable[Any]) -> None:
        if len(self.cells) > _CACHE:
            self.cells.clear()
        missing = {i for i in ids if i is not None} - self.cells.keys()
        if missing:
            self.cells |= await self.render(sorted(missing, key=str))


async def with_own_cells(
    db: Database,
    merchant_id: uuid.UUID,
    rows: Sequence[Any],
    render: Callable[[Receipt, Any], Any],
) -> Sequence[Any]:
    """Export rows whose first cell holds the receipt's stored cells (and the receipt id the
    third from the end); a row stored without them (NULL) is replaced by `render(receipt,
    row)`, the receipt read back: rendered now, not stored (`tillroll migrate` stores them)."""
    ids = [as_uuid(r[-3]) for r in rows if r[0] is None]
    if not ids:
        return rows
    async with db.transaction(write=False) as conn:
        found = {r.id: r for r in await references.get_many(conn, merchant_id, ids)}
    return [r if r[0] is not None else render(found[as_uuid(r[-3])], r) for r in rows]


Store = Callable[[Connection, uuid.UUID, list[Receipt]], Awaitable[None]]
"""Store rendered cells of some receipts of one merchant."""


async def render_all_missing(
    db: Database, missing: Callable[[Connection, int], Awaitable[list[Any]]], store: Store
) -> int:
    """Render and store the cells `missing(conn, n)` names ((merchant_id, id) rows, at most
    `n`), a batch per transaction, until none is left; how many (`tillroll migrate`)."""
    done, batch = 0, 2000
    while True:
        async with db.transaction(write=True) as conn:
            rows = await missing(conn, batch)
            by_merchant: dict[uuid.UUID, list[uuid.UUID]] = {}
            for r in rows:
                by_merchant.setdefault(as_uuid(r[0]), []).append(as_uuid(r[1]))
            for merchant_id, ids in by_merchant.items():
                await store(conn, merchant_id, await references.get_many(conn, merchant_id, ids))
        done += len(rows)
        if len(rows) < batch:
            return done


def as_uuid(value: Any) -> uuid.UUID:
    """An id as the reader returned it (text from SQLite's plain connection)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


# --- streaming ----------------------------------------------------------------------


def stream_csv(
    db: Database, merchant_id: uuid.UUID, window: Window, *, header: bool = True
) -> AsyncIterator[bytes]:
    """The native CSV file, one chunk per batch."""
    codes = Cached(lambda ids: _branch_codes(db, merchant_id, ids))

    async def render(rows: Sequence[Any]) -> str:
        await codes.fill(r[1] for r in rows)
        code = codes.cells.get
        wallet = (await _wallet_cells(db, merchant_id, [r[5] for r in rows])).get
        return "".join(
            f"{n},{own},{code(b, '')},{c or ''},{text(notes)},{status or ''},"
            f"{wallet(rid, NO_WALLETS)}\r\n"
            for own, b, c, notes, status, rid, _, n in await with_own_cells(
                db, merchant_id, rows, _fill
            )
        )

    return csv_stream(db, merchant_id, window, _CSV_ROWS, render, HEADER if header else "")


async def csv_stream(
    db: Database,
    merchant_id: uuid.UUID,
    window: Window,
    select: str,
    render: Callable[[Sequence[Any]], Awaitable[str]],
    header: str,
    join: str = "",
) -> AsyncIterator[bytes]:
    """A CSV export: `header`, then each keyset batch of `select` (over `receipts r` and
    `join`) as `render` writes it; a failure midway ends the file with an error line."""
    rows_sent = 0
    reader = Reader(db)
    try:
        if header:
            yield header.encode()
        async for rows in reader.batches(select, merchant_id, window, BATCH, join=join):
            yield (await render(rows)).encode()
            rows_sent += len(rows)
    except Exception as exc:  # the file must say it is incomplete
        log.exception("CSV export failed after %d rows", rows_sent)
        yield failed_line(rows_sent, exc)
    finally:
        reader.close()


def failed_line(rows_sent: int, exc: Exception) -> bytes:
    """The last line of a CSV export that failed midway."""
    reason = type(exc).__name__
    return f"#ERROR: export failed after {rows_sent} rows ({reason}); file incomplete\r\n".encode()


def own_cells(receipt: Receipt) -> str:
    """The receipt's cells that never change, `id` to `branch_id`: rendered at ingest."""
    branch = receipt.branch.id if receipt.branch else ""
    return (
        f"{receipt.id},{text(receipt.external_id)},{text(receipt.type)},"
        f"{receipt.issued_at.astimezone(UTC).isoformat()},{receipt.currency},"
        f"{receipt.subtotal},{receipt.tax_total},{receipt.shipping_total},"
        f"{receipt.discount_total},{receipt.total},{'true' if receipt.is_return else 'false'},"
        f"{branch}"
    )


def _fill(receipt: Receipt, row: Any) -> tuple[Any, ...]:
    return (own_cells(receipt), *row[1:])


async def store_own_cells(
    conn: Connection, merchant_id: uuid.UUID, receipts: list[Receipt]
) -> None:
    await ReceiptRepository.of(conn).set_csv_cells(
        merchant_id, [(r.id, own_cells(r)) for r in receipts]
    )


async def render_missing(db: Database) -> int:
    """Store the cells of receipts stored without them (before migration 0014)."""
    return await render_all_missing(db, ReceiptRepository.without_csv_cells, store_own_cells)


async def _branch_codes(db: Database, merchant_id: uuid.UUID, ids: list[Any]) -> dict[Any, str]:
    async with db.transaction(write=False) as conn:
        found = await branch_service.summaries(conn, merchant_id, "id", [as_uuid(i) for i in ids])
    by_id = {b.id: text(b.code) for b in found}
    return {i: by_id[as_uuid(i)] for i in ids if as_uuid(i) in by_id}


async def _wallet_cells(db: Database, merchant_id: uuid.UUID, ids: list[Any]) -> dict[Any, str]:
    """Receipt id (as the reader returned it) → its four wallet cells: what it added to (or
    took from) each wallet and the balance right after; one query for the batch."""
    async with db.transaction(write=False) as conn:
        if not await any_receipt_wallets(conn, merchant_id):
            return {}
        by_id = {as_uuid(i): i for i in ids}
        found = await receipt_wallets(conn, merchant_id, list(by_id))
    cells: dict[Any, str] = {}
    for receipt_id in {r for r, _ in found}:
        shown = [found.get((receipt_id, kind)) for kind in ("credit", "points")]
        cells[by_id[receipt_id]] = ",".join(
            f"{sum(c.amount for c in w.contributions)},{w.total}" if w else "," for w in shown
        )
    return cells


async def stream_jsonl(
    db: Database, merchant_id: uuid.UUID, window: Window
) -> AsyncIterator[bytes]:
    """One native receipt object per line, in batches of 500."""
    rows_sent = 0
    reader = Reader(db)
    try:
        async for rows in reader.batches(_ID_ROWS, merchant_id, window, 500):
            ids = [as_uuid(r[0]) for r in rows]
            async with db.transaction(write=False) as conn:
                receipts = await with_wallets(
                    conn, merchant_id, await references.get_many(conn, merchant_id, ids)
                )
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
