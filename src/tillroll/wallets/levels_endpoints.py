"""Loyalty programme endpoints: thin; the rules are in `levels`."""

from __future__ import annotations

import uuid

from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import Page
from tillroll.wallets.levels import levels
from tillroll.wallets.levels_schemas import Programme, ProgrammeCreate

router = Router("/v1/loyalty-levels", tag="loyalty")


@router.post("", access=Access.write, status=201, idempotent=True, errors=(409, 422))
async def create(call: Call, body: ProgrammeCreate) -> Programme:
    """Set up the merchant's loyalty programme: its levels and review period (one per merchant)."""
    return await levels.create(call.conn, call.principal.merchant_id, body)


@router.get("", access=Access.read)
async def list_programmes(call: Call) -> Page[Programme]:
    """The merchant's loyalty programme (a page of at most one)."""
    return Page(data=await levels.list(call.conn, call.principal.merchant_id), next_cursor=None)


@router.get("/{programme_id}", access=Access.read, errors=(404,))
async def get(call: Call, programme_id: uuid.UUID) -> Programme:
    """A loyalty programme, its levels and its review dates."""
    return await levels.get(call.conn, call.principal.merchant_id, programme_id)
