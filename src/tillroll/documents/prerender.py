"""Pre-rendering: when the merchant's branding asks for it (`prerender_pdf`), every issued
receipt's PDF (the variant its `download_url` opens) is rendered by a job, off the request
path, so the first download is served from the cache."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from tillroll.config import Settings
from tillroll.documents.schemas import DocumentQuery
from tillroll.documents.service import Document, documents
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import enqueue, handler
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.viewer import Viewer
from tillroll.receipts.schemas import Receipt

KIND = "documents.prerender_pdf"


async def on_store(conn: Connection, merchant_id: uuid.UUID, receipts: Sequence[Receipt]) -> None:
    """Ingest listener: queue each new receipt's PDF render (in the storing transaction)
    when the merchant pre-renders."""
    if not await documents.prerenders(conn, merchant_id):
        return
    for r in receipts:
        payload = {"receipt_id": str(r.id)}
        await enqueue(conn, KIND, payload, merchant_id=merchant_id, key=f"prerender:{r.id}")


@handler(KIND, timeout=timedelta(seconds=60), max_attempts=3)
async def prerender_pdf(db: Database, job: Job) -> None:
    """Render the receipt's PDF into the cache (nothing to do when it is there already).
    A render that fails or passes `TILLROLL_RENDER_TIMEOUT_SECONDS` fails the job with
    that error (`render_failed`), retried with backoff; a download meanwhile renders itself
    under the same limit."""
    settings = Settings.from_env()
    assert job.merchant_id is not None
    viewer, receipt_id = Viewer(job.merchant_id), uuid.UUID(job.payload["receipt_id"])

    async def find(conn: Connection) -> Document:
        return await documents.document(conn, settings, viewer, receipt_id, "pdf", DocumentQuery())

    document = await run(db, find, write=False)
    await documents.content(db, settings, document, wait=True)
