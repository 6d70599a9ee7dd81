"""The bare-framework baselines: a bare Starlette app doing the minimum, served like Tillroll.

README: not run directly; bench.ingest and bench.payments serve it exactly like Tillroll:
    BENCH_DATABASE_URL=sqlite:///… BENCH_MERCHANT_ID=<uuid> \
    uvicorn bench.baseline_app:create_app --factory --workers 2 --loop uvloop --http httptools

POST /v1/receipts decodes the body with msgspec into the same `ReceiptCreate` struct Tillroll
uses and, in one transaction, takes a receipt number from the same counter row and inserts the
same receipt row and 5 line rows with the raw driver (sqlite3 on the loop, WAL,
synchronous=FULL, BEGIN IMMEDIATE; or an asyncpg pool of 10). It answers 201 with the id and
number. No auth, no rules, no duplicate check, no read-back: the floor Tillroll is compared to.

POST /raw/receipts is baseline (b) of issue 14: the same decode and the same rows, one
receipt per transaction, but WITHOUT the counter: the number comes from the process (its pid
times 10^9 plus a local count, unique across the workers), so no two transactions wait for
one row lock. That is what the raw driver commits when nothing serialises the writers.

GET /v1/payment-receipt-lines (bench.payments) runs the searched, sorted, counted list of
receipt lines written by hand (bench/_lines.py: the page and the count and total per currency,
two statements on the raw driver, no transaction; sqlite3 on a read-only connection, or the
asyncpg pool) and answers the same JSON page Tillroll does. No auth, no validation beyond
the allowed column names.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import _lines
from bench._receipt import (
    COUNTER_PG,
    COUNTER_SQLITE,
    DECODER,
    LINE_COLUMNS,
    RECEIPT_COLUMNS,
    insert_sql,
    rows,
)
from tillroll.receipts.schemas import ReceiptCreate


def _sqlite_connect(path: str) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    raw.execute("PRAGMA busy_timeout=30000")
    return raw


def create_app() -> Starlette:
    url = os.environ["BENCH_DATABASE_URL"]
    merchant_id = uuid.UUID(os.environ["BENCH_MERCHANT_ID"])
    sqlite = url.startswith("sqlite:///")
    insert_receipt = insert_sql("receipts", RECEIPT_COLUMNS, sqlite=sqlite)
    insert_lines = insert_sql("receipt_lines", LINE_COLUMNS, sqlite=sqlite)
    state: dict[str, Any] = {}
    own_numbers = itertools.count(os.getpid() * 10**9 + 1)  # (b): no counter row

    def bad(exc: Exception) -> Response:
        return Response(msgspec.json.encode({"detail": str(exc)}), 422)

    def created(row: tuple[Any, ...], number: int) -> Response:
        body = msgspec.json.encode({"id": row[1], "number": number})
        return Response(body, 201, media_type="application/json")

    async def decoded(request: Request) -> ReceiptCreate | Response:
        try:
            receipt: ReceiptCreate = DECODER.decode(await request.body())
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return bad(exc)
        return receipt

    async def create_sqlite(request: Request) -> Response:
        receipt = await decoded(request)
        if isinstance(receipt, Response):
            return receipt
        raw: sqlite3.Connection = state["raw"]
        raw.execute("BEGIN IMMEDIATE")
        try:
            number = raw.execute(COUNTER_SQLITE, (str(merchant_id), 1)).fetchone()[0]
            row, lines = rows(receipt, merchant_id, number, sqlite=True)
            raw.execute(insert_receipt, row)
            raw.executemany(insert_lines, lines)
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        return created(row, number)

    async def create_pg(request: Request) -> Response:
        receipt = await decoded(request)
        if isinstance(receipt, Response):
            return receipt
        pool: asyncpg.Pool[Any] = state["pool"]
        async with pool.acquire() as conn, conn.transaction():
            number = await conn.fetchval(COUNTER_PG, merchant_id, 1)
            row, lines = rows(receipt, merchant_id, number, sqlite=False)
            await conn.execute(insert_receipt, *row)
            await conn.executemany(insert_lines, lines)
        return created(row, number)

    async def raw_sqlite(request: Request) -> Response:
        receipt = await decoded(request)
        if isinstance(receipt, Response):
            return receipt
        raw: sqlite3.Connection = state["raw"]
        row, lines = rows(receipt, merchant_id, next(own_numbers), sqlite=True)
        raw.execute("BEGIN IMMEDIATE")
        try:
            raw.execute(insert_receipt, row)
            raw.executemany(insert_lines, lines)
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        return created(row, row[2])

    async def raw_pg(request: Request) -> Response:
        receipt = await decoded(request)
        if isinstance(receipt, Response):
            return receipt
        pool: asyncpg.Pool[Any] = state["pool"]
        row, lines = rows(receipt, merchant_id, next(own_numbers), sqlite=False)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(insert_receipt, *row)
            await conn.executemany(insert_lines, lines)
        return created(row, row[2])

    def list_args(request: Request) -> tuple[tuple[str, str], tuple[str, str], int, int]:
        q = request.query_params
        limit, offset = int(q.get("limit", "50")), int(q.get("offset", "0"))
        text = q["q"]
        page, totals = _lines.statements(
            q.get("search_by", "reference_number"),
            q.get("sort", "created_at"),
            q.get("order", "desc"),
            pg=not sqlite,
        )
        return (page, totals), (text, text + _lines.TOP), limit, offset

    def listed(rows: list[Any], sums: list[Any], offset: int, limit: int) -> Response:
        body = msgspec.json.encode(_lines.answer(rows, sums, offset, limit))
        return Response(body, media_type="application/json")

    async def lines_sqlite(request: Request) -> Response:
        (page, totals), (q, top), limit, offset = list_args(request)
        reader: sqlite3.Connection = state["reader"]
        m = str(merchant_id)
        rows = reader.execute(page, (m, q, top, limit + 1, offset)).fetchall()
        sums = reader.execute(totals, (m, q, top)).fetchall()
        return listed(rows, sums, offset, limit)

    async def lines_pg(request: Request) -> Response:
        (page, totals), (q, top), limit, offset = list_args(request)
        pool: asyncpg.Pool[Any] = state["pool"]
        async with pool.acquire() as conn:
            rows = await conn.fetch(page, merchant_id, q, top, limit + 1, offset)
            sums = await conn.fetch(totals, merchant_id, q, top)
        return listed(rows, sums, offset, limit)

    async def health(_: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if sqlite:
            state["raw"] = _sqlite_connect(url.removeprefix("sqlite:///"))
            state["reader"] = _sqlite_connect(url.removeprefix("sqlite:///"))
            state["reader"].execute("PRAGMA query_only=ON")
        else:
            state["pool"] = await asyncpg.create_pool(url, min_size=1, max_size=10)
        try:
            yield
        finally:
            if sqlite:
                state["raw"].close()
                state["reader"].close()
            else:
                await state["pool"].close()

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/v1/receipts", create_sqlite if sqlite else create_pg, methods=["POST"]),
            Route("/raw/receipts", raw_sqlite if sqlite else raw_pg, methods=["POST"]),
            Route("/v1/payment-receipt-lines", lines_sqlite if sqlite else lines_pg),
        ],
        lifespan=lifespan,
    )
