"""Spaaza's 27-column CSV, rendered by the facade from its own table of cells."""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid
from pathlib import Path

from tests.conftest import Tenant
from tests.factories import receipt
from tillroll.cli import upgrade
from tillroll.compat.spaaza.export import HEADER, render_missing, stream_csv
from tillroll.kit.db import Connection, Database, open_database, run
from tillroll.kit.migrate import migration_files
from tillroll.receipts.export import Window
from tillroll.receipts.repository import ReceiptFilter


async def spaaza_csv(db: Database, merchant_id: uuid.UUID) -> str:
    chunks = [c async for c in stream_csv(db, merchant_id, Window(ReceiptFilter()))]
    return b"".join(chunks).decode()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_csv_has_spaazas_27_columns_in_order(tenant: Tenant, db: Database) -> None:
    await tenant.client.post("/v1/receipts", json=receipt("A"))
    text = await spaaza_csv(db, tenant.id)
    header = text.splitlines()[0]
    assert header == HEADER.strip()
    assert len(header.split(",")) == 27
    [row] = rows(text)
    assert row["id"] == "1"
    assert row["retailer_basket_code"] == "A"
    assert row["subtotal"] == "31.40" and row["total_value"] == "31.40"
    assert row["shipping_charge"] == "0.00"
    assert row["items_count"] == "4.055"
    assert row["currency_code"] == "EUR" and row["currency_symbol"] == "€"
    assert row["employee_code"] == "E07" and row["employee_name"] == "Sanne"
    assert row["notes"] == "Thank you for shopping with us!"


async def test_cells_are_stored_in_the_facades_table(tenant: Tenant, db: Database) -> None:
    await tenant.client.post("/v1/receipts", json=receipt("STORED", notes="n"))

    async def cells(conn: Connection) -> list[str]:
        found = await conn.fetchall(
            "SELECT tail FROM spaaza_receipt_cells WHERE merchant_id = :m", {"m": tenant.id}
        )
        return [r["tail"] for r in found]

    assert await run(db, cells, write=False) == ['"n"']


async def test_branch_and_customer_cells_are_current(tenant: Tenant, db: Database) -> None:
    from tests.factories import make_customer

    await tenant.client.post("/v1/branches", json={"code": "S-1", "name": "Old name"})
    await make_customer(
        tenant.client,
        member_number="4242",
        email="a@example.com",
        billing_address={"postal_code": "1011AB"},
    )
    body = receipt("REF", branch={"code": "S-1"}, customer={"member_number": "4242"})
    assert (await tenant.client.post("/v1/receipts", json=body)).status_code == 201
    [branch] = (await tenant.client.get("/v1/branches")).json()["data"]
    await tenant.client.patch(f"/v1/branches/{branch['id']}", json={"name": "New name"})
    [row] = rows(await spaaza_csv(db, tenant.id))
    assert row["chain_business_name"] == "New name"
    assert row["chain_business_owner_code"] == "S-1"
    assert row["shopper_id"] == "4242" and row["shopper_member_number"] == "4242"
    assert row["shopper_email"] == "a@example.com"
    assert row["shopper_address_postalcode"] == "1011AB"


async def test_missing_cells_are_rendered_the_same(tenant: Tenant, db: Database) -> None:
    """Receipts stored without cells (before migration 0004 rendered them, or by a process
    without the facade): the export renders them, and `tillroll migrate` stores them."""
    await tenant.client.post("/v1/receipts", json=receipt("OLD", notes='kept, "quoted"'))
    before = await spaaza_csv(db, tenant.id)

    async def forget(conn: Connection) -> None:
        await conn.execute(
            "DELETE FROM spaaza_receipt_cells WHERE merchant_id = :m", {"m": tenant.id}
        )

    await run(db, forget, write=True)
    assert await spaaza_csv(db, tenant.id) == before
    assert await render_missing(db) >= 1
    assert await render_missing(db) == 0
    assert await spaaza_csv(db, tenant.id) == before


def test_migrate_moves_cells_written_by_old_versions(tmp_path: Path) -> None:
    """A database at migration 0003 (cells in `receipts.csv_head/csv_tail`, some missing):
    `tillroll migrate` keeps the rendered cells in the facade's table and renders the rest."""
    import asyncio

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT)")
    for version, sql in migration_files("sqlite")[:3]:
        raw.executescript(sql)
        raw.execute("INSERT INTO schema_migrations VALUES (?, '')", (version,))
    m, now = str(uuid.uuid4()), "2026-11-30T12:00:00.000000+00:00"
    raw.execute("INSERT INTO merchants VALUES (?, 1, 'Old', '{}', 's', ?, ?)", (m, now, now))
    for number, head in ((1, "KEPT-AS-RENDERED"), (2, None)):
        raw.execute(
            "INSERT INTO receipts (merchant_id, id, number, external_id, type, issued_at, "
            "currency, prices_include_tax, subtotal, tax_total, shipping_total, discount_total, "
            "total, taxes, payments, discounts, notes, is_return, body_hash, created_at, "
            "csv_head, csv_tail) VALUES (?, ?, ?, ?, 'in_store', ?, 'EUR', 1, 100, 0, 0, 0, "
            "100, '[]', '[]', '[]', NULL, 0, 'h', ?, ?, '')",
            (m, str(uuid.uuid4()), number, f"OLD-{number}", now, now, head),
        )
    raw.commit()
    raw.close()

    async def upgraded() -> list[str]:
        db = open_database(f"sqlite:///{path}")
        await db.connect()
        try:
            assert "0004_facade_cells" in await upgrade(db)  # with the later migrations
            return (await spaaza_csv(db, uuid.UUID(m))).splitlines()
        finally:
            await db.close()

    lines = asyncio.run(upgraded())
    assert lines[1].startswith("1,KEPT-AS-RENDERED,")
    assert lines[2].startswith('2,"OLD-2",2026-11-30T12:00:00+00:00,"in_store",0,"EUR"')
    columns = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(receipts)")]
    assert "csv_head" not in columns
