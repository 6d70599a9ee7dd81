"""The b2b SQL: invoices, payments, receipts, lines and the audit trail, scoped by merchant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from tillroll.b2b.tables import AUDIT, INVOICES, LINES, PAYMENTS, RECEIPTS
from tillroll.kit.db import Row
from tillroll.kit.ids import uuid7
from tillroll.kit.pagination import decode_cursor, encode_cursor
from tillroll.kit.repository import Repository, in_list, next_number, to_json
from tillroll.kit.tables import BIGINT, DATE, INTEGER, TEXT, TIMESTAMPTZ, UUID, Column, Table

LIVE = "deleted_at IS NULL"
_TOP = chr(0x10FFFF)  # sorts after every other character: `q <= col < q + _TOP` is a prefix
_IF_NULL = {"external_customer_id": "", "external_id": "", "due_date": "9999-01-01"}
"""What a NULL sorts as (nullable sort columns: keyset comparisons need a value; not
date.max, which asyncpg sends as infinity)."""
_CURSOR_KINDS: dict[str, type] = {
    "created_at": str,
    "updated_at": str,
    "due_date": str,
    "customer_id": str,
    "customer_ref": str,
    "external_customer_id": str,
    "transaction_type": str,
    "reference_number": str,
    "applied": bool,
}


class Filter:
    """WHERE terms and their parameters, built up term by term."""

    def __init__(self, merchant_id: uuid.UUID) -> None:
        self.terms = ["merchant_id = :m"]
        self.params: dict[str, Any] = {"m": merchant_id}

    def equal(self, column: str, value: Any) -> Filter:
        if value is not None:
            self.terms.append(f"{column} = :f_{column}")
            self.params[f"f_{column}"] = value
        return self

    def among(self, column: str, values: Sequence[Any]) -> Filter:
        if values:
            marks, params = in_list(f"f_{column}_", sorted(set(values)))
            self.terms.append(f"{column} IN {marks}")
            self.params.update(params)
        return self

    def prefix(
        self,
        columns: Sequence[str],
        text: str | None,
        also: Mapping[str, Any] | None = None,
        key: str = "q",
    ) -> Filter:
        """Rows whose value in any of `columns` starts with `text` (case-sensitive; one
        index range per column), or whose column in `also` equals its value. `key` names
        the parameters (a second prefix term needs its own)."""
        if text is not None:
            ranges = [f"({c} >= :{key} AND {c} < :{key}_top)" for c in columns]
            ranges += [f"{c} = :{key}_{c}" for c in also or {}]
            self.terms.append("(" + " OR ".join(ranges or ["FALSE"]) + ")")
            self.params.update({key: text, f"{key}_top": text + _TOP})
            self.params.update({f"{key}_{c}": v for c, v in (also or {}).items()})
        return self

    def raw(self, term: str) -> Filter:
        self.terms.append(term)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.terms)


class Listing:
    """Sort, offset or keyset cursor, and page size of one list query."""

    def __init__(self, sort: str, order: str, offset: int, limit: int, cursor: str | None):
        self.sort, self.desc, self.offset, self.limit = sort, order == "desc", offset, limit
        self.after: tuple[Any, int] | None = None
        if cursor is not None:
            kind = _CURSOR_KINDS.get(sort, int)
            value, number = decode_cursor(cursor, (kind, int))
            self.after = (value, number)
            self.offset = 0

    @property
    def key(self) -> str:
        if self.sort in _IF_NULL:
            return f"COALESCE({self.sort}, '{_IF_NULL[self.sort]}')"
        return self.sort

    def cursor_of(self, row: Mapping[str, Any]) -> str:
        value = row[self.sort]
        if isinstance(value, uuid.UUID | datetime | date):
            value = value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
        return encode_cursor(_IF_NULL[self.sort] if value is None else value, row["number"])


def _cursor_param(value: Any, sort: str) -> Any:
    if sort in ("created_at", "updated_at"):
        return datetime.fromisoformat(value)
    if sort == "customer_id":
        return uuid.UUID(value)
    if sort == "due_date":
        return date.fromisoformat(value)
    return value


class B2BRepository(Repository):
    # --- generic reads -------------------------------------------------------------------

    async def one(self, table: Table, names: Sequence[str], where: Filter) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {table.select(names)} FROM {table.name} WHERE {where.sql}", where.params
        )

    async def page(
        self, table: Table, names: Sequence[str], where: Filter, listing: Listing
    ) -> tuple[list[Row], str | None]:
        """One page in `listing`'s order (ties by `number`), and the next page's cursor."""
        chosen = [*names, *(n for n in (listing.sort, "number") if n not in names)]
        select = _as_text(table, chosen, self.conn.dialect)
        rows = await self._page(table, select, where, listing)
        more = len(rows) > listing.limit
        rows = rows[: listing.limit]
        last = dict(zip(chosen, rows[-1], strict=True)) if more else None  # type: ignore[call-overload]
        return rows, listing.cursor_of(last) if last else None

    async def page_json(
        self, table: Table, names: Sequence[str], amount: str, where: Filter, listing: Listing
    ) -> tuple[bytes, str | None, list[Totals]]:
        """`page` as one JSON array of the rows' objects, built by the database as msgspec
        encodes the schema of `names` (so it is answered, or decoded, as it is), with the
        next page's cursor and `totals`."""
        dialect = self.conn.dialect
        sort = listing.key  # on SQLite as text (ids and times: no converter), see `_as_text`
        if dialect == "sqlite" and _kind(table, listing.sort) in _TEXT_ON_SQLITE:
            sort = f"CAST({sort} AS TEXT)"
        json = _json_object(table, tuple(names), dialect)
        page, params = _page_sql(table, f"{json} AS j, {sort} AS s, number AS n", where, listing)
        if dialect == "sqlite":  # in-process: two statements cost less than one UNION
            found = await self.conn.fetchall(page, params)
            sums = await self.totals(table, amount, where)
        else:
            found, sums = await self._with_totals(table, page, params, amount, where, listing)
        more = len(found) > listing.limit
        found = found[: listing.limit]
        last = {listing.sort: found[-1]["s"], "number": found[-1]["n"]} if more else None
        body = "[" + ",".join([r["j"] for r in found]) + "]"
        return body.encode(), listing.cursor_of(last) if last else None, sums

    async def _with_totals(
        self,
        table: Table,
        page: str,
        params: dict[str, Any],
        amount: str,
        where: Filter,
        listing: Listing,
    ) -> tuple[list[Row], list[Totals]]:
        """The `page` rows (`j, s, n`) and `totals` in one statement: one round trip."""
        direction = "DESC" if listing.desc else "ASC"
        rows = await self.conn.fetchall(
            f"SELECT 0 AS part, j, s, n, NULL AS c, NULL AS t FROM ({page}) AS page UNION ALL "
            f"SELECT 1, currency, NULL, NULL, COUNT(*), SUM({amount}) FROM {table.name} "
            f"WHERE {where.sql} GROUP BY currency ORDER BY part, s {direction}, n {direction}, j",
            params,
        )
        found = [r for r in rows if r["part"] == 0]
        sums = [Totals(r["j"], int(r["c"]), int(r["t"])) for r in rows if r["part"] == 1]
        return found, sums

    async def _page(self, table: Table, select: str, where: Filter, listing: Listing) -> list[Row]:
        return await self.conn.fetchall(*_page_sql(table, select, where, listing))

    async def totals(self, table: Table, amount: str, where: Filter) -> list[Totals]:
        """Count and sum of `amount` per currency of the rows `where` matches."""
        rows = await self.conn.fetchall(
            f"SELECT currency, COUNT(*) AS n, SUM({amount}) AS total FROM {table.name} "
            f"WHERE {where.sql} GROUP BY currency ORDER BY currency",
            where.params,
        )
        return [Totals(r["currency"], int(r["n"]), int(r["total"])) for r in rows]

    async def number(self, counter: str, merchant_id: uuid.UUID, count: int = 1) -> int:
        return await next_number(self.conn, merchant_id, counter, count)

    async def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        await table.insert(self.conn, [_encoded(table, r) for r in rows])

    async def update(
        self, table: Table, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID], values: dict[str, Any]
    ) -> None:
        """Set `values` on the rows `ids` of `table`."""
        if not ids:
            return
        marks, params = in_list("id", ids)
        sets = ", ".join(f"{k} = :s_{k}" for k in values)
        await self.conn.execute(
            f"UPDATE {table.name} SET {sets} WHERE merchant_id = :m AND id IN {marks}",
            {**params, **{f"s_{k}": v for k, v in values.items()}, "m": merchant_id},
        )

    async def update_where(self, table: Table, where: Filter, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = :s_{k}" for k in values)
        await self.conn.execute(
            f"UPDATE {table.name} SET {sets} WHERE {where.sql}",
            {**where.params, **{f"s_{k}": v for k, v in values.items()}},
        )

    # --- balances --------------------------------------------------------------------------

    async def lock_invoices(
        self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID], names: Sequence[str]
    ) -> list[Row]:
        """The invoices `ids`, row-locked in id order (so two payments never deadlock)."""
        if not ids:
            return []
        marks, params = in_list("id", sorted(set(ids)))
        return await self.conn.fetchall(
            f"SELECT {INVOICES.select(names)} FROM {INVOICES.name} "
            f"WHERE merchant_id = :m AND id IN {marks} ORDER BY id{self.conn.for_update()}",
            {**params, "m": merchant_id},
        )

    async def move_balance(
        self, merchant_id: uuid.UUID, invoice_id: uuid.UUID, paid: int, now: datetime
    ) -> int | None:
        """Take `paid` (negative: give back) off the invoice's open balance, never below
        zero: None when it does not fit."""
        value = await self.conn.fetchval(
            f"UPDATE {INVOICES.name} SET open_balance = open_balance - :paid, updated_at = :now "
            "WHERE merchant_id = :m AND id = :id AND open_balance >= :paid "
            "AND open_balance - :paid <= amount RETURNING open_balance",
            {"paid": paid, "now": now, "m": merchant_id, "id": invoice_id},
        )
        return None if value is None else int(value)

    async def lock_payment(
        self, merchant_id: uuid.UUID, payment_id: uuid.UUID, names: Sequence[str]
    ) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {PAYMENTS.select(names)} FROM {PAYMENTS.name} "
            f"WHERE merchant_id = :m AND id = :id{self.conn.for_update()}",
            {"m": merchant_id, "id": payment_id},
        )

    async def live_lines(
        self, merchant_id: uuid.UUID, payment_ids: Sequence[uuid.UUID], names: Sequence[str]
    ) -> list[Row]:
        """The lines not deleted of the payments, in line order."""
        if not payment_ids:
            return []
        marks, params = in_list("p", payment_ids)
        return await self.conn.fetchall(
            f"SELECT {LINES.select(names)} FROM {LINES.name} WHERE merchant_id = :m "
            f"AND payment_id IN {marks} AND {LIVE} ORDER BY number",
            {**params, "m": merchant_id},
        )

    async def receipt_ids(
        self, merchant_id: uuid.UUID, payment_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, uuid.UUID]:
        """payment id → its live receipt's id."""
        if not payment_ids:
            return {}
        marks, params = in_list("p", payment_ids)
        rows = await self.conn.fetchall(
            f"SELECT payment_id, id FROM {RECEIPTS.name} WHERE merchant_id = :m "
            f"AND payment_id IN {marks} AND {LIVE}",
            {**params, "m": merchant_id},
        )
        return {r["payment_id"]: r["id"] for r in rows}

    async def add_to_totals(
        self, merchant_id: uuid.UUID, payment_id: uuid.UUID, delta: int, now: datetime
    ) -> None:
        """Change the payment's and its receipt's totals by `delta`."""
        for table in (PAYMENTS, RECEIPTS):
            column = "id" if table is PAYMENTS else "payment_id"
            await self.conn.execute(
                f"UPDATE {table.name} SET total = total + :d, updated_at = :now "
                f"WHERE merchant_id = :m AND {column} = :p",
                {"d": delta, "now": now, "m": merchant_id, "p": payment_id},
            )

    # --- audit -----------------------------------------------------------------------------

    async def audit(self, merchant_id: uuid.UUID, entry: dict[str, Any]) -> None:
        await self.insert(AUDIT, [{**entry, "merchant_id": merchant_id}])

    async def audit_page(
        self, merchant_id: uuid.UUID, object_id: uuid.UUID | None, after: uuid.UUID | None, n: int
    ) -> list[Row]:
        where = Filter(merchant_id).equal("object_id", object_id)
        if after is not None:
            where.raw("id > :after").params["after"] = after
        return await self.conn.fetchall(
            f"SELECT {AUDIT.select(AUDIT.names[1:])} FROM {AUDIT.name} WHERE {where.sql} "
            "ORDER BY id LIMIT :n",
            {**where.params, "n": n},
        )


