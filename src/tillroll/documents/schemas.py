from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from tillroll.documents.labels import Language
from tillroll.kit.schemas import Schema

Size = Literal["a4", "80mm"]
Colour = Annotated[str, Meta(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#0f766e"])]
LogoSvg = Annotated[
    str,
    Meta(
        max_length=65536,
        pattern=r"^\s*(<\?xml[^>]*>\s*)?<svg[\s>]",
        description="An SVG image (at most 64 KiB), shown at the top of every receipt.",
    ),
]
Footer = Annotated[str, Meta(max_length=500)]
_PRERENDER = "Render each issued receipt's PDF in the background, so its first download is cached."
Subject = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        description="E-mail subject; `{merchant}` and `{number}` are replaced.",
        examples=["Your receipt {number} from {merchant}"],
    ),
]


class Branding(Schema):
    """How a merchant's receipts look and are mailed."""

    logo_svg: LogoSvg | None = None
    primary_color: Colour = "#1f2937"
    background_color: Colour = "#ffffff"
    footer_text: Footer | None = None
    email_subject: Subject = "Your receipt {number} from {merchant}"
    language: Annotated[Language, Meta(description="Default language of documents.")] = "en"
    prerender_pdf: Annotated[bool, Meta(description=_PRERENDER)] = False
    updated_at: datetime | None = None

    def subject(self, merchant: str, number: int | str) -> str:
        """The e-mail subject of receipt `number`."""
        return self.email_subject.replace("{merchant}", merchant).replace("{number}", str(number))


class BrandingUpdate(Schema):
    """Fields to change; omitted fields keep their value, null clears."""

    logo_svg: LogoSvg | UnsetType | None = UNSET
    primary_color: Colour | UnsetType = UNSET
    background_color: Colour | UnsetType = UNSET
    footer_text: Footer | UnsetType | None = UNSET
    email_subject: Subject | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    prerender_pdf: Annotated[bool, Meta(description=_PRERENDER)] | UnsetType = UNSET


class DocumentQuery(Schema):
    size: Annotated[Size, Meta(description="`a4` or `80mm` (till-roll width).")] = "a4"
    lang: Annotated[Language | None, Meta(description="Default: the merchant's language.")] = None


class DownloadLink(Schema):
    """A signed, expiring link to a receipt that needs no API key."""

    receipt_id: uuid.UUID
    download_url: Annotated[str, Meta(description="The PDF.")]
    page_url: Annotated[str, Meta(description="The receipt's page (HTML).")]
    expires_at: datetime


class EmailStatus(Schema):
    """Where a receipt's e-mail stands (`none`: it has not been e-mailed)."""

    status: Literal["none", "queued", "sent", "failed"]
    recipient: str | None = None
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime | None = None
    sent_at: datetime | None = None
