"""Sending one e-mail through the configured SMTP server (stdlib smtplib, in a thread).

`TILLROLL_SMTP_SECURITY`: `starttls` upgrades the connection and refuses a server that does
not offer it; `tls` is implicit TLS (port 465); `none` is plain (a local relay). AUTH is used
when a username is set, and only over TLS: a password is never sent in the clear. The
server's certificate is verified against the system's CAs or `TILLROLL_SMTP_CA_FILE`
(`TILLROLL_SMTP_VERIFY=0` skips it, for development).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from tillroll.config import Settings


class MailFailed(Exception):
    """Sending failed; `permanent` when retrying cannot help (5xx, refused address, auth)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


def message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: bytes,
    pdf: bytes,
    filename: str,
) -> EmailMessage:
    """A multipart message: plain text and HTML alternatives, the PDF attached."""
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(text)
    mail.add_alternative(html.decode(), subtype="html")
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return mail


async def send(settings: Settings, mail: EmailMessage, timeout: float = 30) -> None:
    await asyncio.to_thread(_send, settings, mail, timeout)


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """Verifying the server's certificate and name, unless `TILLROLL_SMTP_VERIFY=0`."""
    try:
        context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        reason = f"TILLROLL_SMTP_CA_FILE cannot be read as PEM certificates: {exc}"
        raise MailFailed(reason, permanent=True) from exc
    if not settings.smtp_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _send(settings: Settings, mail: EmailMessage, timeout: float) -> None:
    if not settings.smtp_host:
        raise MailFailed("no SMTP server is configured (TILLROLL_SMTP_HOST)", permanent=False)
    if settings.smtp_username and settings.smtp_security == "none":
        raise MailFailed(
            "AUTH over an unencrypted connection is refused: set TILLROLL_SMTP_SECURITY to "
            "`starttls` or `tls`, or drop TILLROLL_SMTP_USERNAME for a relay without AUTH",
            permanent=True,
        )
    context = _tls_context(settings)
    try:
        if settings.smtp_security == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
            )
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with server:
            if settings.smtp_security == "starttls":
                server.starttls(context=context)  # SMTPNotSupportedError if not offered
            # login: SMTPNotSupportedError if the server offers no AUTH (none before TLS)
            if settings.smtp_username:
                server.login(settings.smtp_username, settings.smtp_password)
            server.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailFailed(
            f"recipient refused: {exc.recipients}", permanent=min(codes) >= 500
        ) from exc
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else error
        raise MailFailed(f"{exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from exc
    except ssl.SSLCertVerificationError as exc:
        raise MailFailed(
            f"the SMTP server's certificate is not trusted ({exc.verify_message}); "
            "see TILLROLL_SMTP_CA_FILE",
            permanent=True,
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise MailFailed(f"not offered by the server: {exc}", permanent=True) from exc
    except (OSError, smtplib.SMTPException) as exc:  # unreachable, reset, timed out
        raise MailFailed(f"{type(exc).__name__}: {exc}", permanent=False) from exc
