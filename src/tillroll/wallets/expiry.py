"""The expiry job: when a lot or a redemption code expires, sweep its wallet.

The sweep writes the `expiry` entries (and gives a lapsed code's hold back) so the ledger
catches up with time. Reads never wait for it: balances are computed as of "now" from the
lots. Any write on the wallet sweeps first as well, so the job only makes sure the entries
appear when nothing else touches the wallet.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from tillroll.jobs.schemas import Job
from tillroll.jobs.service import Retry, handler
from tillroll.kit.db import Connection, Database, run
from tillroll.wallets.clock import clock
from tillroll.wallets.ledger import SWEEP, open_book


@handler(SWEEP, max_attempts=20)
async def sweep(db: Database, job: Job) -> None:
    assert job.merchant_id is not None
    merchant_id, wallet_id = job.merchant_id, uuid.UUID(job.payload["wallet"])
    due = datetime.fromisoformat(job.payload["at"])
    if clock.now() < due:  # early (the queue's clock ran ahead): come back when it is due
        raise Retry(after=due - clock.now(), reason="not expired yet")

    async def work(conn: Connection) -> None:
        book = await open_book(conn, merchant_id, wallet_id, "expiry job")
        await book.close()

    await run(db, work, write=True)
