"""The loyalty programme's SQL (its two tables, and the points entries it counts)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tillroll.kit.db import Row
from tillroll.kit.repository import Repository, in_list, to_json
from tillroll.wallets.tables import MEMBERS, PROGRAMMES

EARNING = ("manual", "purchase_earn", "campaign", "signup", "referral")
"""Reasons whose credits count as points earned; `refund_clawback` takes them back."""
_EARNED = (
    "((e.amount > 0 AND e.reason IN ('" + "', '".join(EARNING) + "')) "
    "OR e.reason = 'refund_clawback')"
)


class LevelRepository(Repository):
    async def insert_programme(self, row: Mapping[str, Any]) -> None:
        await PROGRAMMES.insert(self.conn, [{**row, "levels": to_json(row["levels"])}])

    async def programme(
        self, merchant_id: uuid.UUID, programme_id: uuid.UUID | None = None, *, lock: bool = False
    ) -> Row | None:
        """The merchant's programme (at most one), or None if it is not `programme_id`."""
        only = "" if programme_id is None else " AND id = :p"
        return await self.conn.fetchone(
            f"SELECT {PROGRAMMES.select()} FROM loyalty_programmes WHERE merchant_id = :m{only}"
            + (self.conn.for_update() if lock else ""),
            {"m": merchant_id, **({} if programme_id is None else {"p": programme_id})},
        )

    async def update_programme(self, row: Mapping[str, Any]) -> None:
        names = ("name", "description", "review_months", "starts_at", "levels", "last_review",
                 "earlier_review", "updated_at")  # fmt: skip
        sets = ", ".join(f"{n} = :{n}" for n in names)
        await self.conn.execute(
            f"UPDATE loyalty_programmes SET {sets} WHERE merchant_id = :merchant_id AND id = :id",
            {**{n: row[n] for n in names}, "levels": to_json(row["levels"]),
             "merchant_id": row["merchant_id"], "id": row["id"]},
        )  # fmt: skip

    async def delete_programme(self, merchant_id: uuid.UUID, programme_id: uuid.UUID) -> int:
        """Delete the programme and its customers' standings; how many standings."""
        params = {"m": merchant_id, "p": programme_id}
        count: int = await self.conn.fetchval(
            "SELECT COUNT(*) FROM loyalty_members WHERE merchant_id = :m AND programme_id = :p",
            params,
        )
        await self.conn.execute_together([
            ("DELETE FROM loyalty_members WHERE merchant_id = :m AND programme_id = :p", params),
            ("DELETE FROM loyalty_programmes WHERE merchant_id = :m AND id = :p", params),
        ])  # fmt: skip
        return int(count)

    async def holders_above(
        self, merchant_id: uuid.UUID, programme_id: uuid.UUID, level: int
    ) -> dict[int, int]:
        """Level → how many customers hold it, for the levels above `level`."""
        rows = await self.conn.fetchall(
            "SELECT level, COUNT(*) AS n FROM loyalty_members WHERE merchant_id = :m "
            "AND programme_id = :p AND level > :l GROUP BY level ORDER BY level",
            {"m": merchant_id, "p": programme_id, "l": level},
        )
        return {r["level"]: int(r["n"]) for r in rows}

    async def reviewed(self, merchant_id: uuid.UUID, programme_id: uuid.UUID, k: int) -> None:
        await self.conn.execute(
            "UPDATE loyalty_programmes SET last_review = :k WHERE merchant_id = :m AND id = :p",
            {"k": k, "m": merchant_id, "p": programme_id},
        )

    async def members(
        self, merchant_id: uuid.UUID, programme_id: uuid.UUID,
        customer_ids: Sequence[uuid.UUID] | None,
    ) -> list[Row]:  # fmt: skip
        """Customers a review moved (all, or those of `customer_ids`)."""
        params: dict[str, Any] = {"m": merchant_id, "p": programme_id}
        only = ""
        if customer_ids is not None:
            marks, more = in_list("c", customer_ids)
            only, params = f" AND customer_id IN {marks}", params | more
        return await self.conn.fetchall(
            f"SELECT {MEMBERS.select()} FROM loyalty_members "
            f"WHERE merchant_id = :m AND programme_id = :p{only}",
            params,
        )

    async def save_member(self, row: Mapping[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO loyalty_members (merchant_id, programme_id, customer_id, level, points, "
            "reached_at) VALUES (:merchant_id, :programme_id, :customer_id, :level, :points, "
            ":reached_at) ON CONFLICT (merchant_id, programme_id, customer_id) DO UPDATE SET "
            "level = excluded.level, points = excluded.points, reached_at = excluded.reached_at",
            row,
        )

    async def earned(
        self, merchant_id: uuid.UUID, since: datetime, until: datetime,
        customer_ids: Sequence[uuid.UUID] | None,
    ) -> dict[uuid.UUID, int]:  # fmt: skip
        """Customer → points earned on [since, until) in their points wallet (those with
        any entry that counts; all customers, or those of `customer_ids`)."""
        params: dict[str, Any] = {"m": merchant_id, "a": since, "b": until}
        only = ""
        if customer_ids is not None:
            marks, more = in_list("c", customer_ids)
            only, params = f" AND w.customer_id IN {marks}", params | more
        rows = await self.conn.fetchall(
            "SELECT w.customer_id AS customer_id, CAST(SUM(e.amount) AS BIGINT) AS points "
            "FROM wallet_entries e JOIN wallets w ON w.merchant_id = e.merchant_id "
            "AND w.id = e.wallet_id WHERE e.merchant_id = :m AND w.kind = 'points' "
            f"AND e.created_at >= :a AND e.created_at < :b AND {_EARNED}{only} "
            "GROUP BY w.customer_id",
            params,
        )
        return {r["customer_id"]: max(0, r["points"]) for r in rows}
