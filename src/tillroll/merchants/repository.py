from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tillroll.kit.db import Row
from tillroll.kit.ids import uuid7
from tillroll.kit.repository import Repository, from_json, to_json
from tillroll.merchants.schemas import Merchant, MerchantSettings
from tillroll.merchants.tables import MERCHANTS

_COLUMNS = MERCHANTS.select(("id", "number", "name", "settings", "created_at", "updated_at"))


def _merchant(row: Row) -> Merchant:
    return Merchant(
        id=row["id"],
        number=row["number"],
        name=row["name"],
        settings=from_json(row["settings"], MerchantSettings),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class MerchantRepository(Repository):
    async def get(self, merchant_id: uuid.UUID) -> Merchant | None:
        row = await self.conn.fetchone(
            f"SELECT {_COLUMNS} FROM merchants WHERE id = :id", {"id": merchant_id}
        )
        return None if row is None else _merchant(row)

    async def get_by_number(self, number: int) -> Merchant | None:
        row = await self.conn.fetchone(
            f"SELECT {_COLUMNS} FROM merchants WHERE number = :n", {"n": number}
        )
        return None if row is None else _merchant(row)

    async def list(self) -> list[Merchant]:
        rows = await self.conn.fetchall(f"SELECT {_COLUMNS} FROM merchants ORDER BY number")
        return [_merchant(r) for r in rows]

    async def session_secret(self, merchant_id: uuid.UUID) -> str | None:
        value: Any = await self.conn.fetchval(
            "SELECT session_secret FROM merchants WHERE id = :id", {"id": merchant_id}
        )
        return None if value is None else str(value)

    async def insert(
        self, *, name: str, settings: MerchantSettings, session_secret: str, now: datetime
    ) -> Merchant:
        number = await self.conn.fetchval("SELECT COALESCE(MAX(number), 0) + 1 FROM merchants")
        row = await self.conn.fetchone(
            "INSERT INTO merchants (id, number, name, settings, session_secret, created_at, "
            "updated_at) VALUES (:id, :number, :name, :settings, :secret, :now, :now) "
            f"RETURNING {_COLUMNS}",
            {
                "id": uuid7(),
                "number": number,
                "name": name,
                "settings": to_json(settings),
                "secret": session_secret,
                "now": now,
            },
        )
        assert row is not None
        await self.conn.execute(
            "INSERT INTO counters (merchant_id, name, value) VALUES (:m, 'receipt', 0)",
            {"m": row["id"]},
        )
        return _merchant(row)

    async def update(
        self, merchant_id: uuid.UUID, *, name: str, settings: MerchantSettings, now: datetime
    ) -> Merchant:
        row = await self.conn.fetchone(
            "UPDATE merchants SET name = :name, settings = :settings, updated_at = :now "
            f"WHERE id = :id RETURNING {_COLUMNS}",
            {"id": merchant_id, "name": name, "settings": to_json(settings), "now": now},
        )
        assert row is not None
        return _merchant(row)
