from __future__ import annotations

import uuid

from tillroll.branches.schemas import Branch
from tillroll.kit.address import Address
from tillroll.kit.crud import TableRepository


class BranchRepository(TableRepository[Branch]):
    table = "branches"
    schema = Branch
    json_columns = {"address": Address}
    counter = "branch"

    async def has_receipts(self, merchant_id: uuid.UUID, branch_id: uuid.UUID) -> bool:
        row = await self.conn.fetchone(
            "SELECT 1 FROM receipts WHERE merchant_id = :m AND branch_id = :b LIMIT 1",
            {"m": merchant_id, "b": branch_id},
        )
        return row is not None
