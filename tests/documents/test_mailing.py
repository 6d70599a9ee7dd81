"""Receipt e-mail against a real local SMTP server (aiosmtpd), driven by the real job worker."""

from __future__ import annotations

import email
import email.policy
import io
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
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
    sessions: list[tuple[bool, str | None]] = field(default_factory=list)  # (over TLS, AUTH)
    mechanism: str | None = None

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
        assert server.transport is not None
        tls = session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None
        self.sessions.append((tls, self.mechanism if session.authenticated else None))
        return "250 Message accepted"

    def authenticate(self, *args: Any) -> AuthResult:
        """aiosmtpd's authenticator(server, session, envelope, mechanism, data)."""
        mechanism, data = args[-2], args[-1]
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"till", b"roll")
        self.mechanism = mechanism
        return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (openssl) and its key."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _free_port() -> int:
    with socket.socket() as probe:  # the controller checks its port by connecting
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    monkeypatch: pytest.MonkeyPatch, security: str, tls: ssl.SSLContext | None = None, **more: Any
) -> Iterator[Inbox]:
    """A real SMTP server on a free local port requiring AUTH (over TLS unless `security`
    is `none`); the settings point at it and trust its certificate."""
    inbox, port = Inbox(), _free_port()
    options: dict[str, Any] = {"ssl_context": tls} if security == "tls" else {"tls_context": tls}
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
        auth_require_tls=security == "starttls", **options, **more,
    )  # fmt: skip
    controller.start()
    for name, value in {
        "HOST": "127.0.0.1", "PORT": str(port), "SECURITY": security, "USERNAME": "till",
        "PASSWORD": "roll", "FROM": "receipts@shop.test",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"TILLROLL_SMTP_{name}", value)
    try:
        yield inbox
    finally:
        controller.stop()


def _server_tls(certificate: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, certificate: tuple[str, str]) -> Iterator[Inbox]:
    """A STARTTLS server with a self-signed certificate, trusted by TILLROLL_SMTP_CA_FILE."""
    monkeypatch.setenv("TILLROLL_SMTP_CA_FILE", certificate[0])
    with serving(monkeypatch, "starttls", _server_tls(certificate), require_starttls=True) as inbox:
        yield inbox


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
    assert (attachment.get_filename() or "").startswith("receipt-")
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
    assert smtp.sessions == [(True, "PLAIN")]  # upgraded by STARTTLS, then AUTH


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
    monkeypatch.setenv("TILLROLL_SMTP_PASSWORD", "roll")
    with serving(monkeypatch, "starttls") as plain:  # this server offers no STARTTLS
        resent = await tenant.client.post(f"/v1/receipts/{first['id']}/email")
        assert resent.status_code == 202
        await run_once(db)
    status = (await tenant.client.get(f"/v1/receipts/{first['id']}/email")).json()
    assert status["status"] == "failed" and "STARTTLS" in status["last_error"]
    assert smtp.to(tenant) == [] and plain.to(tenant) == []


async def test_auth_login_over_starttls(
    tenant: Tenant, db: Database, monkeypatch: pytest.MonkeyPatch, certificate: tuple[str, str]
) -> None:
    monkeypatch.setenv("TILLROLL_SMTP_CA_FILE", certificate[0])
    tls = _server_tls(certificate)
    with serving(monkeypatch, "starttls", tls, auth_exclude_mechanism=["PLAIN"]) as inbox:
        await _customer_receipt(tenant)
        await run_once(db)
    assert len(inbox.to(tenant)) == 1 and inbox.sessions == [(True, "LOGIN")]


async def test_implicit_tls(
    tenant: Tenant, db: Database, monkeypatch: pytest.MonkeyPatch, certificate: tuple[str, str]
) -> None:
    monkeypatch.setenv("TILLROLL_SMTP_CA_FILE", certificate[0])
    with serving(monkeypatch, "tls", _server_tls(certificate)) as inbox:
        receipt = await _customer_receipt(tenant)
        await run_once(db)
    [message] = inbox.to(tenant)
    assert NAMES["greek"] in _pdf_text(message) and inbox.sessions == [(True, "PLAIN")]
    status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
    assert status["status"] == "sent"


async def test_an_untrusted_certificate_fails_unless_verification_is_off(
    tenant: Tenant, db: Database, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILLROLL_SMTP_CA_FILE")  # the system's CAs do not know this one
    receipt = await _customer_receipt(tenant)
    await run_once(db)
    status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
    assert status["status"] == "failed" and "certificate is not trusted" in status["last_error"]
    assert "self-signed" in status["last_error"] and smtp.received == []
    monkeypatch.setenv("TILLROLL_SMTP_CA_FILE", "/nonexistent/ca.pem")
    await tenant.client.post(f"/v1/receipts/{receipt['id']}/email")
    await run_once(db)
    status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
    assert status["status"] == "failed" and "TILLROLL_SMTP_CA_FILE" in status["last_error"]
    monkeypatch.delenv("TILLROLL_SMTP_CA_FILE")
    monkeypatch.setenv("TILLROLL_SMTP_VERIFY", "0")  # development: any certificate
    await tenant.client.post(f"/v1/receipts/{receipt['id']}/email")
    await run_once(db)
    assert len(smtp.to(tenant)) == 1 and smtp.sessions == [(True, "PLAIN")]


async def test_auth_over_plaintext_is_refused(
    tenant: Tenant, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(monkeypatch, "none") as inbox:  # it would take the password in the clear
        receipt = await _customer_receipt(tenant)
        await run_once(db)
        status = (await tenant.client.get(f"/v1/receipts/{receipt['id']}/email")).json()
        assert status["status"] == "failed" and "unencrypted" in status["last_error"]
        assert inbox.received == [] and inbox.mechanism is None  # the password never left
        monkeypatch.delenv("TILLROLL_SMTP_USERNAME")  # a local relay without AUTH
        await tenant.client.post(f"/v1/receipts/{receipt['id']}/email")
        await run_once(db)
    assert len(inbox.to(tenant)) == 1 and inbox.sessions == [(False, None)]


async def test_resend_needs_an_address(tenant: Tenant) -> None:
    receipt = await make_receipt(tenant.client, world_receipt())
    response = await tenant.client.post(f"/v1/receipts/{receipt['id']}/email")
    assert response.status_code == 409
