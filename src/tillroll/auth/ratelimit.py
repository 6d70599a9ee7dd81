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

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    """ASGI middleware turning the 401 that goes over the limit (and every request after it
    from that address, in this process) into a 429."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Database,
        settings: Settings,
        renderers: Sequence[tuple[str, ErrorRenderer]] = (),
    ) -> None:
        self.app, self.db, self.limit = app, db, settings.auth_failures_per_minute
        self.trusted = frozenset(p.strip() for p in settings.trusted_proxies.split(",") if p)
        self.renderers = renderers
        self.blocked: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        address = client_address(scope, self.trusted)
        until = self.blocked.get(address, 0.0)
        if until > time.time():
            await self._refuse(scope, receive, send, until)
            return
        replaced = False

        async def watch(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 401:
                over = await self._failed(address)
                if over is not None:
                    replaced = True
                    await self._refuse(scope, receive, send, over)
            if not replaced:
                await send(message)

        await self.app(scope, receive, watch)

    async def _failed(self, address: str) -> float | None:
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

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, until: float) -> None:
        wait = max(1, math.ceil(until - time.time()))
        error = TooManyRequests(
            f"Too many failed authentications from this address; retry in {wait} s.", wait
        )
        path = scope.get("path", "")
        render = next((r for prefix, r in self.renderers if path.startswith(prefix)), None)
        await (render or problem_response)(error)(scope, receive, send)
