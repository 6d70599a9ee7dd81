"""The embed in a real headless Chromium: a parent page on another local origin mounts the
iframe and hands it the JWT by postMessage; the breakdown renders and the height message
arrives. A token posted by a frame of a third origin is ignored.

Chromium is driven over the DevTools protocol (`websockets`); `DOM.getDocument` with
`pierce` reads the cross-origin iframe's rendered document."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.live import serving
from tests.values.embed_tokens import claims, mint
from tests.values.helpers import PERIOD, seed
from tillroll.app import create_app
from tillroll.config import Settings
from tillroll.kit.db import Database, run
from tillroll.merchants.service import merchant as merchant_service

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs chromium (apt-get install chromium)"
)

PARENT = """<!doctype html><html><body><pre id="log"></pre>
<iframe id="embed" width="600" src="{src}"></iframe>{evil}
<script>
const TILLROLL = {tillroll}, JWT = {jwt}, SEND = {send};
window.addEventListener("message", (event) => {{
  if (event.origin !== TILLROLL) return;
  const data = event.data || {{}};
  document.getElementById("log").textContent += data.type + ":" + (data.height || "") + "\\n";
  if (data.type === "paid-embed:ready" && SEND) {{
    document.getElementById("embed").contentWindow.postMessage(
      {{type: "paid-embed:token", token: JWT}}, TILLROLL);
  }}
}});
</script></body></html>"""
EVIL = """<!doctype html><script>
setTimeout(() => window.parent.frames[0].postMessage(
  {{type: "paid-embed:token", token: {jwt}}}, "*"), 300);
</script>"""


@pytest.fixture(scope="module")
def tillroll_url(database_url: str, db: Database) -> Iterator[str]:
    del db
    settings = Settings(
        database_url=database_url, pool_size=4, auth_failures_per_minute=10**9, serve_worker=0
    )
    with serving(create_app(settings)) as url:
        yield url


class Browser:
    """One headless Chromium and a DevTools connection to it."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.next_id = ws, 0

    async def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.ws.send(json.dumps(message))
        while True:
            answer = json.loads(await self.ws.recv())
            if answer.get("id") == self.next_id:
                assert "error" not in answer, answer
                return answer["result"]

    async def open(self, url: str) -> str:
        target = (await self.call("Target.createTarget", url=url))["targetId"]
        attached = await self.call("Target.attachToTarget", targetId=target, flatten=True)
        return str(attached["sessionId"])

    async def text(self, session: str, expression: str) -> str:
        result = await self.call("Runtime.evaluate", session, expression=expression)
        return str(result["result"].get("value", ""))

    async def everything(self, session: str) -> str:
        """The whole document, iframes' documents included, as text."""
        found = await self.call("DOM.getDocument", session, depth=-1, pierce=True)
        return json.dumps(found, ensure_ascii=False)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="tillroll-chromium-")
    process = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        deadline, url = time.monotonic() + 30, None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            url = found.group(1) if found else None
        assert url, "chromium did not start"
        async with websockets.connect(url, max_size=2**25) as ws:
            yield Browser(ws)
    finally:
        process.kill()
        process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


async def _receipt(db: Database, tillroll: str, parent: str) -> tuple[dict[str, Any], str]:
    _, key = await run(db, lambda conn: merchant_service.create(conn, "Embed BV"), write=True)
    async with httpx.AsyncClient(
        base_url=tillroll, headers={"Authorization": f"Bearer {key.secret}"}
    ) as client:
        await seed(client)
        body = {"external_customer_id": "cust-1", **PERIOD}
        receipt = (await client.post("/v1/value-receipts", json=body)).json()
        settings = {"issuer": "acme-app", "audience": "acme-web", "allowed_origins": [parent]}
        secret = (await client.post("/v1/value-receipt-embedding", json=settings)).json()
    return receipt, mint(secret["secret"], claims(receipt))


async def _wait(check: Any, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.2)
    return False


async def test_the_embed_renders_after_the_token_message(
    db: Database, tillroll_url: str, browser: Browser
) -> None:
    holder: dict[str, str] = {}
    with serving(_Pages(holder)) as parent_url, serving(_Pages(holder)) as evil_url:
        receipt, jwt = await _receipt(db, tillroll_url, parent_url)
        embed = f"{tillroll_url}/embed/value-receipts/{receipt['share_token']}"
        src = f"{embed}?parent_origin={parent_url}"

        def parent(send: bool, evil: str = "") -> str:
            frame = f'<iframe src="{evil}"></iframe>' if evil else ""
            return PARENT.format(src=src, evil=frame, tillroll=json.dumps(tillroll_url),
                                 jwt=json.dumps(jwt), send=json.dumps(send))  # fmt: skip

        holder |= {"good": parent(True), "attacked": parent(False, f"{evil_url}/evil"),
                   "evil": EVIL.format(jwt=json.dumps(jwt))}  # fmt: skip
        good = await browser.open(f"{parent_url}/good")
        log = "document.getElementById('log').textContent"

        async def rendered() -> bool:
            return "Total delivered value" in await browser.everything(good)

        assert await _wait(rendered), await browser.text(good, log)
        everything = await browser.everything(good)
        assert "Hours saved" in everything and "€ 110.00" in everything
        messages = await browser.text(good, log)
        heights = [int(h) for h in re.findall(r"paid-embed:height:(\d+)", messages)]
        assert messages.startswith("paid-embed:ready:") and heights and max(heights) > 150

        attacked = await browser.open(f"{parent_url}/attacked")

        async def ready() -> bool:
            return "paid-embed:height" in await browser.text(attacked, log)

        assert await _wait(ready)
        await asyncio.sleep(2)  # the third origin's token message has been sent by now
        seen = await browser.everything(attacked)
        assert "This value receipt is private." in seen and "Total delivered value" not in seen


class _Pages(Starlette):
    """Pages by name from a shared dict (filled once both origins are known)."""

    def __init__(self, holder: dict[str, str]) -> None:
        async def page(request: Request) -> HTMLResponse:
            name = request.path_params["name"]
            return HTMLResponse(holder.get(name, ""), 200 if name in holder else 404)

        super().__init__(routes=[Route("/{name}", page)])
