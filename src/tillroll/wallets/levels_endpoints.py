"""Loyalty programme endpoints: thin; the rules are in `levels`."""

from __future__ import annotations

import uuid

from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import Page
from tillroll.wallets.levels import levels
from tillroll.wallets.levels_schemas import Programme, ProgrammeCreate, ProgrammeUpdate

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


@router.patch("/{programme_id}", access=Access.write, errors=(404, 409, 422))
async def update(call: Call, programme_id: uuid.UUID, body: ProgrammeUpdate) -> Programme:
    """Change the name, description, levels or review period; customers keep their levels
    until the next review, which judges by the new levels."""
    return await levels.update(call.conn, call.principal.merchant_id, programme_id, body)


@router.delete("/{programme_id}", access=Access.write, status=204, errors=(404,))
async def delete(call: Call, programme_id: uuid.UUID) -> None:
    """Delete the programme and every customer's standing in it."""
    await levels.delete(call.conn, call.principal.merchant_id, programme_id)