class Totals(NamedTuple):
    """Count and sum of the rows a list matches, in one currency."""

    currency: str
    n: int
    total: int


def _page_sql(
    table: Table, select: str, where: Filter, listing: Listing
) -> tuple[str, dict[str, Any]]:
    """`limit + 1` rows of `select` in `listing`'s order, ties by `number` (one more: is
    there a next page?)."""
    direction = "DESC" if listing.desc else "ASC"
    params = {**where.params, "limit": listing.limit + 1, "offset": listing.offset}
    terms = where.sql
    if listing.after is not None:
        value, number = listing.after
        terms += f" AND ({listing.key}, number) {'<' if listing.desc else '>'} (:cv, :cn)"
        params.update(cv=_cursor_param(value, listing.sort), cn=number)
    sql = (
        f"SELECT {select} FROM {table.name} WHERE {terms} "
        f"ORDER BY {listing.key} {direction}, number {direction} LIMIT :limit OFFSET :offset"
    )
    return sql, params


_TEXT_ON_SQLITE = frozenset({UUID, TIMESTAMPTZ, DATE})


def _kind(table: Table, name: str) -> str:
    return next(c.type for c in table.columns if c.name == name)


def _as_text(table: Table, names: Sequence[str], dialect: str) -> str:
    """The select list; on SQLite ids and times come as their stored text (no per-value
    converter: the page's readers parse them in C, `stored.py`)."""
    if dialect != "sqlite":
        return table.select(names)
    kinds = {c.name: c.type for c in table.columns}
    return ", ".join(
        f"CAST({n} AS TEXT) AS {n}" if kinds[n] in _TEXT_ON_SQLITE else n for n in names
    )


