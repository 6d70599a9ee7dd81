"""Raw bytes no HTTP client would send, against `tillroll serve` (uvicorn) on a real socket:
invalid UTF-8 in paths, queries, headers and bodies, and a price of 1E+999990."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tillroll.kit.db import Database, run
from tillroll.merchants.service import merchant as merchant_service

TILLROLL = Path(sys.executable).parent / "tillroll"
BASKET = (b'{"basket": {"retailer_basket_code": "L-1", "basket_items": [{"item_name": "T", '
          b'"item_price": 1E+999990}]}}')  # fmt: skip
REQUESTS = {
    "raw bytes in the path": b"GET /v1/receipts/\xff\xfe HTTP/1.1\r\n",
    "escaped bytes in a facade path": b"GET /compat/spaaza/receipts/%FF%FE HTTP/1.1\r\n",
    "escaped bytes in the query": b"GET /v1/receipts?issued_from=%FF%C3 HTTP/1.1\r\n",
    "raw bytes in the query": b"GET /compat/spaaza/get-receipts?chain_id=\xff HTTP/1.1\r\n",
    "huge exponent": b"POST /compat/spaaza/auth/add-basket HTTP/1.1\r\n",
    "invalid UTF-8 in a string": b"POST /v1/customers HTTP/1.1\r\n",
}
BODIES = {"huge exponent": BASKET, "invalid UTF-8 in a string": b'{"first_name": "\xff\xc3"}'}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(database_url: str, db: Database) -> Iterator[int]:
    """`tillroll serve` in a subprocess on the test database (`db`: migrated first)."""
    del db
    port = _free_port()
    env = {**os.environ, "TILLROLL_AUTH_FAILURES_PER_MINUTE": "1000000000"}
    args = [str(TILLROLL), "--database-url", database_url, "serve", "--port", str(port)]
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tillroll serve did not start") from None
            time.sleep(0.1)
    yield port
    server.terminate()
    server.wait(timeout=20)


def _exchange(port: int, request: bytes) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0]
    return int(head.split(b" ", 2)[1]), head.lower(), time.perf_counter() - started


@pytest.fixture(scope="module")
async def key(db: Database) -> str:
    _, created = await run(db, lambda conn: merchant_service.create(conn, "Live"), write=True)
    return created.secret


@pytest.mark.parametrize("case", list(REQUESTS))
@pytest.mark.parametrize("credential", [b"valid", b"\xff\xfe", b""], ids=["key", "bytes", "none"])
def test_raw_requests_are_4xx(live: int, key: str, case: str, credential: bytes) -> None:
    body = BODIES.get(case, b"")
    token = key.encode() if credential == b"valid" else credential
    headers = b"Host: t\r\nConnection: close\r\nContent-Type: application/json\r\n"
    headers += b"Content-Length: %d\r\n" % len(body)
    if token:
        headers += b"Authorization: Bearer " + token + b"\r\n"
    status, head, seconds = _exchange(live, REQUESTS[case] + headers + b"\r\n" + body)
    assert 400 <= status < 500, (status, head)
    assert seconds < 1.0
    assert b"\r\nserver:" not in head
