"""Pre-rendering issued receipts' PDFs as jobs, when the merchant's branding asks for it."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Tenant
from tests.documents.samples import NAMES, world_receipt
from tests.documents.test_endpoints import pdf_text
from tests.factories import make_receipt
from tillroll.documents import render
from tillroll.documents.prerender import KIND
from tillroll.documents.view import ReceiptView
from tillroll.jobs.worker import run_once
from tillroll.kit.db import Connection, Database, run


async def _jobs(db: Database, receipt_id: str) -> list[dict[str, Any]]:
    async def read(conn: Connection) -> list[dict[str, Any]]:
        rows = await conn.fetchall(
            "SELECT status, attempts, last_error FROM jobs WHERE kind = :k AND key = :key",
            {"k": KIND, "key": f"prerender:{receipt_id}"},
        )
        return [{k: r[k] for k in ("status", "attempts", "last_error")} for r in rows]

    return await run(db, read, write=False)


def _refuse_to_render(monkeypatch: pytest.MonkeyPatch) -> list[ReceiptView]:
    """From here on a PDF render fails: a PDF still served came from the cache."""
    tried: list[ReceiptView] = []

    def refused(view: ReceiptView) -> bytes:
        tried.append(view)
        raise RuntimeError("rendered on the request path")

    monkeypatch.setitem(render.RENDERERS, "pdf", refused)
    return tried


async def test_an_issued_receipts_pdf_is_rendered_before_its_first_download(
    tenant: Tenant, db: Database, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    enabled = await tenant.client.patch("/v1/documents/branding", json={"prerender_pdf": True})
    assert enabled.status_code == 200 and enabled.json()["prerender_pdf"] is True
    receipt = await make_receipt(tenant.client, world_receipt())
    [job] = await _jobs(db, receipt["id"])
    assert job["status"] == "pending"  # queued with the receipt, not rendered by the request
    await run_once(db)
    assert [j["status"] for j in await _jobs(db, receipt["id"])] == ["done"]
    tried = _refuse_to_render(monkeypatch)
    url = urlsplit(receipt["download_url"]).path
    download = await client.get(url)  # the shopper's link: no key
    assert download.status_code == 200 and tried == []
    assert NAMES["greek"] in pdf_text(download.content)
    keyed = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf")
    assert keyed.content == download.content and tried == []
    other_variant = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf?size=80mm")
    assert other_variant.status_code == 503 and len(tried) == 1  # only the link's variant


async def test_without_the_flag_nothing_is_queued(tenant: Tenant, db: Database) -> None:
    assert (await tenant.client.get("/v1/documents/branding")).json()["prerender_pdf"] is False
    receipt = await make_receipt(tenant.client, world_receipt())
    assert await _jobs(db, receipt["id"]) == []
    bad = await tenant.client.patch("/v1/documents/branding", json={"prerender_pdf": "yes"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "prerender_pdf"


async def test_a_slow_or_failing_prerender_fails_its_job_clearly(
    tenant: Tenant, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await tenant.client.patch("/v1/documents/branding", json={"prerender_pdf": True})
    monkeypatch.setenv("TILLROLL_RENDER_TIMEOUT_SECONDS", "1")

    def slow(_: ReceiptView) -> bytes:
        time.sleep(2.5)
        return b"%PDF-late"

    monkeypatch.setitem(render.RENDERERS, "pdf", slow)
    receipt = await make_receipt(tenant.client, world_receipt())
    started = time.monotonic()
    await run_once(db)
    assert time.monotonic() - started < 2.4  # given up at the limit, not after the render
    [job] = await _jobs(db, receipt["id"])
    assert job["status"] == "pending" and job["attempts"] == 1  # retried with backoff
    assert "RenderFailed" in job["last_error"] and "longer than 1 s" in job["last_error"]
    time.sleep(1.5)  # the abandoned render thread finishes; its result is dropped
    _refuse_to_render(monkeypatch)
    response = await tenant.client.get(f"/v1/receipts/{receipt['id']}.pdf")
    assert response.status_code == 503 and response.json()["code"] == "render_failed"
