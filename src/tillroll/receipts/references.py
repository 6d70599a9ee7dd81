"""Receipts read back with what they refer to in other domains: the receipts tables hold
only ids, and the branch and customer summaries are asked of those domains' services, one
batched lookup per referenced domain per page (ingest resolves references the same way)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tillroll.branches.service import branch as branch_service
from tillroll.customers.service import customer as customer_service
from tillroll.kit.db import Connection
from tillroll.receipts.repository import ReceiptFilter, ReceiptRepository, StoredReceipt
from tillroll.receipts.schemas import Receipt


async def with_references(
    conn: Connection, merchant_id: uuid.UUID, stored: list[StoredReceipt]
) -> list[Receipt]:
    """The receipts, their branch and customer summaries filled in."""
    branch_ids = sorted({s.branch_id for s in stored if s.branch_id is not None})
    customer_ids = sorted({s.customer_id for s in stored if s.customer_id is not None})
    branches = await branch_service.summaries(conn, merchant_id, "id", branch_ids)
    customers = await customer_service.summaries(conn, merchant_id, "id", customer_ids)
    found_branches = {b.id: b for b in branches}
    found_customers = {c.id: c for c in customers}
    for s in stored:
        if s.branch_id is not None:
            s.receipt.branch = found_branches.get(s.branch_id)
        if s.customer_id is not None:
            s.receipt.customer = found_customers.get(s.customer_id)
    return [s.receipt for s in stored]


async def get_many(
    conn: Connection, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Receipt]:
    """Receipts by id, in the order of `ids` (missing ones left out)."""
    stored = await ReceiptRepository.of(conn).get_many(merchant_id, ids)
    return await with_references(conn, merchant_id, stored)


async def page(
    conn: Connection, merchant_id: uuid.UUID, where: ReceiptFilter, limit: int
) -> list[Receipt]:
    """Newest first (continue with `where.before`)."""
    stored = await ReceiptRepository.of(conn).page(merchant_id, where, limit)
    return await with_references(conn, merchant_id, stored)
