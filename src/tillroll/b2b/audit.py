"""The audit trail: who changed what, when — written in the change's own transaction.

Every b2b change goes through `record`, the one place its trail entry (and its event) is
written, so a change is never committed without its record.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from tillroll.b2b.events import EVENTS
from tillroll.b2b.repository import B2BRepository
from tillroll.b2b.schemas import AuditEntry, AuditPage
from tillroll.b2b.tables import AUDIT
from tillroll.events.service import emit
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.kit.pagination import decode_cursor, encode_cursor

_READ = AUDIT.reader(AUDIT.names[1:])


def who(principal: Any) -> str:
    """The caller as the trail names it: `key <id>` for an API key."""
    key_id = getattr(principal, "key_id", None)
    if key_id is not None:
        return f"key {key_id}"
    customer_id = getattr(principal, "customer_id", None)
    return f"session of customer {customer_id}" if customer_id else "system"


async def record(
    conn: Connection,
    merchant_id: uuid.UUID,
    actor: str,
    action: str,
    obj: tuple[str, uuid.UUID],
    changes: dict[str, Any],
) -> None:
    """Write one trail entry, `action` (`payment.recorded` …) on `obj` (type, id), and emit
    it as the event of the same name."""
    entry = AuditEntry(
        id=uuid7(),
        at=utc_now(),
        actor=actor,
        action=action,
        object_type=obj[0],
        object_id=obj[1],
        changes=msgspec.to_builtins(changes),
    )
    await B2BRepository.of(conn).audit(merchant_id, msgspec.structs.asdict(entry))
    await emit(conn, merchant_id, EVENTS[action], entry)


async def trail(
    conn: Connection,
    merchant_id: uuid.UUID,
    object_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> AuditPage:
    """The entries (of one object, or all), oldest first."""
    after = decode_cursor(cursor, (uuid.UUID,))[0] if cursor else None
    rows = await B2BRepository.of(conn).audit_page(merchant_id, object_id, after, limit + 1)
    entries = [AuditEntry(**_READ(r)) for r in rows]
    more = len(entries) > limit
    entries = entries[:limit]
    return AuditPage(data=entries, next_cursor=encode_cursor(str(entries[-1].id)) if more else None)
