"""The schema stays Citus-ready: tenant tables lead keys with merchant_id (docs/scaling.md)."""

from __future__ import annotations

from tillroll.kit.db import Connection, Database, run

REFERENCE_TABLES = {"merchants", "api_keys", "schema_migrations", "auth_failures"}


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
