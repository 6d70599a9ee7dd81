"""`Idempotency-Key`: the same key and body replay the stored response; another body is 422.

The key row is written in the same transaction as the work it records, so a response that
was committed is replayed exactly, even if the first answer never reached the client. Only
successful (2xx) responses are kept: a failed request changed nothing and may be corrected
and retried under the same key (Stripe's policy). Keys are scoped to the merchant.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from starlette.responses import Response

from tillroll.config import Settings
from tillroll.errors import InvalidInput
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.group import insert_before_commit

REPLAY_HEADER = "idempotent-replayed"


async def lookup(
    conn: Connection, merchant_id: uuid.UUID, key: str, fingerprint: str, settings: Settings
) -> Response | None:
    if not 1 <= len(key) <= 255:
        raise InvalidInput.field("Idempotency-Key", "must be 1 to 255 characters")
    row = await conn.fetchone(
        "SELECT request_hash, status, body, created_at FROM idempotency_keys "
        "WHERE merchant_id = :m AND key = :k",
        {"m": merchant_id, "k": key},
    )
    if row is None:
        return None
    if row["created_at"] < utc_now() - timedelta(hours=settings.idempotency_retention_hours):
        await conn.execute(
            "DELETE FROM idempotency_keys WHERE merchant_id = :m AND key = :k",
            {"m": merchant_id, "k": key},
        )
        return None
    if row["request_hash"] != fingerprint:
        raise InvalidInput.field(
            "Idempotency-Key", "was already used with a different request body"
        )
    return Response(
        bytes(row["body"]),
        row["status"],
        {REPLAY_HEADER: "true"},
        media_type="application/json",
    )


async def store(
    conn: Connection, merchant_id: uuid.UUID, key: str, fingerprint: str, response: Response
) -> None:
    """In a group (`kit.group`), the group's keys go in with one statement before COMMIT:
    no work of the group reads another's key (a second use of a key in a group is run
    again after the COMMIT, `kit.http._claim`)."""
    row = (merchant_id, key, fingerprint, response.status_code, bytes(response.body), utc_now())
    await insert_before_commit(conn, "idempotency_keys", _COLUMNS, [row])


_COLUMNS = ("merchant_id", "key", "request_hash", "status", "body", "created_at")


async def sweep(conn: Connection, settings: Settings) -> None:
    """Forget the keys older than the retention period (run hourly by the server)."""
    cutoff = utc_now() - timedelta(hours=settings.idempotency_retention_hours)
    await conn.execute("DELETE FROM idempotency_keys WHERE created_at < :c", {"c": cutoff})
