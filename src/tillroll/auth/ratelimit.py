"""Failed authentication is limited per client address: past the limit within one minute the
address gets 429 with `Retry-After` until the minute ends (docs/security.md).

Failures are counted in the `auth_failures` table, so every server process sharing the
database counts together. Only a failure writes; a successful request pays one dictionary
lookup (the addresses this process has seen go over the limit).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from starlette.responses import Response
from starlette.types import Scope

from tillroll.config import Settings
from tillroll.errors import TooManyRequests
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.http import ErrorRenderer, log, problem_response

WINDOW = 60
"""Seconds of one counting window."""


async def record_failure(conn: Connection, address: str, minute: int) -> int:
    """Count one failure of `address` in window `minute`; the window's count so far."""
    failures = await conn.fetchval(
        "INSERT INTO auth_failures (address, minute, failures) VALUES (:a, :m, 1) "
        "ON CONFLICT (address) DO UPDATE SET failures = CASE WHEN auth_failures.minute = "
        "excluded.minute THEN auth_failures.failures + 1 ELSE 1 END, minute = excluded.minute "
        "RETURNING failures",
        {"a": address, "m": minute},
    )
    if failures == 1:  # a new window: forget the addresses whose windows are over
        await conn.execute("DELETE FROM auth_failures WHERE minute < :m", {"m": minute})
    return int(failures)


def client_address(scope: Scope, trusted: frozenset[str]) -> str:
    """The connection's address, or, behind a trusted proxy, the last hop of
    `X-Forwarded-For` that is not one of the trusted proxies."""
    client = scope.get("client")
    address = str(client[0]) if client else "unknown"
    if address not in trusted:
        return address
    forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
    hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
    return next((h[:64] for h in reversed(hops) if h not in trusted), address)


class FailureLimit:
    """The limit as `kit.middleware.Edge` asks it (its `Limiter`): a 401 that goes over the
    limit, and every request after it from that address (in this process), is a 429."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        renderers: Sequence[tuple[str, ErrorRenderer]] = (),
    ) -> None:
        self.db, self.limit = db, settings.auth_failures_per_minute
        self.trusted = frozenset(p.strip() for p in settings.trusted_proxies.split(",") if p)
        self.renderers = renderers
        self.blocked: dict[str, float] = {}

    def address(self, scope: Scope) -> str | None:
        return client_address(scope, self.trusted) if self.limit > 0 else None

    def blocked_until(self, address: str) -> float | None:
        if not self.blocked:  # the common case: one dictionary test
            return None
        until = self.blocked.get(address, 0.0)
        return until if until > time.time() else None

    async def failed(self, address: str) -> float | None:
        """Count the failure; when it is over the limit, the time the address is free again."""
        minute = int(time.time() // WINDOW)
        try:
            failures = await run(
                self.db, lambda conn: record_failure(conn, address, minute), write=True
            )
        except Exception:  # the 401 stands; an unavailable database must not make it a 500
            log.warning("could not count a failed authentication", exc_info=True)
            return None
        if failures <= self.limit:
            return None
        until = float((minute + 1) * WINDOW)
        now = time.time()
        self.blocked = {a: t for a, t in self.blocked.items() if t > now}
        self.blocked[address] = until
        return until

    def refusal(self, path: str, until: float) -> Response:
        wait = max(1, math.ceil(until - time.time()))
        error = TooManyRequests(
            f"Too many failed authentications from this address; retry in {wait} s.", wait
        )
        render = next((r for prefix, r in self.renderers if path.startswith(prefix)), None)
        return (render or problem_response)(error)
