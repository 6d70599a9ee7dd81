"""Response headers every answer carries, and CORS (off unless origins are configured).

- `X-Content-Type-Options: nosniff` on every response;
- `Cache-Control: no-store` on every response to a request with credentials (it is the
  caller's data, and new keys and session tokens are secrets);
- `Referrer-Policy: no-referrer` on every HTML page (a page may carry a token in its URL).

`tillroll serve` runs uvicorn without its `Server` header. docs/security.md has the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from tillroll.config import Settings

CORS_METHODS = ("GET", "POST", "PATCH", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")
_NO_REFERRER = (b"referrer-policy", b"no-referrer")
_SETS = {  # (credentials, html) → the headers to set, and their names
    (c, h): (
        ours := (_NOSNIFF, *([_NO_STORE] if c else []), *([_NO_REFERRER] if h else [])),
        frozenset(n for n, _ in ours),
    )
    for c in (False, True)
    for h in (False, True)
}


def add_security_headers(headers: list[tuple[bytes, bytes]], credentials: bool) -> None:
    """Set the headers above in a response's raw header list, in place (`credentials`: the
    request carried an `Authorization` header). `kit.middleware.Edge` calls it per answer."""
    html = any(n == b"content-type" and v.startswith(b"text/html") for n, v in headers)
    ours, names = _SETS[credentials, html]
    if any(n in names for n, _ in headers):  # the answer set one itself: ours replaces it
        headers[:] = [h for h in headers if h[0] not in names]
    headers.extend(ours)


def cors(settings: Settings) -> Callable[[ASGIApp], ASGIApp] | None:
    """CORS for the configured origins (wrapping an app), or None when none are."""
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if not origins:
        return None
    return partial(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_HEADERS,
        expose_headers=("Retry-After",),
        max_age=600,
    )
