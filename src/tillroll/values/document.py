"""A value receipt's PDF: its view model, filled from the receipt and the merchant's document
branding, rendered by the documents domain once the request's transaction has closed."""

from __future__ import annotations

import uuid

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tillroll.config import Settings
from tillroll.documents.service import documents
from tillroll.documents.value_view import ValueBarView, ValueLineView, ValueReceiptView
from tillroll.errors import TillrollError
from tillroll.kit.db import Connection
from tillroll.kit.http import problem_response
from tillroll.kit.money import symbol, to_decimal_string
from tillroll.merchants.service import merchant as merchant_service
from tillroll.values.schemas import ValueReceipt

MEDIA = "application/pdf"
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def money(amount: int, currency: str) -> str:
    return f"{symbol(currency)} {to_decimal_string(amount, currency)}"


def unit_label(unit: object) -> str:
    """What a line's quantity counts: a duration unit, a custom unit's label, or nothing."""
    kind = getattr(unit, "type", "")
    if kind == "duration":
        return str(getattr(unit, "duration_unit", ""))
    if kind == "custom":
        return str(getattr(unit, "unit_display", None) or getattr(unit, "unit", ""))
    return ""


def who(receipt: ValueReceipt) -> str:
    customer = receipt.customer
    return customer.name or customer.external_id or str(customer.id)


async def pdf_view(
    conn: Connection, settings: Settings, merchant_id: uuid.UUID, receipt: ValueReceipt
) -> ValueReceiptView:
    branding = await documents.branding(conn, merchant_id)
    merchant = await merchant_service.get(conn, merchant_id)
    currency = receipt.currency
    top = max([p.value for p in receipt.series] + [1])
    return ValueReceiptView(
        merchant=merchant.name,
        customer=who(receipt),
        period=f"{receipt.start:%Y-%m-%d %H:%M} – {receipt.end:%Y-%m-%d %H:%M} UTC",
        status="Sealed" if receipt.status == "posted" else "Draft",
        total=money(receipt.total_delivered_value, currency),
        lines=[
            ValueLineView(
                name=line.name,
                occurrences=str(line.occurrences),
                quantity=f"{line.quantity} {unit_label(line.unit)}".strip(),
                value=None if line.value is None else money(line.value, currency),
            )
            for line in receipt.lines
        ],
        bars=[
            ValueBarView(day=p.day, value=money(p.value, currency), height=max(p.value, 0) / top)
            for p in receipt.series
        ],
        generated=f"{receipt.generated_at:%Y-%m-%d %H:%M} UTC",
        page_url=settings.public_url.rstrip("/") + receipt.share_url,
        primary_color=branding.primary_color,
        background_color=branding.background_color,
        logo_svg=branding.logo_svg,
        footer=branding.footer_text,
    )


class PdfResponse(Response):
    """Renders when sent, after the transaction closed; a failure is problem details."""

    def __init__(self, settings: Settings, view: ValueReceiptView, receipt_id: uuid.UUID) -> None:
        super().__init__(status_code=200)
        self.settings, self.view, self.receipt_id = settings, view, receipt_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            content = await documents.value_receipt_pdf(self.settings, self.view)
        except TillrollError as exc:
            response = problem_response(exc)
        else:
            name = f'inline; filename="value-receipt-{self.receipt_id}.pdf"'
            response = Response(content, media_type=MEDIA, headers={"Content-Disposition": name})
        response.headers.update(PRIVATE)
        await response(scope, receive, send)
