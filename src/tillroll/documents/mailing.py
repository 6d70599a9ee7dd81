"""E-mailing receipts: an outbox job per receipt issued to a customer who wants e-mail
(HTML body, plain-text part, PDF attached, the merchant's subject), retried with backoff;
a permanent failure is recorded and emitted as `receipt.email_failed`; the merchant can
re-send."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from tillroll.config import Settings
from tillroll.customers.service import customer as customer_service
from tillroll.documents import smtp
from tillroll.documents.events import RECEIPT_EMAIL_FAILED, RECEIPT_EMAILED, ReceiptEmail
from tillroll.documents.render import text
from tillroll.documents.repository import DocumentRepository
from tillroll.documents.schemas import DocumentQuery, EmailStatus
from tillroll.documents.service import Document, documents
from tillroll.errors import Conflict
from tillroll.events.service import emit
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import Retry, enqueue, handler
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.viewer import Viewer
from tillroll.receipts.schemas import Receipt
from tillroll.receipts.service import receipt as receipt_service

KIND = "documents.email_receipt"
MAX_ATTEMPTS = 8  # 5 s … about 10 min of backoff before a failure is final


@dataclass(frozen=True, slots=True)
class Prepared:
    recipient: str
    subject: str
    html: Document
    pdf: Document


async def on_store(conn: Connection, merchant_id: uuid.UUID, receipts: Sequence[Receipt]) -> None:
    """Ingest listener: queue the e-mail of each new receipt whose customer wants one (the
    job, in the storing transaction). Without an SMTP server configured, e-mail is off."""
    owners = sorted({r.customer.id for r in receipts if r.customer is not None})
    if not owners or not Settings.from_env().smtp_host:
        return
    customers = await customer_service.get_many(conn, merchant_id, owners)
    for r in receipts:
        c = customers.get(r.customer.id) if r.customer else None
        if c is not None and c.send_email_receipt and c.email:
            payload = {"receipt_id": str(r.id), "force": False}
            await enqueue(conn, KIND, payload, merchant_id=merchant_id, key=f"email:{r.id}")


class MailingService:
    async def status(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> EmailStatus:
        await receipt_service.get(conn, Viewer(merchant_id), receipt_id)
        row = await DocumentRepository.of(conn).email(merchant_id, receipt_id)
        return EmailStatus(status="none") if row is None else EmailStatus(**row)

    async def resend(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ReceiptEmail:
        """Queue the receipt's e-mail again, to the customer's current address."""
        receipt = await receipt_service.get(conn, Viewer(merchant_id), receipt_id)
        recipient = await _address(conn, merchant_id, receipt)
        if recipient is None:
            raise Conflict("The receipt has no customer with an e-mail address.")
        state = await _record(conn, merchant_id, receipt_id, recipient, "queued", 0, None)
        payload = {"receipt_id": str(receipt_id), "force": True}
        await enqueue(conn, KIND, payload, merchant_id=merchant_id)
        return state

    async def prepare(
        self, conn: Connection, settings: Settings, merchant_id: uuid.UUID,
        receipt_id: uuid.UUID, force: bool,
    ) -> Prepared | None:  # fmt: skip
        """What to send (None: the customer no longer wants e-mail, or has no address)."""
        viewer = Viewer(merchant_id)
        receipt = await receipt_service.get(conn, viewer, receipt_id)
        recipient = await _address(conn, merchant_id, receipt, force=force)
        if recipient is None:
            return None
        query = DocumentQuery()
        pdf = await documents.document(conn, settings, viewer, receipt_id, "pdf", query)
        html = await documents.document(conn, settings, viewer, receipt_id, "html", query)
        branding = await documents.branding(conn, merchant_id)
        subject = branding.subject(pdf.view.merchant, pdf.view.number)
        return Prepared(recipient, subject, html, pdf)


mailing = MailingService()


async def _address(
    conn: Connection, merchant_id: uuid.UUID, receipt: Receipt, *, force: bool = True
) -> str | None:
    if receipt.customer is None:
        return None
    customer = await customer_service.get(conn, merchant_id, receipt.customer.id)
    return customer.email if customer.email and (force or customer.send_email_receipt) else None


async def _record(
    conn: Connection,
    merchant_id: uuid.UUID,
    receipt_id: uuid.UUID,
    recipient: str,
    status: Literal["queued", "sent", "failed"],
    attempts: int,
    error: str | None,
) -> ReceiptEmail:
    """Store where the e-mail stands; a sent or finally failed one is emitted as an event."""
    now = utc_now()
    state = ReceiptEmail(
        receipt_id=receipt_id, status=status, recipient=recipient, attempts=attempts,
        last_error=error, updated_at=now, sent_at=now if status == "sent" else None,
    )  # fmt: skip
    row = {f: getattr(state, f) for f in state.__struct_fields__ if f != "receipt_id"}
    await DocumentRepository.of(conn).save_email(merchant_id, receipt_id, row)
    if status != "queued":
        await emit(
            conn, merchant_id, RECEIPT_EMAILED if status == "sent" else RECEIPT_EMAIL_FAILED, state
        )
    return state


@handler(KIND, timeout=timedelta(seconds=120), max_attempts=MAX_ATTEMPTS)
async def email_receipt(db: Database, job: Job) -> None:
    """Render (or take from the cache) and send one receipt's e-mail."""
    settings = Settings.from_env()
    assert job.merchant_id is not None
    if not settings.smtp_host:  # e-mail switched off meanwhile: retried later, nothing rendered
        raise Retry(after=timedelta(hours=1), reason="no SMTP server is configured")
    merchant_id, receipt_id = job.merchant_id, uuid.UUID(job.payload["receipt_id"])

    async def prepare(conn: Connection) -> Prepared | None:
        return await mailing.prepare(conn, settings, merchant_id, receipt_id, job.payload["force"])

    prepared = await run(db, prepare, write=False)
    if prepared is None:
        return
    mail = smtp.message(
        settings,
        to=prepared.recipient,
        subject=prepared.subject,
        text=text(prepared.html.view),
        html=await documents.content(db, settings, prepared.html),
        pdf=await documents.content(db, settings, prepared.pdf),
        filename=f"receipt-{prepared.pdf.number}.pdf",
    )
    try:
        await smtp.send(settings, mail)
    except smtp.MailFailed as exc:
        final = exc.permanent or job.attempts >= MAX_ATTEMPTS
        status: Literal["queued", "failed"] = "failed" if final else "queued"
        reason = str(exc)

        async def failed(conn: Connection) -> None:
            await _record(
                conn, merchant_id, receipt_id, prepared.recipient, status, job.attempts, reason
            )

        await run(db, failed, write=True)
        if not final:
            raise  # retried with backoff
        return

    async def sent(conn: Connection) -> None:
        await _record(conn, merchant_id, receipt_id, prepared.recipient, "sent", job.attempts, None)

    await run(db, sent, write=True)