@lru_cache(maxsize=64)
def _json_object(table: Table, names: tuple[str, ...], dialect: str) -> str:
    """The row as a JSON object of `names`, a time as msgspec writes it (`…T06:52:30Z`,
    `….123400Z`): SQLite's `json_object`, from a time's stored fixed-width text
    (`….000000+00:00`, kit/db.py); on PostgreSQL `_pg_json_object`."""
    kinds = {c.name: c.type for c in table.columns}
    assert {kinds[n] for n in names} <= {UUID, TEXT, INTEGER, BIGINT, TIMESTAMPTZ}, names
    if dialect != "sqlite":
        return _pg_json_object(table, names)

    def value(n: str) -> str:
        if kinds[n] != TIMESTAMPTZ:
            return n
        whole, fraction = f"substr({n}, 1, 19)", f"substr({n}, 1, 26)"
        return f"CASE WHEN substr({n}, 21, 6) = '000000' THEN {whole} ELSE {fraction} END || 'Z'"

    return "json_object(" + ", ".join(f"'{n}', {value(n)}" for n in names) + ")"


_PG_TIME = "replace(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"


def _pg_json_object(table: Table, names: tuple[str, ...]) -> str:
    """One `format('{"id":"%s","number":%s,…}', id, number, …)`: a third of the server
    time of `json_build_object` (which looks up every argument's type on every row)."""
    columns = {c.name: c for c in table.columns}
    pairs = [_pg_json_value(columns[n]) for n in names]
    marks = ",".join(f'"{n}":{mark}' for n, (mark, _) in zip(names, pairs, strict=True))
    return f"format('{{{marks}}}', {', '.join(value for _, value in pairs)})"


def _pg_json_value(column: Column) -> tuple[str, str]:
    """(`format` mark, argument) of a column: text escaped by `to_json`, NULL as `null`."""
    n, kind = column.name, column.type
    value = {TEXT: f"to_json({n})::text", TIMESTAMPTZ: _PG_TIME.format(n) + " || 'Z'"}
    quoted = kind in (UUID, TIMESTAMPTZ)
    argument = value.get(kind, n)
    if not column.nullable:
        return ('"%s"' if quoted else "%s"), argument
    text = f"{argument}::text" if kind in (INTEGER, BIGINT) else argument
    text = f"""'"' || {text} || '"'""" if quoted else text
    return "%s", f"COALESCE({text}, 'null')"


def _encoded(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_json(v) if k in table.json else v for k, v in row.items()}


def new_row(merchant_id: uuid.UUID, number: int, now: datetime, **values: Any) -> dict[str, Any]:
    """A row's keys and timestamps with `values`."""
    return {
        "merchant_id": merchant_id,
        "id": uuid7(),
        "number": number,
        **values,
        "created_at": now,
        "updated_at": now,
    }
