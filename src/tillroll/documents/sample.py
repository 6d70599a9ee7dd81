"""Regenerate the sample receipt images of docs/documents.md from the demo data:

    make sample-receipt      # = python -m tillroll.documents.sample docs/images

A fresh demo database in a scratch folder, its latest purchase rendered by the product's own
path at A4 and 80 mm, each first page turned into a PNG by `pdftoppm` (poppler-utils).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from tillroll.config import Settings
from tillroll.documents.schemas import DocumentQuery, Size
from tillroll.documents.service import Document, documents
from tillroll.kit.db import Connection, Database, open_database, run
from tillroll.kit.migrate import migrate
from tillroll.kit.viewer import Viewer
from tillroll.merchants.service import merchant as merchant_service
from tillroll.receipts.schemas import ReceiptQuery
from tillroll.receipts.service import receipt as receipt_service


async def render_samples(out: Path) -> list[Path]:
    from tillroll.demo import DEMO_NAME, load_demo

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/demo.db"
        settings = Settings(database_url=url)
        db = open_database(url)
        await db.connect()
        try:
            await migrate(db)
            await load_demo(db, key_file=Path(scratch) / "key", receipts=60)

            async def latest(conn: Connection) -> Viewer:
                [m] = [m for m in await merchant_service.list(conn) if m.name == DEMO_NAME]
                return Viewer(m.id)

            viewer = await run(db, latest, write=False)
            written = []
            for size in ("a4", "80mm"):
                written.append(await _render(db, settings, viewer, size, out))
            return written
        finally:
            await db.close()


async def _render(db: Database, settings: Settings, viewer: Viewer, size: Size, out: Path) -> Path:
    async def find(conn: Connection) -> Document:
        page = await receipt_service.list(conn, viewer, ReceiptQuery(limit=20))
        purchase = next(r for r in page.data if not r.is_return and len(r.lines) >= 3)
        query = DocumentQuery(size=size)
        return await documents.document(conn, settings, viewer, purchase.id, "pdf", query)

    document = await run(db, find, write=False)
    pdf = await documents.content(db, settings, document)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"sample-receipt-{size}"
    stem.with_suffix(".pdf").write_bytes(pdf)
    resolution = "110" if size == "80mm" else "60"
    subprocess.run(
        ["pdftoppm", "-r", resolution, "-png", "-singlefile", "-f", "1", "-l", "1",
         str(stem.with_suffix(".pdf")), str(stem)],
        check=True,
    )  # fmt: skip
    stem.with_suffix(".pdf").unlink()
    return stem.with_suffix(".png")


if __name__ == "__main__":
    for path in asyncio.run(render_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "."))):
        sys.stdout.write(f"{path}\n")
