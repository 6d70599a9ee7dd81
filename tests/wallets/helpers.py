"""What the wallet tests share: a wallet maker, entry posting, and a settable clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories import created, make_customer
from tillroll.wallets.clock import clock

_keys = itertools.count()
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Hands:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def frozen(start: datetime = T0) -> Iterator[Hands]:
    hands = Hands(start)
    with clock.use(hands):
        yield hands


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{next(_keys)}"}


async def make_wallet(client: httpx.AsyncClient, kind: str = "credit", **fields: Any) -> Any:
    customer = await make_customer(client)
    body = {"kind": kind, **fields}
    return await created(await client.post(f"/v1/customers/{customer['id']}/wallets", json=body))


async def post(
    client: httpx.AsyncClient, wallet: dict[str, Any], amount: int, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/wallets/{wallet['id']}/entries", json={"amount": amount, **body}, headers=key()
    )


async def entry(client: httpx.AsyncClient, wallet: dict[str, Any], amount: int, **body: Any) -> Any:
    return await created(await post(client, wallet, amount, **body))


async def read(client: httpx.AsyncClient, wallet: dict[str, Any]) -> Any:
    return await created(await client.get(f"/v1/wallets/{wallet['id']}"), 200)


async def entries(client: httpx.AsyncClient, wallet: dict[str, Any]) -> list[Any]:
    page = await created(await client.get(f"/v1/wallets/{wallet['id']}/entries?limit=500"), 200)
    return page["data"]  # type: ignore[no-any-return]


async def lots(client: httpx.AsyncClient, wallet: dict[str, Any]) -> list[Any]:
    page = await created(await client.get(f"/v1/wallets/{wallet['id']}/lots?limit=500"), 200)
    return page["data"]  # type: ignore[no-any-return]
