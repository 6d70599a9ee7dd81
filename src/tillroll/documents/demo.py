"""Demo branding for the documents examples (docs/documents.md)."""

from __future__ import annotations

from tillroll.documents.schemas import BrandingUpdate
from tillroll.documents.service import documents
from tillroll.kit.db import Connection
from tillroll.merchants.schemas import Merchant

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="48" viewBox="0 0 180 48">'
    '<rect width="48" height="48" rx="10" fill="#1F6FEB"/>'
    '<path d="M12 14h24v5h-9.5v17h-5V19H12z" fill="#fff"/>'
    '<text x="58" y="32" font-family="DejaVu Sans" font-size="20" font-weight="bold" '
    'fill="#1F2937">Tillroll</text></svg>'
)


async def load(conn: Connection, merchant: Merchant) -> None:
    await documents.update_branding(
        conn,
        merchant.id,
        BrandingUpdate(
            logo_svg=LOGO,
            primary_color="#1F6FEB",
            footer_text="Exchange within 30 days with this receipt. Thank you for shopping!",
            email_subject="Your receipt {number} from {merchant}",
        ),
    )
