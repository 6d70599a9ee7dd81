"""kill -9 during group commits: `tillroll serve --workers 2` (a real process tree) takes
concurrent POSTs and is SIGKILLed mid-stream; after a restart every receipt that was answered
2xx is there with its number, the numbers have no gap, and none is handed out again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.conftest import new_tenant
from tests.factories import simple_receipt
from tillroll.kit.db import Database

TILLROLL = Path(sys.executable).with_name("tillroll")
CLIENTS = 24


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serving(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ, "TILLROLL_DATABASE_URL": database_url, "TILLROLL_SERVE_WORKER": "0",
        "TILLROLL_AUTH_FAILURES_PER_MINUTE": "1000000000",
    }  # fmt: skip
    process = subprocess.Popen(
        [str(TILLROLL), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches both workers
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "tillroll serve exited"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            assert time.monotonic() < deadline, "tillroll serve did not start"
            time.sleep(0.1)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


async def _post_until_killed(api: httpx.AsyncClient, who: int, answered: dict[str, int]) -> None:
    """Post receipts until the server is gone; note each 2xx answer's id and number."""
    for n in range(10**6):
        try:
            response = await api.post("/v1/receipts", json=simple_receipt(f"K-{who}-{n}"))
        except httpx.HTTPError:
            return
        assert response.status_code in (201, 503), response.text
        if response.status_code == 201:
            answered[response.json()["id"]] = response.json()["number"]


async def _stored(api: httpx.AsyncClient) -> dict[str, int]:
    found: dict[str, int] = {}
    params: dict[str, str | int] = {"limit": 200}
    while True:
        page = (await api.get("/v1/receipts", params=params)).json()
        found.update({r["id"]: r["number"] for r in page["data"]})
        if page["next_cursor"] is None:
            return found
        params["cursor"] = page["next_cursor"]


async def test_kill_9_during_group_commits_loses_no_answered_receipt(
    database_url: str, db: Database, client: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(db, client, "Crash shop")
    await tenant.client.aclose()
    port = _free_port()
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {tenant.key}"}
    answered: dict[str, int] = {}
    limits = httpx.Limits(max_connections=CLIENTS)
    with _serving(database_url, port) as process:
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=30
        ) as api:
            posting = [
                asyncio.create_task(_post_until_killed(api, i, answered)) for i in range(CLIENTS)
            ]
            deadline = time.monotonic() + 60
            while len(answered) < 150:  # mid-stream: groups are being written right now
                assert time.monotonic() < deadline, "too few receipts answered"
                await asyncio.sleep(0.01)
            os.killpg(process.pid, signal.SIGKILL)
            await asyncio.gather(*posting)
    with _serving(database_url, port):
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
            stored = await _stored(api)
            assert answered.items() <= stored.items()  # every 2xx is there, with its number
            assert sorted(stored.values()) == list(range(1, len(stored) + 1))  # no gap
            after = await api.post("/v1/receipts", json=simple_receipt("AFTER-RESTART"))
            assert after.json()["number"] == len(stored) + 1  # none handed out again
