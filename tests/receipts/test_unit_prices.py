"""Unit prices with more decimals than the currency: accepted, stored and returned exactly."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import Tenant
from tests.factories import locs, make_receipt, with_lines
from tillroll.kit.db import open_database
from tillroll.kit.migrate import migrate, migration_files

FUEL = {"name": "Euro 95", "quantity": "42.37", "unit": "l", "unit_price": "185.9", "total": 7877}


class TestStoredExactly:
    async def test_fuel_is_returned_as_sent(self, tenant: Tenant) -> None:
        stored = await make_receipt(tenant.client, with_lines("FUEL-1", [FUEL]))
        assert stored["lines"][0]["unit_price"] == "185.9"
        assert stored["lines"][0]["total"] == 7877 and stored["total"] == 7877
        fetched = (await tenant.client.get(f"/v1/receipts/{stored['id']}")).json()
        assert fetched == stored

    @pytest.mark.parametrize(
        ("sent", "returned", "total"),
        [(1500, "1500", 1500), ("1500", "1500", 1500), ("1500.000", "1500", 1500),
         ("185.90", "185.9", 186), ("0.000001", "0.000001", 0), (-25, "-25", -25),
         ("999999999999.999999", "999999999999.999999", 10**12)],
    )  # fmt: skip
    async def test_one_spelling_per_value(
        self, tenant: Tenant, sent: Any, returned: str, total: int
    ) -> None:
        line = {"name": "X", "quantity": "1", "unit_price": sent, "total": total}
        stored = await make_receipt(tenant.client, with_lines(f"P-{returned}", [line]))
        assert stored["lines"][0]["unit_price"] == returned
        listed = await tenant.client.get("/v1/receipts", params={"external_id": f"P-{returned}"})
        assert listed.json()["data"][0]["lines"][0]["unit_price"] == returned


class TestRefused:
    @pytest.mark.parametrize(
        "price",
        [
            "1.8590001",  # 7 decimals of a minor unit
            "1234567890123",  # 13 integer digits
            10**12,
            -(10**12),
            18.59,  # a JSON float: never money
            "1e3",
            "1E+999990",
            "NaN",
            " 185.9",
            "",
        ],
    )
    async def test_out_of_bounds_is_422_naming_the_field(self, tenant: Tenant, price: Any) -> None:
        line = {**FUEL, "unit_price": price}
        response = await tenant.client.post("/v1/receipts", json=with_lines("BAD", [line]))
        assert response.status_code == 422, response.text
        assert locs(response) == ["lines[0].unit_price"]
        listing = await tenant.client.get("/v1/receipts", params={"external_id": "BAD"})
        assert listing.json()["data"] == []

    async def test_a_wrong_total_names_the_exact_product(self, tenant: Tenant) -> None:
        line = {**FUEL, "total": 7876}
        response = await tenant.client.post("/v1/receipts", json=with_lines("BAD", [line]))
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["loc"] == "lines[0].total"
        assert "185.9 × quantity 42.37 = 7876.583 → 7877" in error["message"]


@pytest.fixture
async def blank_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own, on the suite's engine, with no tables yet."""
    if not database_url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'before-0005.db'}"
        return
    name = f"tillroll_m0005_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


LINE = (
    "INSERT INTO receipt_lines (merchant_id, receipt_id, line_no, name, quantity, "
    "quantity_micro, unit, unit_price, discount, vouchers, total) VALUES "
)
PRICES = [1500, -25, 0, 10**15]


class TestMigration:
    async def test_integer_prices_become_their_exact_text(self, blank_url: str) -> None:
        """Lines stored before 0005 (integer unit prices) read back as decimal strings."""
        dialect = "postgresql" if blank_url.startswith("postgres") else "sqlite"
        before = [(v, sql) for v, sql in migration_files(dialect) if v < "0005"]
        rows = [(str(uuid.uuid4()), str(uuid.uuid4()), n, price) for n, price in enumerate(PRICES)]
        if dialect == "sqlite":
            _sqlite_before_0005(blank_url, before, rows)
        else:
            await _postgres_before_0005(blank_url, before, rows)
        db = open_database(blank_url)
        await db.connect()
        try:
            assert "0005_exact_unit_prices" in await migrate(db)
        finally:
            await db.close()
        stored = await _prices(blank_url)
        assert stored == {n: str(price) for n, price in enumerate(PRICES)}


def _sqlite_before_0005(url: str, before: list[tuple[str, str]], rows: list[Any]) -> None:
    raw = sqlite3.connect(url.removeprefix("sqlite:///"))  # foreign keys off: lines alone
    try:
        raw.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT)")
        for version, sql in before:
            raw.executescript(sql)
            raw.execute("INSERT INTO schema_migrations VALUES (?, 'test')", (version,))
        raw.executemany(LINE + "(?, ?, ?, 'X', '1', 1000000, 'item', ?, 0, 0, 0)", rows)
        raw.commit()
    finally:
        raw.close()


async def _postgres_before_0005(url: str, before: list[tuple[str, str]], rows: list[Any]) -> None:
    raw = await asyncpg.connect(url)
    try:
        await raw.execute(
            "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT)"
        )
        for version, sql in before:
            await raw.execute(sql)
            await raw.execute("INSERT INTO schema_migrations VALUES ($1, 'test')", version)
        await raw.execute("SET session_replication_role = replica")  # lines without receipts
        await raw.executemany(
            LINE + "($1::uuid, $2::uuid, $3, 'X', '1', 1000000, 'item', $4, 0, 0, 0)", rows
        )
    finally:
        await raw.close()


async def _prices(url: str) -> dict[int, Any]:
    query = "SELECT line_no, unit_price FROM receipt_lines"
    if url.startswith("sqlite"):
        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return dict(raw.execute(query).fetchall())
        finally:
            raw.close()
    pg = await asyncpg.connect(url)
    try:
        return {r["line_no"]: r["unit_price"] for r in await pg.fetch(query)}
    finally:
        await pg.close()
