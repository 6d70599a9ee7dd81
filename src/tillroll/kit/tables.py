"""One declaration per table, in its owning domain (`<domain>/tables.py`).

A `Table` names its columns (type, nullability, JSON), its primary key and unique keys.
Column lists, SELECT lists, positional insert tuples and row decoding follow from it, so no
repository lists a column by hand. The DDL stays in the hand-written migrations per
dialect; `tests/test_schema.py` fails when a migrated schema and its declaration differ.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any

import msgspec

from tillroll.kit import group
from tillroll.kit.db import Connection, Row
from tillroll.kit.repository import next_number, to_json

# Normalised column types (as tests/test_schema.py reads both dialects' catalogues).
UUID, TEXT, INTEGER, BIGINT = "uuid", "text", "integer", "bigint"
BOOLEAN, TIMESTAMPTZ, DATE, BLOB = "boolean", "timestamptz", "date", "blob"
_TYPES = {UUID, TEXT, INTEGER, BIGINT, BOOLEAN, TIMESTAMPTZ, DATE, BLOB}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    json: Any = None  # a JSON column: the type it decodes into (TEXT on SQLite, JSONB on PG)


def col(name: str, type_: str, *, null: bool = False, json: Any = None) -> Column:
    assert type_ in _TYPES, type_
    assert json is None or type_ == TEXT, f"{name}: JSON columns are declared TEXT"
    return Column(name, type_, null, json)


class Table:
    """A table's columns in their order, its keys, and what follows from them."""

    def __init__(
        self,
        name: str,
        *columns: Column,
        primary_key: Sequence[str],
        unique: Sequence[Sequence[str]] = (),
    ) -> None:
        self.name = name
        self.columns = columns
        self.names = tuple(c.name for c in columns)
        self.primary_key = tuple(primary_key)
        self.unique = tuple(tuple(u) for u in unique)
        self.json: dict[str, Any] = {c.name: c.json for c in columns if c.json is not None}
        unknown = {*self.primary_key, *(n for u in self.unique for n in u)} - set(self.names)
        assert not unknown, f"{name}: keys name unknown columns {unknown}"
        self._tuple = itemgetter(*self.names)

    def select(self, names: Iterable[str] | None = None, alias: str | None = None) -> str:
        """`a, b, c` (or `r.a, r.b, …`) for `names`, all columns by default."""
        chosen = self.names if names is None else tuple(names)
        unknown = set(chosen) - set(self.names)
        assert not unknown, f"{self.name} has no columns {unknown}"
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + n for n in chosen)

    def tuples(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Rows as positional tuples in column order (the `insert_rows` fast path)."""
        get = self._tuple
        return [get(r) for r in rows]

    async def insert(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows given as dicts holding every column."""
        await conn.insert_rows(self.name, self.names, self.tuples(rows))

    async def insert_before_commit(
        self, conn: Connection, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """`insert`, for rows no later work of a group reads: one statement per group
        (`kit.group.insert_before_commit`)."""
        await group.insert_before_commit(conn, self.name, self.names, self.tuples(rows))

    def encoder(self, names: Sequence[str]) -> Callable[[Any], dict[str, Any]]:
        """A function: an object → {name: its attribute `name`} for `names`, JSON encoded.

        Generated as one dict display (as `dataclasses` generates its methods): as fast as
        the hand-written literal it replaces, on the ingest path."""
        assert all(n.isidentifier() and n in self.names for n in names), names
        items = ", ".join(
            f"{n!r}: to_json(o.{n})" if n in self.json else f"{n!r}: o.{n}" for n in names
        )
        encode: Callable[[Any], dict[str, Any]] = (
            eval(  # the names are checked identifiers of this table
                f"lambda o: {{{items}}}", {"to_json": to_json}
            )
        )
        return encode

    def reader(self, names: Sequence[str]) -> Callable[[Row], dict[str, Any]]:
        """A function: a row whose first columns are `names` (as `select(names)` lists
        them; more may follow) → {name: value}, JSON columns decoded."""
        chosen = tuple(names)
        json = [(n, msgspec.json.Decoder(self.json[n])) for n in chosen if n in self.json]

        def read(row: Row) -> dict[str, Any]:
            values = dict(zip(chosen, row, strict=False))  # type: ignore[call-overload]
            for name, decoder in json:
                if values[name] is not None:
                    values[name] = decoder.decode(values[name])
            return values

        return read

    async def insert_numbered(
        self, conn: Connection, merchant_id: Any, counter: str, rows: list[dict[str, Any]]
    ) -> None:
        """Insert rows numbered from the merchant's `counter` (each row's `number` is set).

        The counter's row lock is held until commit, so callers insert these rows last.
        On PostgreSQL a single row is numbered and inserted in one statement (the lock is
        held one round trip less). In a group commit on PostgreSQL the rows go in at once
        with placeholder numbers and are numbered once for the whole group, just before its
        COMMIT (`_number_late`): the counter's lock then covers two statements and the
        COMMIT, not every work of the group. Each row's `number` is final after that flush.
        """
        if conn.dialect == "postgresql" and group.memo(conn) is not None:
            await self._insert_late(conn, merchant_id, counter, rows)
            return
        if conn.dialect == "postgresql" and len(rows) == 1:
            sql = self._insert_one_numbered
            rows[0]["number"] = await conn.fetchval(sql, {**rows[0], "counter_": counter})
            return
        first = await next_number(conn, merchant_id, counter, len(rows))
        for offset, row in enumerate(rows):
            row["number"] = first + offset
        await self.insert(conn, rows)

    async def _insert_late(
        self, conn: Connection, merchant_id: Any, counter: str, rows: list[dict[str, Any]]
    ) -> None:
        for row in rows:  # negative, random: no committed row and no other group has it
            row["number"] = -1 - secrets.randbits(62)
        await self.insert(conn, rows)
        key = ("numbered", self.name, merchant_id, counter)
        pending = group.memo(conn) or {}
        pending[key] = (*pending.get(key, ()), *rows)  # a new tuple: savepoints restore it
        group.before_commit(conn, key, functools.partial(self._number_late, key))

    async def _number_late(self, key: tuple[str, str, Any, str], conn: Connection) -> None:
        rows = (group.memo(conn) or {})[key]
        first = await next_number(conn, key[2], key[3], len(rows), now=True)
        for offset, row in enumerate(rows):
            row["number"] = first + offset
        await conn.executemany(
            f"UPDATE {self.name} SET number = :number "
            "WHERE merchant_id = :merchant_id AND id = :id",
            rows,
        )

    @cached_property
    def _insert_one_numbered(self) -> str:
        values = ", ".join(
            "(SELECT value FROM c)" if n == "number" else f":{n}" for n in self.names
        )
        return (
            "WITH c AS (UPDATE counters SET value = value + 1 "
            "WHERE merchant_id = :merchant_id AND name = :counter_ RETURNING value) "
            f"INSERT INTO {self.name} ({self.select()}) VALUES ({values}) RETURNING number"
        )


# The kit's own tables: per-merchant number counters and stored idempotent answers.
COUNTERS = Table(
    "counters",
    col("merchant_id", UUID),
    col("name", TEXT),
    col("value", BIGINT),
    primary_key=("merchant_id", "name"),
)

IDEMPOTENCY_KEYS = Table(
    "idempotency_keys",
    col("merchant_id", UUID),
    col("key", TEXT),
    col("request_hash", TEXT),
    col("status", INTEGER),
    col("body", BLOB),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "key"),
)
