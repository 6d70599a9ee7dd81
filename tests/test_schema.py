"""The schema: Citus-ready (tenant tables lead keys with merchant_id, docs/scaling.md), the
same on both dialects, and as each domain's `tables.py` declares it."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pytest

import tillroll
from tillroll.kit.db import Connection, Database, PostgresDatabase, open_database, run
from tillroll.kit.migrate import migrate
from tillroll.kit.tables import BIGINT, BLOB, TEXT, TIMESTAMPTZ, Table

REFERENCE_TABLES = {"merchants", "api_keys", "schema_migrations", "auth_failures"}
REFERENCE_TABLES |= {"jobs"}  # not a tenant's: a job's merchant is optional, its key global


async def _unique_keys(conn: Connection) -> dict[str, list[list[str]]]:
    """table → column lists of its primary key and every unique index."""
    keys: dict[str, list[list[str]]] = {}
    if conn.dialect == "sqlite":
        tables = await conn.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        for t in tables:
            name = t["name"]
            for index in await conn.fetchall(f"PRAGMA index_list('{name}')"):
                if index["unique"]:
                    cols = await conn.fetchall(f"PRAGMA index_info('{index['name']}')")
                    keys.setdefault(name, []).append([c["name"] for c in cols])
            pk = [c["name"] for c in await conn.fetchall(f"PRAGMA table_info('{name}')") if c["pk"]]
            keys.setdefault(name, []).append(pk)
        return keys
    rows = await conn.fetchall(
        "SELECT t.relname AS table_name, array_agg(a.attname ORDER BY k.ord) AS cols "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE i.indisunique GROUP BY t.relname, i.indexrelid"
    )
    for r in rows:
        keys.setdefault(r["table_name"], []).append(list(r["cols"]))
    return keys


async def test_tenant_tables_lead_with_merchant_id(db: Database) -> None:
    keys = await run(db, _unique_keys, write=False)
    tenant_tables = set(keys) - REFERENCE_TABLES
    assert {"receipts", "receipt_lines", "customers", "branches"} <= tenant_tables
    for table in tenant_tables:
        for columns in keys[table]:
            if columns:
                assert "merchant_id" in columns, f"{table} has a unique key {columns} without it"


# --- one schema on both dialects, and the Python declarations --------------------------

_PG_TYPES = {"timestamp with time zone": TIMESTAMPTZ, "bytea": BLOB, "jsonb": "json"}


@dataclass
class Shape:
    """A table as its catalogue describes it, in terms both dialects share."""

    columns: list[tuple[str, str, bool]]  # (name, normalised type, nullable), in order
    primary_key: tuple[str, ...]
    unique: set[tuple[str, ...]]
    foreign_keys: set[tuple[tuple[str, ...], str, tuple[str, ...]]]
    indexes: set[tuple[str, tuple[str, ...], bool, bool]]  # (name, columns, unique, partial)


def sqlite_shapes(path: str) -> dict[str, Shape]:
    raw = sqlite3.connect(path)
    try:
        names = [r[0] for r in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )]  # fmt: skip
        return {name: _sqlite_shape(raw, name) for name in names}
    finally:
        raw.close()


def _sqlite_shape(raw: sqlite3.Connection, table: str) -> Shape:
    info = raw.execute(f"PRAGMA table_info('{table}')").fetchall()
    pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
    # SQLite lets a non-INTEGER primary key hold NULL (a legacy quirk PostgreSQL has not);
    # every key column here is declared for the rule both follow: never NULL.
    columns = [(r[1], r[2].lower(), not r[3] and r[1] not in pk) for r in info]
    shape = Shape(columns, pk, set(), set(), set())
    for _, name, unique, origin, partial in raw.execute(f"PRAGMA index_list('{table}')"):
        cols = tuple(r[2] for r in raw.execute(f"PRAGMA index_info('{name}')"))
        if origin == "u":
            shape.unique.add(cols)
        elif origin == "c":
            shape.indexes.add((name, cols, bool(unique), bool(partial)))
    keys: dict[int, list[Any]] = {}
    for r in raw.execute(f"PRAGMA foreign_key_list('{table}')"):
        keys.setdefault(r[0], []).append(r)
    for rows in keys.values():
        rows.sort(key=lambda r: r[1])
        parent = rows[0][2]
        # `REFERENCES t` without columns names t's primary key.
        to = [r[4] or _sqlite_pk(raw, parent)[i] for i, r in enumerate(rows)]
        shape.foreign_keys.add((tuple(r[3] for r in rows), parent, tuple(to)))
    return shape


def _sqlite_pk(raw: sqlite3.Connection, table: str) -> list[str]:
    info = raw.execute(f"PRAGMA table_info('{table}')").fetchall()
    return [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]


async def pg_shapes(raw: asyncpg.Connection[asyncpg.Record]) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for r in await raw.fetch(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    ):
        shape = shapes.setdefault(r["table_name"], Shape([], (), set(), set(), set()))
        kind = _PG_TYPES.get(r["data_type"], r["data_type"])
        shape.columns.append((r["column_name"], kind, r["is_nullable"] == "YES"))
    for r in await raw.fetch(
        "SELECT c.contype::text AS contype, t.relname AS tbl, f.relname AS parent, "
        "ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
        "      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) "
        "  AS cols, "
        "ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) "
        "      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) "
        "  AS refs "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' "
        "LEFT JOIN pg_class f ON f.oid = c.confrelid WHERE c.contype IN ('p', 'u', 'f')"
    ):
        shape = shapes[r["tbl"]]
        cols = tuple(r["cols"])
        if r["contype"] == "p":
            shape.primary_key = cols
        elif r["contype"] == "u":
            shape.unique.add(cols)
        else:
            shape.foreign_keys.add((cols, r["parent"], tuple(r["refs"])))
    for r in await raw.fetch(
        "SELECT t.relname AS tbl, x.relname AS name, i.indisunique AS uniq, "
        "i.indpred IS NOT NULL AS partial, "
        "ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o) "
        "      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) "
        "  AS cols "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_class x ON x.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
    ):
        shapes[r["tbl"]].indexes.add((r["name"], tuple(r["cols"]), r["uniq"], r["partial"]))
    return shapes


def differences(a: dict[str, Shape], b: dict[str, Shape]) -> list[str]:
    """What differs between two migrated schemas (JSON columns compared as text)."""

    def plain(shape: Shape) -> Shape:
        columns = [(n, TEXT if t == "json" else t, null) for n, t, null in shape.columns]
        return replace(shape, columns=columns)

    found = [f"table {t} only on one side" for t in sorted(set(a) ^ set(b))]
    for table in sorted(set(a) & set(b)):
        left, right = plain(a[table]), plain(b[table])
        for part in ("columns", "primary_key", "unique", "foreign_keys", "indexes"):
            if getattr(left, part) != getattr(right, part):
                found.append(f"{table}.{part}: {getattr(left, part)} != {getattr(right, part)}")
    return found


def declaration_differences(table: Table, sqlite: Shape, pg: Shape | None) -> list[str]:
    """How a `Table` declaration differs from the migrated table(s)."""
    declared = [(c.name, c.type, c.nullable) for c in table.columns]
    found = []
    if declared != sqlite.columns:
        found.append(f"{table.name}: declared {declared}, migrated {sqlite.columns}")
    if table.primary_key != sqlite.primary_key:
        found.append(f"{table.name}: primary key {table.primary_key} != {sqlite.primary_key}")
    if set(table.unique) != sqlite.unique:
        found.append(f"{table.name}: unique keys {set(table.unique)} != {sqlite.unique}")
    if pg is not None:
        json = {name for name, kind, _ in pg.columns if kind == "json"}
        if set(table.json) != json:
            found.append(f"{table.name}: JSON columns {set(table.json)} != JSONB {json}")
    return found


def declarations() -> list[Table]:
    """Every `Table` in a `tillroll.<domain>.tables` module."""
    found = []
    for module in pkgutil.walk_packages(tillroll.__path__, "tillroll."):
        if module.name.endswith(".tables"):
            values = vars(importlib.import_module(module.name)).values()
            found += [v for v in values if isinstance(v, Table)]
    return found


@pytest.fixture(scope="module")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Shape]:
    path = str(tmp_path_factory.mktemp("schema") / "schema.db")

    async def build() -> None:
        db = open_database(f"sqlite:///{path}")
        await migrate(db)

    asyncio.run(build())
    return sqlite_shapes(path)


@pytest.fixture
async def pg_schema(db: Database) -> dict[str, Shape] | None:
    """The PostgreSQL schema when the suite runs on PostgreSQL (else None)."""
    if not isinstance(db, PostgresDatabase):
        return None
    async with db.raw_connection() as raw:
        return await pg_shapes(raw)  # type: ignore[arg-type]


async def test_both_dialects_migrate_to_one_schema(
    sqlite_schema: dict[str, Shape], pg_schema: dict[str, Shape] | None
) -> None:
    if pg_schema is None:
        pytest.skip("needs PostgreSQL (TILLROLL_TEST_DATABASE_URL)")
    assert differences(sqlite_schema, pg_schema) == []
    assert "receipts" in pg_schema and pg_schema["receipts"].foreign_keys


async def test_declarations_match_the_migrated_tables(
    sqlite_schema: dict[str, Shape], pg_schema: dict[str, Shape] | None
) -> None:
    tables = declarations()
    assert {"receipts", "receipt_lines", "branches", "customers", "products"} <= {
        t.name for t in tables
    }
    for table in tables:
        pg = pg_schema[table.name] if pg_schema is not None else None
        assert declaration_differences(table, sqlite_schema[table.name], pg) == []


def test_every_migrated_table_is_declared(sqlite_schema: dict[str, Shape]) -> None:
    """Only the migrator's own bookkeeping table has no declaration."""
    assert set(sqlite_schema) - {t.name for t in declarations()} == {"schema_migrations"}


def test_a_drifted_schema_is_reported(sqlite_schema: dict[str, Shape]) -> None:
    """The comparisons see each kind of difference (so the tests above can fail)."""
    receipts = sqlite_schema["receipts"]
    drifted = replace(
        receipts,
        columns=[*receipts.columns[:-1], (receipts.columns[-1][0], BIGINT, True)],
        unique=receipts.unique - {("merchant_id", "number")},
        foreign_keys=set(),
        indexes=receipts.indexes | {("ix_new", ("merchant_id",), False, False)},
    )
    found = differences(sqlite_schema, {**sqlite_schema, "receipts": drifted, "extra": receipts})
    assert len(found) == 5  # the extra table, columns, unique, foreign keys, indexes
    declared = next(t for t in declarations() if t.name == "receipts")
    assert declaration_differences(declared, drifted, None)
    assert declaration_differences(declared, receipts, replace(receipts)) != []  # no JSONB
