from __future__ import annotations

import uuid

from tillroll.branches.schemas import Branch, BranchCreate, BranchUpdate
from tillroll.branches.service import branch as branch_service
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import ListQuery, Page

router = Router("/v1/branches", tag="branches")


@router.post("", access=Access.write, status=201, idempotent=True, errors=(409, 422))
async def create(call: Call, body: BranchCreate) -> Branch:
    """Create a branch (a store)."""
    return await branch_service.create(call.conn, call.principal.merchant_id, body)


@router.get("", access=Access.read)
async def list_branches(call: Call, query: ListQuery) -> Page[Branch]:
    """List branches, oldest first."""
    return await branch_service.list(
        call.conn, call.principal.merchant_id, query.cursor, query.limit
    )


@router.get("/{branch_id}", access=Access.read, errors=(404,))
async def get(call: Call, branch_id: uuid.UUID) -> Branch:
    """Get one branch."""
    return await branch_service.get(call.conn, call.principal.merchant_id, branch_id)


@router.patch("/{branch_id}", access=Access.write, errors=(404, 409, 422))
async def update(call: Call, branch_id: uuid.UUID, body: BranchUpdate) -> Branch:
    """Change a branch."""
    return await branch_service.update(call.conn, call.principal.merchant_id, branch_id, body)


@router.delete("/{branch_id}", access=Access.admin, errors=(404, 409))
async def delete(call: Call, branch_id: uuid.UUID) -> None:
    """Delete a branch that has no receipts."""
    await branch_service.delete(call.conn, call.principal.merchant_id, branch_id)
