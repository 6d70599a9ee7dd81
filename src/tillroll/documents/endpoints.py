"""Receipt documents over HTTP: `GET /v1/receipts/{id}.pdf|.html`, signed links, branding,
and the public page `/p/receipts/{token}` (no API key: the token is the capability)."""

from __future__ import annotations

import html
import uuid

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from tillroll.config import Settings
from tillroll.documents.events import ReceiptEmail
from tillroll.documents.mailing import mailing
from tillroll.documents.render import Format
from tillroll.documents.schemas import (
    Branding,
    BrandingUpdate,
    DocumentQuery,
    DownloadLink,
    EmailStatus,
)
from tillroll.documents.service import MEDIA, Document, documents
from tillroll.errors import InternalError, TillrollError, Unavailable
from tillroll.kit.db import Connection, Database, DatabaseUnavailable, run
from tillroll.kit.http import Access, Call, Router, problem_response
from tillroll.kit.http import log as http_log
from tillroll.kit.inputs import parse_query

router = Router("/v1/receipts", tag="documents")
branding = Router("/v1/documents", tag="documents")
_CAPABILITY = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class DocumentResponse(Response):
    """Sent after the request's transaction closed: a cached document at once, else rendered
    then (a render error or time-out is answered as problem details, never a hung request)."""

    def __init__(self, document: Document, db: Database, settings: Settings) -> None:
        super().__init__(status_code=200)
        self.document, self.db, self.settings = document, db, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        d = self.document
        try:
            content = await documents.content(self.db, self.settings, d)
        except TillrollError as exc:
            await failure(d.fmt, exc)(scope, receive, send)
            return
        name = f'inline; filename="receipt-{d.number}.{d.fmt}"'
        response = Response(content, media_type=MEDIA[d.fmt], headers={"Content-Disposition": name})
        await _with_headers(response)(scope, receive, send)


def _with_headers(response: Response) -> Response:
    response.headers.update(_CAPABILITY)
    return response


_ERROR_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<link rel="icon" href="data:,"><title>{title}</title></head>
<body style="font-family: sans-serif; margin: 2em"><h1>{title}</h1><p>{detail}</p></body></html>"""


def failure(fmt: Format, exc: TillrollError) -> Response:
    """An error as a person reads it on a page (HTML), else as problem details."""
    if fmt != "html":
        return _with_headers(problem_response(exc))
    page = _ERROR_PAGE.format(title=html.escape(exc.title), detail=html.escape(exc.detail))
    return _with_headers(HTMLResponse(page, exc.status, headers=exc.headers))


async def _document(
    call: Call, receipt_id: uuid.UUID, fmt: Format, query: DocumentQuery
) -> Response:
    document = await documents.document(
        call.conn, call.settings, call.viewer, receipt_id, fmt, query
    )
    return DocumentResponse(document, call.db, call.settings)


@router.get(
    "/{receipt_id}.pdf",
    access=Access.read,
    shopper_ok=True,
    produces=MEDIA["pdf"],
    errors=(404, 422, 503),
)
async def receipt_pdf(call: Call, receipt_id: uuid.UUID, query: DocumentQuery) -> Response:
    """The receipt as a PDF (A4 or 80 mm), in the merchant's or the asked language."""
    return await _document(call, receipt_id, "pdf", query)


@router.get(
    "/{receipt_id}.html",
    access=Access.read,
    shopper_ok=True,
    produces=MEDIA["html"],
    errors=(404, 422, 503),
)
async def receipt_html(call: Call, receipt_id: uuid.UUID, query: DocumentQuery) -> Response:
    """The receipt as an HTML page (A4 or 80 mm)."""
    return await _document(call, receipt_id, "html", query)


@router.get("/{receipt_id}/link", access=Access.read, errors=(404,))
async def receipt_link(call: Call, receipt_id: uuid.UUID) -> DownloadLink:
    """A signed, expiring link to the receipt's PDF and page that needs no API key (a
    shopper finds it as the receipt's `download_url`)."""
    return await documents.link(call.conn, call.settings, call.viewer, receipt_id)


@router.post("/{receipt_id}/link/revoke", access=Access.write, errors=(404,))
async def revoke_links(call: Call, receipt_id: uuid.UUID) -> DownloadLink:
    """Revoke every signed link of the receipt issued so far (they answer 404 from now on);
    the answer is its new link, which the receipt's `download_url` carries from now on."""
    return await documents.revoke_links(call.conn, call.settings, call.viewer, receipt_id)


@router.get("/{receipt_id}/email", access=Access.read, errors=(404,))
async def email_status(call: Call, receipt_id: uuid.UUID) -> EmailStatus:
    """Where the receipt's e-mail stands: none, queued, sent or failed (with the last error)."""
    return await mailing.status(call.conn, call.principal.merchant_id, receipt_id)


@router.post("/{receipt_id}/email", access=Access.write, status=202, errors=(404, 409))
async def resend_email(call: Call, receipt_id: uuid.UUID) -> ReceiptEmail:
    """E-mail the receipt (again) to its customer's current address, as a background job."""
    return await mailing.resend(call.conn, call.principal.merchant_id, receipt_id)


@branding.get("/branding", access=Access.read)
async def get_branding(call: Call) -> Branding:
    """How the merchant's receipts look: logo, colours, footer, e-mail subject, language."""
    return await documents.branding(call.conn, call.principal.merchant_id)


@branding.patch("/branding", access=Access.admin, errors=(422,))
async def update_branding(call: Call, body: BrandingUpdate) -> Branding:
    """Change the branding; the next rendering of every receipt uses it."""
    return await documents.update_branding(call.conn, call.principal.merchant_id, body)


def public_routes(db: Database, settings: Settings) -> list[BaseRoute]:
    """`/p/receipts/{token}` (HTML) and `/p/receipts/{token}.pdf`: no API key."""

    def page(fmt: Format) -> Route:
        async def serve(request: Request) -> Response:
            try:
                query = parse_query(request.query_params.multi_items(), DocumentQuery)

                async def find(conn: Connection) -> Document:
                    viewer, receipt_id = await documents.by_token(
                        conn, request.path_params["token"]
                    )
                    return await documents.document(conn, settings, viewer, receipt_id, fmt, query)

                try:
                    found = await run(db, find, write=False)
                except DatabaseUnavailable as exc:
                    return failure(fmt, Unavailable(exc.reason))
                return DocumentResponse(found, db, settings)
            except TillrollError as exc:
                return failure(fmt, exc)
            except Exception:
                http_log.exception("unhandled error on the public receipt page")
                return failure(fmt, InternalError("An unexpected error occurred; it is logged."))

        suffix = ".pdf" if fmt == "pdf" else ""
        return Route("/p/receipts/{token}" + suffix, serve, methods=["GET"])

    return [page("pdf"), page("html")]  # `.pdf` first: `{token}` alone would match it too
