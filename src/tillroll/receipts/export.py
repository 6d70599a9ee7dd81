"""Streamed receipt exports: CSV (Spaaza's 27 columns) and JSON lines, in constant memory.

Rows are read in keyset batches on (issued_at, number), oldest first, each batch in its own
short read; nothing holds the whole result. CSV lines are built by the database itself
(SQLite: one text expression per row; PostgreSQL: `COPY … TO STDOUT`), which is what keeps
the export near the database's own dump speed (docs/performance.md). Text cells that start
with `= + - @`, a tab or a carriage return are prefixed with `'` so spreadsheets do not run
them as formulas; numbers are left alone. If the stream fails midway, the file ends with an
error line instead of silently stopping short.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from tillroll.kit.db import Database, PostgresDatabase, SQLiteDatabase, to_numbered
from tillroll.kit.money import EXPONENTS, SYMBOLS
from tillroll.receipts.repository import ReceiptFilter, ReceiptRepository

log = logging.getLogger("tillroll.export")

BATCH = 5000

# (header, kind, source) — kinds: text, int, money, items; sources are per-dialect below.
COLUMNS: list[tuple[str, str, str]] = [
    ("id", "int", "r.number"),
    ("retailer_basket_code", "text", "r.external_id"),
    ("timestamp", "time", "r.issued_at"),
    ("type", "text", "r.type"),
    ("items_count", "items", "r.items_micro"),
    ("currency_code", "text", "r.currency"),
    ("currency_symbol", "text", "{symbol}"),
    ("subtotal", "money", "r.subtotal"),
    ("total_value", "money", "r.total"),
    ("shipping_charge", "money", "r.shipping_total"),
    ("employee_code", "text", "{json:r.employee:code}"),
    ("employee_name", "text", "{json:r.employee:name}"),
    ("chain_business_id", "int", "b.number"),
    ("chain_business_name", "text", "b.name"),
    ("chain_business_owner_code", "text", "b.code"),
    ("shopper_id", "text", "{shopper_id}"),
    ("shopper_member_program", "text", "NULL"),
    ("shopper_member_number", "text", "c.member_number"),
    ("shopper_authentication_point_identifier", "text", "c.external_id"),
    ("shopper_email", "text", "c.email"),
    ("shopper_firstname", "text", "c.first_name"),
    ("shopper_lastname", "text", "c.last_name"),
    ("shopper_gender", "text", "c.gender"),
    ("shopper_birthday", "text", "{date:c.birthday}"),
    ("shopper_country_code", "text", "c.country"),
    ("shopper_address_postalcode", "text", "{postal}"),
    ("notes", "text", "r.notes"),
]
HEADER = ",".join(h for h, _, _ in COLUMNS) + "\r\n"

_FROM = (
    "FROM receipts r "
    "LEFT JOIN branches b ON b.merchant_id = r.merchant_id AND b.id = r.branch_id "
    "LEFT JOIN customers c ON c.merchant_id = r.merchant_id AND c.id = r.customer_id "
)


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows: the filter, then `offset` rows skipped and at most `limit` taken."""

    where: ReceiptFilter
    offset: int = 0
    limit: int | None = None


# --- SQL per dialect ----------------------------------------------------------------


def _exponent_sql(column: str) -> str:
    groups: dict[int, list[str]] = {}
    for code, exp in EXPONENTS.items():
        if exp != 2:
            groups.setdefault(exp, []).append(f"'{code}'")
    cases = " ".join(
        f"WHEN {column} IN ({', '.join(sorted(c))}) THEN {e}" for e, c in groups.items()
    )
    return f"(CASE {cases} ELSE 2 END)"


def _symbol_sql() -> str:
    cases = " ".join(f"WHEN '{code}' THEN '{sym}'" for code, sym in SYMBOLS.items())
    return f"(CASE r.currency {cases} ELSE r.currency END)"


def _sqlite_scaled(value: str, exponent: str) -> str:
    """An integer of minor units as a decimal string, exactly (no floats)."""
    power = f"(CASE {exponent} WHEN 0 THEN 1 WHEN 3 THEN 1000 WHEN 4 THEN 10000 ELSE 100 END)"
    return (
        f"(CASE WHEN {exponent} = 0 THEN CAST({value} AS TEXT) ELSE "
        f"(CASE WHEN {value} < 0 THEN '-' ELSE '' END) || (abs({value}) / {power}) || '.' || "
        f"substr('0000' || (abs({value}) % {power}), -{exponent}) END)"
    )


