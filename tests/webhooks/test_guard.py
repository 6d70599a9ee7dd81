"""The SSRF guard, outside dev mode: a name resolving to a private address is refused when
saved and when connecting, and the connection goes to the address that was checked, so a
name that resolves to a public address at the check and to a private one a moment later (DNS
rebinding) reaches nothing. Names are resolved by a stand-in resolver on the running loop;
the receiver is a real local server."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.webhooks.receiver import Receiver
from tillroll.webhooks import guard
from tillroll.webhooks.delivery import tls
from tillroll.webhooks.guard import UnsafeUrl, check_url, guarded_client

PUBLIC = "93.184.216.34"


def resolve(monkeypatch: pytest.MonkeyPatch, answers: Callable[[int], str]) -> list[str]:
    """Make the running loop resolve every name to `answers(nth call)`; the names asked."""
    asked: list[str] = []

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        asked.append(host)
        address = answers(len(asked))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    return asked


def client() -> httpx.AsyncClient:
    return guarded_client(dev_mode=False, timeout=2.0, verify=tls())


async def test_a_rebinding_name_reaches_nothing(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    asked = resolve(monkeypatch, lambda n: PUBLIC if n == 1 else "127.0.0.1")
    url = f"http://rebind.example:{receiver.port}/hook"
    await check_url(url, dev_mode=False)  # the first answer is public: the check passes
    async with client() as http:
        with pytest.raises(httpx.ConnectError, match=r"refused: rebind\.example resolves to 127\."):
            await http.post(url, content=b"{}")
    assert asked == ["rebind.example", "rebind.example"]
    assert receiver.received == []
    async with httpx.AsyncClient(trust_env=False) as plain:  # what the guard prevents
        assert (await plain.post(url, content=b"{}")).status_code == 200
    assert len(receiver.received) == 1


async def test_the_connection_goes_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    resolve(monkeypatch, lambda _: "127.0.0.1")
    loopback = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(guard, "public", lambda ip: ip == loopback)  # allow this one only
    async with client() as http:
        response = await http.post(f"http://hooks.example:{receiver.port}/hook", content=b"{}")
    assert response.status_code == 200
    (got,) = receiver.received
    assert got.headers["host"] == f"hooks.example:{receiver.port}"  # the name, not the address


async def test_private_names_are_refused_at_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve(monkeypatch, lambda _: "10.0.0.7")
    with pytest.raises(UnsafeUrl, match=r"resolves to 10\.0\.0\.7"):
        await check_url("https://internal.example/hook", dev_mode=False)
    await check_url("https://internal.example/hook", dev_mode=True)  # dev mode allows it
