"""Receipt e-mail against a real local SMTP server (aiosmtpd), driven by the real job worker."""

from __future__ import annotations

import email
import email.policy
import io
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pypdf
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.conftest import Tenant
from tests.documents.samples import NAMES, world_receipt
from tests.factories import make_customer, make_receipt
from tillroll.documents.events import ReceiptEmail
from tillroll.events import service as events
from tillroll.events.service import Emitted
from tillroll.jobs.worker import run_once
from tillroll.kit.db import Connection, Database


@dataclass
class Inbox:
    """What the SMTP server received; `refuse` answers every RCPT with that reply."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: str | None = None

    def to(self, tenant: Tenant) -> list[EmailMessage]:
        """The messages to `tenant`'s customer (other tests' jobs may run here too)."""
        return [m for rcpt, m in self.received if rcpt == [address(tenant)]]

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, _: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def _auth(*args: Any) -> AuthResult:
    """aiosmtpd's authenticator(server, session, envelope, mechanism, data)."""
    data = args[-1]
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"till", b"roll")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on a free local port requiring AUTH; the settings point at it."""
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_auth, auth_require_tls=False
    )
    controller.start()
    for name, value in {
        "HOST": "127.0.0.1", "PORT": str(port), "SECURITY": "none", "USERNAME": "till",
        "PASSWORD": "roll", "FROM": "receipts@shop.test",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"TILLROLL_SMTP_{name}", value)
    yield inbox
    controller.stop()


@pytest.fixture
async def emitted() -> AsyncIterator[list[Emitted]]:
    seen: list[Emitted] = []

    async def collect(_: Connection, batch: Any) -> None:
        seen.extend(e for e in batch if e.type.name.startswith("receipt.email"))

    events.listen(collect)
    yield seen
    events._listeners.remove(collect)


def address(tenant: Tenant) -> str:
    return f"anna-{tenant.number}@example.test"


async def _customer_receipt(tenant: Tenant, *, wants: bool = True) -> dict[str, Any]:
    customer = await make_customer(
        tenant.client, email=address(tenant), send_email_receipt=wants, member_number="A-1"
    )
    return await make_receipt(tenant.client, world_receipt(customer={"id": customer["id"]}))


def _pdf_text(message: EmailMessage) -> str:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().startswith("receipt-")
    pdf = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    return "\n".join(page.extract_text() for page in pdf.pages)


async def test_issued_receipt_is_mailed_with_html_text_and_pdf(
    tenant: Tenant, db: Database, smtp: Inbox, emitted: list[Emitted]
) -> None:
    await tenant.client.patch(
        "/v1/documents/branding", json={"email_subject": "Bon {number} van {merchant}",
                                        "language": "nl"},
    )  # fmt: skip
    receipt = await _customer_receipt(tenant)
    assert smtp.to(tenant) == []  # an outbox job, not the request
    await run_once(db)
    [message] = smtp.to(tenant)
    assert message["To"] == address(tenant)
    assert message["Subject"] == f"Bon {receipt['number']} van Tenant A"
    assert message["From"] == "receipts@shop.test"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert "Totaal" in plain.get_content() and NAMES["cyrillic"] in plain.get_content()
    assert "Kassabon" in html.get_content() and NAMES["arabic"] in html.get_content()
    assert NAMES["greek"] in _pdf_text(message) and "Kassabon" in _pdf_text(message)
    status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
    assert status["status"] == "sent" and status["attempts"] == 1 and status["sent_at"]
    assert [e.type.name for e in emitted if e.merchant_id == tenant.id] == ["receipt.emailed"]
    await run_once(db)
    assert len(smtp.to(tenant)) == 1  # the job ran once


async def test_a_customer_without_the_flag_gets_no_mail(
    tenant: Tenant, db: Database, smtp: Inbox
) -> None:
    receipt = await _customer_receipt(tenant, wants=False)
    await run_once(db)
    assert smtp.to(tenant) == []
    response = await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")
    assert response.status_code == 200 and response.json()["status"] == "none"


async def test_a_refused_address_fails_for_good_and_is_emitted(
    tenant: Tenant, db: Database, smtp: Inbox, emitted: list[Emitted]
) -> None:
    smtp.refuse = "550 5.1.1 No such mailbox"
    receipt = await _customer_receipt(tenant)
    await run_once(db)
    status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
    assert status["status"] == "failed" and "550" in status["last_error"]
    [event] = [e for e in emitted if e.merchant_id == tenant.id]
    assert event.type.name == "receipt.email_failed"
    assert isinstance(event.data, ReceiptEmail) and event.data.status == "failed"
    smtp.refuse = None  # the merchant fixes the address and re-sends
    resent = await tenant.client.post(f"/v1/receipts/{receipt['id']}/email")
    assert resent.status_code == 202 and resent.json()["status"] == "queued"
    await run_once(db)
    assert len(smtp.to(tenant)) == 1
    status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
    assert status["status"] == "sent"


async def test_an_unreachable_server_is_retried_not_failed(
    tenant: Tenant, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLROLL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TILLROLL_SMTP_SECURITY", "none")
    monkeypatch.setenv("TILLROLL_SMTP_PORT", "1")  # nothing listens there
    receipt = await _customer_receipt(tenant)
    await run_once(db)
    status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
    assert status["status"] == "queued" and status["attempts"] == 1
    assert "ConnectionRefusedError" in status["last_error"]


async def test_wrong_credentials_and_missing_starttls_are_permanent(
    tenant: Tenant, db: Database, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLROLL_SMTP_PASSWORD", "wrong")
    first = await _customer_receipt(tenant)
    await run_once(db)
    status = (await tenant.client.get(f"/v1/receipts/{first['id']}/email")).json()
    assert status["status"] == "failed" and "535" in status["last_error"]
    monkeypatch.setenv("TILLROLL_SMTP_SECURITY", "starttls")  # this server offers none
    resent = await tenant.client.post(f"/v1/receipts/{first['id']}/email")
    assert resent.status_code == 202
    await run_once(db)
    status = (await tenant.client.get(f"/v1/receipts/{first['id']}/email")).json()
    assert status["status"] == "failed" and "STARTTLS" in status["last_error"]
    assert smtp.to(tenant) == []


async def test_resend_needs_an_address(tenant: Tenant) -> None:
    receipt = await make_receipt(tenant.client, world_receipt())
    response = await tenant.client.post(f"/v1/receipts/{receipt['id']}/email")
    assert response.status_code == 409
