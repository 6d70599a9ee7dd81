"""The app's one middleware layer (`Edge`): security headers, request ids, the access log,
the failed-authentication limit and the last guard against 500s.

One pure-ASGI layer instead of a stack of them: each layer costs a coroutine and a `send`
wrapper per request, and on PostgreSQL that CPU time lands inside the merchant's counter
lock (docs/performance.md). What each part does is unchanged.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from typing import Protocol

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tillroll.kit.http import internal_error, log, problem_response
from tillroll.kit.security import add_security_headers

access_log = logging.getLogger("tillroll.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_new_id = random.SystemRandom().getrandbits  # seeded by the OS, unlike `random` after fork


class Limiter(Protocol):
    """What `Edge` asks the failed-authentication limit (auth/ratelimit.py)."""

    def address(self, scope: Scope) -> str | None:
        """The client address to count, or None when the limit is off."""
        ...

    def blocked_until(self, address: str) -> float | None:
        """When `address` is free again, if it is blocked now (no I/O)."""
        ...

    async def failed(self, address: str) -> float | None:
        """Count a 401; when that goes over the limit, when the address is free again."""
        ...

    def refusal(self, path: str, until: float) -> Response:
        """The 429 answer."""
        ...


class Edge:
    """Outermost middleware, for every HTTP request:

    - security headers (kit/security.py) on every answer, errors and refusals included;
    - an `X-Request-Id` (the client's if it is a plain token, else a new one) and one access
      log line (method, path without its query, status, duration, request id: never a
      credential, a query value or a body);
    - the failed-authentication limit: a 401 that goes over it, and every request after it
      from that address, is a 429 (`limiter`);
    - a last guard: an exception nothing else caught is a 500 (one traceback logged, the
      connection closed).

    `cors` wraps the app (and the 429s, so a browser can read them) when origins are set.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: Limiter | None = None,
        cors: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.app = cors(app) if cors else app
        self.limiter, self.cors = limiter, cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        credentials, given = False, b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                credentials = True
            elif name == b"x-request-id":
                given = value
        text = given.decode("latin-1")
        request_id = text if _REQUEST_ID.fullmatch(text) else f"{_new_id(128):032x}"
        limiter = self.limiter
        address = limiter.address(scope) if limiter else None
        status = 0

        async def send_on(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                if message["status"] == 401 and address is not None and limiter is not None:
                    until = await limiter.failed(address)
                    if until is not None:
                        await self._refuse(scope, receive, send_on, until)
                        status = -429  # the 401's own messages are dropped from here on
                        return
                if status < 0:
                    return
                status = message["status"]
                headers = message.setdefault("headers", [])
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers)
                add_security_headers(headers, credentials)
                headers.append((b"x-request-id", request_id.encode()))
            elif status < 0:
                return
            await send(message)

        try:
            until = limiter.blocked_until(address) if limiter and address else None
            if until is not None:
                await self._refuse(scope, receive, send_on, until)
            else:
                await self.app(scope, receive, send_on)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if status == 0:  # nothing sent yet: answer it; else the client sees a cut body
                await internal_error(problem_response)(scope, receive, send_on)
        finally:
            access_log.info(
                "%s %s %d %.1fms id=%s",
                scope["method"],
                scope["path"],
                abs(status),
                (time.perf_counter() - started) * 1000,
                request_id,
            )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, until: float) -> None:
        assert self.limiter is not None
        answer: ASGIApp = self.limiter.refusal(scope.get("path", ""), until)
        await (self.cors(answer) if self.cors else answer)(scope, receive, send)
