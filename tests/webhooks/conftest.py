"""Webhook tests deliver to real receivers on 127.0.0.1: the worker runs in dev mode, with
retries a few milliseconds apart so that a test sees many of them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Tenant
from tillroll.jobs import worker
from tillroll.kit.db import Database


@pytest.fixture(autouse=True)
def _quick(quick_retries: None) -> None:
    """Every webhook test retries quickly."""


async def drain(db: Database, done: Callable[[], bool], seconds: float = 15.0) -> None:
    """Run the worker until `done()` (or fail after `seconds`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not done():
        assert loop.time() < deadline, "the worker did not get there in time"
        await worker.run_once(db)
        await asyncio.sleep(0.01)


async def subscribe(tenant: Tenant, url: str, *types: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "events": list(types or ["branch.created"]), **fields}
    response = await tenant.client.post("/v1/webhook-endpoints", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def branches(tenant: Tenant, count: int, prefix: str = "B") -> list[str]:
    """Create `count` branches (a `branch.created` event each); their codes."""
    codes = [f"{prefix}-{i:03}" for i in range(count)]
    for code in codes:
        response = await tenant.client.post("/v1/branches", json={"code": code, "name": code})
        assert response.status_code == 201, response.text
    return codes