def _sqlite_items(value: str) -> str:
    whole = f"(CASE WHEN {value} < 0 THEN '-' ELSE '' END) || (abs({value}) / 1000000)"
    frac = f"rtrim(substr('000000' || (abs({value}) % 1000000), -6), '0')"
    return f"(CASE WHEN {value} % 1000000 = 0 THEN {whole} ELSE {whole} || '.' || {frac} END)"


def _source(dialect: str, source: str) -> str:
    if source == "{symbol}":
        return _symbol_sql()
    if source.startswith("{json:"):
        column, key = source[6:-1].split(":")
        return (
            f"json_extract({column}, '$.{key}')"
            if dialect == "sqlite"
            else f"({column} ->> '{key}')"
        )
    if source == "{shopper_id}":
        numeric = (
            "c.member_number NOT GLOB '*[^0-9]*' AND c.member_number <> ''"
            if dialect == "sqlite"
            else "c.member_number ~ '^[0-9]+$'"
        )
        return f"(CASE WHEN {numeric} THEN c.member_number ELSE CAST(c.number AS TEXT) END)"
    if source.startswith("{date:"):
        column = source[6:-1]
        return column if dialect == "sqlite" else f"to_char({column}, 'YYYY-MM-DD')"
    if source == "{postal}":
        if dialect == "sqlite":
            return (
                "COALESCE(json_extract(c.billing_address, '$.postal_code'), "
                "json_extract(c.shipping_address, '$.postal_code'))"
            )
        return "COALESCE(c.billing_address ->> 'postal_code', c.shipping_address ->> 'postal_code')"
    return source


def _neutralised(expr: str) -> str:
    return (
        f"(CASE WHEN substr({expr}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)) "
        f"THEN '''' || {expr} ELSE {expr} END)"
    )


def sqlite_line_sql() -> str:
    """One CSV line per row, built by SQLite."""
    cells = []
    for _, kind, source in COLUMNS:
        expr = _source("sqlite", source)
        if kind == "text":
            quoted = f"'\"' || replace({_neutralised(expr)}, '\"', '\"\"') || '\"'"
            cells.append(f"(CASE WHEN {expr} IS NULL THEN '' ELSE {quoted} END)")
        elif kind == "money":
            cells.append(_sqlite_scaled(expr, _exponent_sql("r.currency")))
        elif kind == "items":
            cells.append(_sqlite_items(expr))
        else:
            cells.append(f"COALESCE(CAST({expr} AS TEXT), '')")
    return " || ',' || ".join(cells) + " || char(13, 10)"


def postgres_columns_sql() -> str:
    """The projection `COPY … (FORMAT csv)` renders; PostgreSQL quotes as needed."""
    cells = []
    for header, kind, source in COLUMNS:
        expr = _source("postgresql", source)
        if kind == "text":
            pg = _neutralised(expr).replace("char(9)", "chr(9)").replace("char(13)", "chr(13)")
            cells.append(f"{pg} AS {header}")
        elif kind == "money":
            exponent = _exponent_sql("r.currency")
            cells.append(
                f"round({expr}::numeric / power(10::numeric, {exponent}), {exponent}) AS {header}"
            )
        elif kind == "items":
            cells.append(f"trim_scale({expr}::numeric / 1000000) AS {header}")
        elif kind == "time":
            cells.append(
                f"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') "
                f"AS {header}"
            )
        else:
            cells.append(f"{expr} AS {header}")
    return ", ".join(cells)


_SQLITE_LINE = sqlite_line_sql()
_PG_COLUMNS = postgres_columns_sql()


def _batch_sql(clauses: str, after: bool, upto: bool) -> str:
    conditions = clauses
    if after:
        conditions += " AND (r.issued_at, r.number) > (:after_at, :after_n)"
    if upto:
        conditions += " AND (r.issued_at, r.number) <= (:upto_at, :upto_n)"
    return f"{_FROM}WHERE r.merchant_id = :m{conditions} ORDER BY r.issued_at, r.number"


# --- streaming ----------------------------------------------------------------------


Key = tuple[datetime, int]


async def stream_csv(
    db: Database, merchant_id: uuid.UUID, window: Window, *, header: bool = True
) -> AsyncIterator[bytes]:
    """The CSV file, chunk by chunk (one chunk per batch)."""
    rows = 0
    try:
        if header:
            yield HEADER.encode()
        async for chunk, count in _csv_batches(db, merchant_id, window):
            rows += count
            yield chunk
    except Exception as exc:  # the file must say it is incomplete
        log.exception("CSV export failed after %d rows", rows)
        reason = type(exc).__name__
        yield f"#ERROR: export failed after {rows} rows ({reason}); file incomplete\r\n".encode()


