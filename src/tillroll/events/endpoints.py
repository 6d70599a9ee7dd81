from __future__ import annotations

import uuid

from tillroll.events import service
from tillroll.events.schemas import Event, EventQuery
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import Page

router = Router("/v1/events", tag="events")


@router.get("", access=Access.read, errors=(422,))
async def list_events(call: Call, query: EventQuery) -> Page[Event]:
    """The merchant's events, oldest first, with keyset pagination; filter by type and time."""
    return await service.page(call.conn, call.principal.merchant_id, query)


@router.get("/{event_id}", access=Access.read, errors=(404,))
async def get_event(call: Call, event_id: uuid.UUID) -> Event:
    """Get one event."""
    return await service.get(call.conn, call.principal.merchant_id, event_id)
