"""The SSRF guard: a webhook URL must be http(s) and resolve only to public addresses
(no private, loopback, link-local, shared or reserved ones), checked when the endpoint is
saved and again before each delivery, unless the server runs with TILLROLL_DEV_MODE=1."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(Exception):
    """Why a URL may not be delivered to."""


async def check_url(url: str, *, dev_mode: bool) -> None:
    """Raise `UnsafeUrl` unless `url` may be delivered to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise UnsafeUrl("must not carry credentials")
    if dev_mode:
        return
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, port or 443, type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"host {parts.hostname!r} does not resolve") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global or ip.is_multicast:
            raise UnsafeUrl(f"resolves to {ip}, a private, loopback or reserved address")