async def stream_jsonl(
    db: Database, merchant_id: uuid.UUID, window: Window
) -> AsyncIterator[bytes]:
    """One native receipt object per line, in batches of 500."""
    rows = 0
    try:
        async for keys in _key_batches(db, merchant_id, window, 500):
            async with db.transaction(write=False) as conn:
                receipts = await ReceiptRepository.of(conn).get_many(merchant_id, keys)
            rows += len(receipts)
            yield b"".join(msgspec.json.encode(r) + b"\n" for r in receipts)
    except Exception as exc:
        log.exception("JSONL export failed after %d rows", rows)
        error = {"error": {"code": "export_failed", "rows": rows, "detail": type(exc).__name__}}
        yield msgspec.json.encode(error) + b"\n"


async def _csv_batches(
    db: Database, merchant_id: uuid.UUID, window: Window
) -> AsyncIterator[tuple[bytes, int]]:
    clauses, params = window.where.where()
    params = {"m": merchant_id, **params}
    reader = _Reader(db)
    try:
        after: Key | None = None
        skip, left = window.offset, window.limit
        while left is None or left > 0:
            size = BATCH if left is None else min(BATCH, left)
            upto = await reader.key_at(clauses, params, after, skip + size - 1)
            chunk, count = await reader.render(clauses, params, after, upto, skip, size)
            if count:
                yield chunk, count
            if upto is None:
                return
            after, skip = upto, 0
            left = None if left is None else left - count
    finally:
        reader.close()


def _key_params(prefix: str, key: Key | None) -> dict[str, Any]:
    return {} if key is None else {f"{prefix}_at": key[0], f"{prefix}_n": key[1]}


class _Reader:
    """Reads export batches: SQLite on its own connection (WAL: no lock held against
    writers), PostgreSQL through the pool with COPY."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = db.reader() if isinstance(db, SQLiteDatabase) else None

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()

    async def key_at(
        self, clauses: str, params: dict[str, Any], after: Key | None, offset: int
    ) -> Key | None:
        """The key of the row `offset` rows past `after`; None if the result ends sooner."""
        sql = (
            "SELECT r.issued_at, r.number "
            + _batch_sql(clauses, after is not None, False)
            + " LIMIT 1 OFFSET :offset"
        )
        values = {**params, **_key_params("after", after), "offset": offset}
        if self.sqlite is not None:
            row = self.sqlite.execute(sql, values).fetchone()
        else:
            async with self.db.transaction(write=False) as conn:
                row = await conn.fetchone(sql, values)
        return None if row is None else (row["issued_at"], row["number"])

    async def render(
        self,
        clauses: str,
        params: dict[str, Any],
        after: Key | None,
        upto: Key | None,
        skip: int,
        size: int,
    ) -> tuple[bytes, int]:
        """CSV lines of the rows after `after` up to `upto` (inclusive), skipping `skip`."""
        body = _batch_sql(clauses, after is not None, upto is not None)
        values = {**params, **_key_params("after", after), **_key_params("upto", upto)}
        values |= {"skip": skip, "size": size}
        sql = f"{body} LIMIT :size OFFSET :skip"
        if self.sqlite is not None:
            lines = [r[0] for r in self.sqlite.execute(f"SELECT {_SQLITE_LINE} {sql}", values)]
            return "".join(lines).encode(), len(lines)
        assert isinstance(self.db, PostgresDatabase)
        text, names = to_numbered(f"SELECT {_PG_COLUMNS} {sql}")
        chunks: list[bytes] = []

        async def collect(data: bytes) -> None:
            chunks.append(data)

        async with self.db.raw_connection() as raw:
            await raw.copy_from_query(
                text, *[values[n] for n in names], output=collect, format="csv"
            )
        data = b"".join(chunks)
        # A full batch has exactly `size` rows; the last one is counted by its line ends.
        return data, size if upto is not None else data.count(b"\n")


async def _key_batches(
    db: Database, merchant_id: uuid.UUID, window: Window, size: int
) -> AsyncIterator[list[uuid.UUID]]:
    """Receipt ids in export order, `size` at a time."""
    clauses, params = window.where.where()
    params = {"m": merchant_id, **params}
    after: Key | None = None
    skip, left = window.offset, window.limit
    while left is None or left > 0:
        take = size if left is None else min(size, left)
        sql = (
            "SELECT r.id, r.issued_at, r.number "
            + _batch_sql(clauses, after is not None, False)
            + " LIMIT :size OFFSET :skip"
        )
        values = {**params, **_key_params("after", after), "size": take, "skip": skip}
        async with db.transaction(write=False) as conn:
            rows = await conn.fetchall(sql, values)
        if not rows:
            return
        yield [r["id"] for r in rows]
        after, skip = (rows[-1]["issued_at"], rows[-1]["number"]), 0
        left = None if left is None else left - len(rows)
