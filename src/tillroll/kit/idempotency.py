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
    await conn.execute(
        "INSERT INTO idempotency_keys (merchant_id, key, request_hash, status, body, created_at) "
        "VALUES (:m, :k, :h, :s, :b, :t)",
        {
            "m": merchant_id,
            "k": key,
            "h": fingerprint,
            "s": response.status_code,
            "b": bytes(response.body),
            "t": utc_now(),
        },
    )


async def sweep(conn: Connection, settings: Settings) -> None:
    """Forget the keys older than the retention period (run hourly by the server)."""
    cutoff = utc_now() - timedelta(hours=settings.idempotency_retention_hours)
    await conn.execute("DELETE FROM idempotency_keys WHERE created_at < :c", {"c": cutoff})
