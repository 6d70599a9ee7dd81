"""The SQL of campaigns and of what receipts earned by them, every statement merchant-scoped."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tillroll.kit.crud import TableRepository
from tillroll.kit.db import Row
from tillroll.kit.repository import in_list
from tillroll.wallets.campaign_schemas import Campaign
from tillroll.wallets.tables import CAMPAIGNS, EARNINGS

_EARNING = EARNINGS.reader(EARNINGS.names)


class CampaignRepository(TableRepository[Campaign]):
    table = CAMPAIGNS
    schema = Campaign

    async def live(self, merchant_id: uuid.UUID) -> list[Campaign]:
        """The campaigns not archived (their windows are checked per receipt)."""
        rows = await self.conn.fetchall(
            f"SELECT {self.columns()} FROM campaigns "
            "WHERE merchant_id = :m AND archived_at IS NULL ORDER BY id",
            {"m": merchant_id},
        )
        return [self.row_to_schema(r) for r in rows]

    # --- earnings ---------------------------------------------------------------------

    async def insert_earnings(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await EARNINGS.insert(self.conn, rows)

    async def earnings_of_lines(
        self, merchant_id: uuid.UUID, lines: Sequence[tuple[uuid.UUID, int]]
    ) -> list[dict[str, Any]]:
        """Every earning (earn and clawbacks) of the original lines `(receipt_id, line_no)`."""
        if not lines:
            return []
        marks, params = in_list("r", sorted({r for r, _ in lines}))
        rows = await self.conn.fetchall(
            f"SELECT {EARNINGS.select()} FROM wallet_earnings "
            f"WHERE merchant_id = :m AND of_receipt_id IN {marks}",
            {"m": merchant_id, **params},
        )
        wanted = set(lines)
        found = [_EARNING(r) for r in rows]
        return [e for e in found if (e["of_receipt_id"], e["of_line_no"]) in wanted]

    async def any_receipt_entries(self, merchant_id: uuid.UUID) -> bool:
        """Whether any receipt of the merchant wrote a wallet entry (one index probe)."""
        found = await self.conn.fetchval(
            "SELECT 1 FROM wallet_entries WHERE merchant_id = :m AND receipt_id IS NOT NULL "
            "LIMIT 1",
            {"m": merchant_id},
        )
        return found is not None

    async def receipt_entries(
        self, merchant_id: uuid.UUID, receipt_ids: Sequence[uuid.UUID]
    ) -> list[Row]:
        """The entries the receipts wrote (earns and clawbacks with their campaign, voucher
        restores of a return, whose campaign is null), with their wallet: one query."""
        if not receipt_ids:
            return []
        # one parameter for the whole list (an export asks for 5,000 at a time: an IN of
        # 5,000 placeholders costs SQLite more to parse than to run)
        if self.conn.dialect == "sqlite":
            among = "IN (SELECT value FROM json_each(:ids))"
            ids: Any = json.dumps([str(r) for r in receipt_ids])
        else:
            among, ids = "= ANY(:ids)", list(receipt_ids)
        return await self.conn.fetchall(
            "SELECT e.receipt_id, e.wallet_id, e.campaign_id, e.amount, e.balance_after, e.seq, "
            "e.reason, w.kind, w.title AS wallet_title, c.title AS campaign_title "
            "FROM wallet_entries e "
            "JOIN wallets w ON w.merchant_id = e.merchant_id AND w.id = e.wallet_id "
            "LEFT JOIN campaigns c ON c.merchant_id = e.merchant_id AND c.id = e.campaign_id "
            f"WHERE e.merchant_id = :m AND e.receipt_id {among} "
            "AND e.reason IN ('purchase_earn', 'refund_clawback', 'redemption_cancel') "
            "ORDER BY e.receipt_id, e.wallet_id, e.seq",
            {"m": merchant_id, "ids": ids},
        )

    async def points_balances(
        self, merchant_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], t: datetime
    ) -> dict[uuid.UUID, int]:
        """customer → points balance at `t` (live lots − debt; a lot expired at `t` never
        counts, swept or not): one query."""
        if not customer_ids:
            return {}
        marks, params = in_list("c", customer_ids)
        rows = await self.conn.fetchall(
            "SELECT w.customer_id, w.debt, (SELECT COALESCE(SUM(l.remaining), 0) "
            "FROM wallet_lots l WHERE l.merchant_id = w.merchant_id AND l.wallet_id = w.id "
            "AND l.remaining > 0 "
            "AND (l.expires_at IS NULL OR l.expires_at > :t)) AS live FROM wallets w "
            f"WHERE w.merchant_id = :m AND w.kind = 'points' AND w.customer_id IN {marks}",
            {"m": merchant_id, "t": t, **params},
        )
        return {r["customer_id"]: int(r["live"]) - r["debt"] for r in rows}
