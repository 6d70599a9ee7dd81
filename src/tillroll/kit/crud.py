"""A repository base for simple tenant-owned tables (branches, customers, products)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import msgspec

from tillroll.kit.db import Row
from tillroll.kit.ids import uuid7
from tillroll.kit.pagination import decode_cursor, encode_cursor
from tillroll.kit.repository import (
    Repository,
    in_list,
    is_number,
    next_number,
    to_json,
)
from tillroll.kit.schemas import Page
from tillroll.kit.tables import Table

S = TypeVar("S", bound=msgspec.Struct)
T = TypeVar("T", bound=msgspec.Struct)


class TableRepository(Repository, Generic[S]):
    """CRUD over one table whose rows carry `merchant_id`, `id`, timestamps.

    Subclasses name the table's declaration and the schema rows become (its fields are
    the columns read). Every statement is scoped by `merchant_id`.
    """

    table: ClassVar[Table]
    schema: type[S]
    counter: ClassVar[str | None] = None  # per-merchant integer `number`, if the table has one

    @classmethod
    def columns(cls) -> str:
        return cls.table.select(cls.schema.__struct_fields__)

    def row_to_schema(self, row: Row) -> S:
        return self.schema(**_reader(self.table, self.schema)(row))

    def _encode(self, values: dict[str, Any]) -> dict[str, Any]:
        json = self.table.json
        return {k: to_json(v) if k in json else v for k, v in values.items()}

    async def rows_in(
        self, merchant_id: uuid.UUID, column: str, values: Sequence[Any], names: Sequence[str]
    ) -> list[Row]:
        """Columns `names` of the rows whose `column` is one of `values` (one query)."""
        if not values:
            return []
        marks, params = in_list("v", values)
        return await self.conn.fetchall(
            f"SELECT {self.table.select(names)} FROM {self.table.name} "
            f"WHERE merchant_id = :m AND {self.table.select([column])} IN {marks}",
            {"m": merchant_id, **params},
        )

    async def get(self, merchant_id: uuid.UUID, object_id: uuid.UUID) -> S | None:
        return await self.get_by(merchant_id, "id", object_id)

    async def get_by_number(self, merchant_id: uuid.UUID, number: int) -> S | None:
        """By the per-merchant integer `number` (tables with a counter; an INTEGER column)."""
        found = is_number(number, bits=31)
        return await self.get_by(merchant_id, "number", number) if found else None

    async def get_by(self, merchant_id: uuid.UUID, column: str, value: Any) -> S | None:
        row = await self.conn.fetchone(
            f"SELECT {self.columns()} FROM {self.table.name} "
            f"WHERE merchant_id = :m AND {column} = :v",
            {"m": merchant_id, "v": value},
        )
        return None if row is None else self.row_to_schema(row)

    async def get_many(self, merchant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, S]:
        """Rows by id (missing ones left out)."""
        rows = await self.rows_in(merchant_id, "id", ids, self.schema.__struct_fields__)
        return {row["id"]: self.row_to_schema(row) for row in rows}

    async def page(self, merchant_id: uuid.UUID, after: uuid.UUID | None, limit: int) -> list[S]:
        """Rows in id order (ids are time-ordered UUIDs), after the cursor id."""
        rows = await self.conn.fetchall(
            f"SELECT {self.columns()} FROM {self.table.name} WHERE merchant_id = :m "
            f"{'AND id > :after ' if after else ''}ORDER BY id LIMIT :limit",
            {"m": merchant_id, "after": after, "limit": limit}
            if after
            else {"m": merchant_id, "limit": limit},
        )
        return [self.row_to_schema(r) for r in rows]

    async def insert(self, merchant_id: uuid.UUID, values: dict[str, Any], now: datetime) -> S:
        record = {**self._encode(values), "merchant_id": merchant_id, "id": uuid7()}
        record["created_at"] = record["updated_at"] = now
        if self.counter:
            record["number"] = await next_number(self.conn, merchant_id, self.counter)
        names = ", ".join(record)
        marks = ", ".join(f":{k}" for k in record)
        row = await self.conn.fetchone(
            f"INSERT INTO {self.table.name} ({names}) VALUES ({marks}) RETURNING {self.columns()}",
            record,
        )
        assert row is not None
        return self.row_to_schema(row)

    async def update(
        self, merchant_id: uuid.UUID, object_id: uuid.UUID, values: dict[str, Any], now: datetime
    ) -> S | None:
        record = {**self._encode(values), "updated_at": now}
        sets = ", ".join(f"{k} = :{k}" for k in record)
        row = await self.conn.fetchone(
            f"UPDATE {self.table.name} SET {sets} WHERE merchant_id = :merchant_id AND id = :id "
            f"RETURNING {self.columns()}",
            {**record, "merchant_id": merchant_id, "id": object_id},
        )
        return None if row is None else self.row_to_schema(row)

    async def delete(self, merchant_id: uuid.UUID, object_id: uuid.UUID) -> bool:
        """Delete the row; its foreign keys refuse while rows elsewhere refer to it
        (`ForeignKeyViolation`, which the service answers with a 409)."""
        row = await self.conn.fetchone(
            f"DELETE FROM {self.table.name} WHERE merchant_id = :m AND id = :id RETURNING id",
            {"m": merchant_id, "id": object_id},
        )
        return row is not None

    async def referring_tables(self, merchant_id: uuid.UUID, object_id: uuid.UUID) -> list[str]:
        """The tables with a row that refers to this one, read from SQLite's catalogue (its
        foreign key errors name no table; PostgreSQL's do, and never need this)."""
        keys = await self.conn.fetchall(
            'SELECT m.name AS tbl, p.id AS fk, p."from" AS col, p."to" AS ref '
            "FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p "
            "WHERE m.type = 'table' AND p.\"table\" = :t ORDER BY m.name, p.id, p.seq",
            {"t": self.table.name},
        )
        columns: dict[tuple[str, int], dict[str, str]] = {}
        for k in keys:
            columns.setdefault((k["tbl"], k["fk"]), {})[k["ref"]] = k["col"]
        found: list[str] = []
        for (table, _), by in columns.items():
            if table not in found and set(by) == {"merchant_id", "id"}:
                sql = f"SELECT 1 FROM {table} WHERE {by['merchant_id']} = :m AND {by['id']} = :id"
                if await self.conn.fetchval(sql + " LIMIT 1", {"m": merchant_id, "id": object_id}):
                    found.append(table)
        return found


@cache
def _reader(table: Table, schema: type[msgspec.Struct]) -> Callable[[Row], dict[str, Any]]:
    """Reads the columns `columns()` selects (the schema's fields, in order)."""
    return table.reader(schema.__struct_fields__)


class Paged(Protocol[T]):
    """A repository that reads a merchant's rows in id order, after a cursor id."""

    async def page(
        self, merchant_id: uuid.UUID, after: uuid.UUID | None, limit: int
    ) -> list[T]: ...


async def list_page(
    repo: Paged[T], merchant_id: uuid.UUID, cursor: str | None, limit: int
) -> Page[T]:
    """One keyset page of `repo`'s rows in id order."""
    after = decode_cursor(cursor, (uuid.UUID,))[0] if cursor else None
    rows = await repo.page(merchant_id, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    last = str(rows[-1].id) if more else None  # type: ignore[attr-defined]
    return Page(data=rows, next_cursor=encode_cursor(last) if last else None)
