"""The SSRF guard: a webhook URL must be http(s) and resolve only to public addresses
(no private, loopback, link-local, shared or reserved ones), checked when the endpoint is
saved and again before each delivery, unless the server runs with TILLROLL_DEV_MODE=1.

The check before a delivery gives its clear reason; the delivery's own connection is made by
`guarded_client`, which resolves the host once, checks those addresses and connects to one of
them, so a name that resolves differently a moment later (DNS rebinding) cannot reach an
address that was never checked."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx


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
    await public_address(parts.hostname, port or (443 if parts.scheme == "https" else 80))


async def public_address(host: str, port: int) -> str:
    """An address `host` resolves to, when every address it resolves to is public."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"host {host!r} does not resolve") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not public(ip):
            raise UnsafeUrl(f"resolves to {ip}, a private, loopback or reserved address")
    return str(found[0][4][0])


def public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether deliveries may go to `ip`."""
    return ip.is_global and not ip.is_multicast


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to an address checked in the same resolution."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            address = await public_address(host, port)
        except UnsafeUrl as exc:
            raise httpcore.ConnectError(f"refused: {host} {exc}") from None
        return await self._inner.connect_tcp(
            address, port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool built on `_CheckedBackend` (httpx has no
    parameter for a network backend, so the pool it builds is replaced)."""

    def __init__(self, verify: ssl.SSLContext) -> None:
        super().__init__(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify, max_connections=100, max_keepalive_connections=20,
            keepalive_expiry=5.0, network_backend=_CheckedBackend(),
        )  # fmt: skip


def guarded_client(*, dev_mode: bool, timeout: float, verify: ssl.SSLContext) -> httpx.AsyncClient:
    """An HTTP client for deliveries: no redirects, no proxies from the environment, and
    (outside dev mode) connections only to checked public addresses."""
    return httpx.AsyncClient(
        transport=None if dev_mode else _GuardedTransport(verify),
        verify=verify, timeout=timeout, follow_redirects=False, trust_env=False,
    )  # fmt: skip
