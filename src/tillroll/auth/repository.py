from __future__ import annotations

import builtins
import uuid
from datetime import datetime

from tillroll.auth.principals import Scope
from tillroll.auth.schemas import ApiKey
from tillroll.auth.tables import API_KEYS
from tillroll.kit.db import Row
from tillroll.kit.repository import Repository

_COLUMNS = API_KEYS.select(
    ("id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
)


def _key(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        scopes=[Scope(s) for s in row["scopes"].split(",")],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


class ApiKeyRepository(Repository):
    async def insert(
        self,
        merchant_id: uuid.UUID,
        *,
        key_id: uuid.UUID,
        name: str,
        prefix: str,
        key_hash: str,
        scopes: list[Scope],
        now: datetime,
    ) -> ApiKey:
        row = await self.conn.fetchone(
            "INSERT INTO api_keys (merchant_id, id, name, prefix, key_hash, scopes, created_at) "
            f"VALUES (:m, :id, :name, :prefix, :hash, :scopes, :now) RETURNING {_COLUMNS}",
            {
                "m": merchant_id,
                "id": key_id,
                "name": name,
                "prefix": prefix,
                "hash": key_hash,
                "scopes": ",".join(sorted(set(scopes))),
                "now": now,
            },
        )
        assert row is not None
        return _key(row)

    async def list(self, merchant_id: uuid.UUID) -> list[ApiKey]:
        rows = await self.conn.fetchall(
            f"SELECT {_COLUMNS} FROM api_keys WHERE merchant_id = :m ORDER BY created_at, id",
            {"m": merchant_id},
        )
        return [_key(r) for r in rows]

    async def page(
        self, merchant_id: uuid.UUID, after: uuid.UUID | None, limit: int
    ) -> builtins.list[ApiKey]:
        """Keys in id order (time-ordered UUIDs), after the cursor id."""
        rows = await self.conn.fetchall(
            f"SELECT {_COLUMNS} FROM api_keys WHERE merchant_id = :m AND id > :after "
            "ORDER BY id LIMIT :limit",
            {"m": merchant_id, "after": after or uuid.UUID(int=0), "limit": limit},
        )
        return [_key(r) for r in rows]

    async def revoke(
        self, merchant_id: uuid.UUID, key_id: uuid.UUID, now: datetime
    ) -> ApiKey | None:
        row = await self.conn.fetchone(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, :now) "
            f"WHERE merchant_id = :m AND id = :id RETURNING {_COLUMNS}",
            {"m": merchant_id, "id": key_id, "now": now},
        )
        return None if row is None else _key(row)

    async def by_hash(self, key_hash: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT merchant_id, id, scopes, last_used_at, revoked_at FROM api_keys "
            "WHERE key_hash = :h",
            {"h": key_hash},
        )

    async def touch(self, merchant_id: uuid.UUID, key_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE api_keys SET last_used_at = :now WHERE merchant_id = :m AND id = :id",
            {"m": merchant_id, "id": key_id, "now": now},
        )
