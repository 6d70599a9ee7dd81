"""The documents domain's tables: branding, the render cache, e-mail state, link
generations."""

from __future__ import annotations

from tillroll.kit.tables import BLOB, BOOLEAN, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

BRANDING = Table(
    "document_branding",
    col("merchant_id", UUID),
    col("logo_svg", TEXT, null=True),
    col("primary_color", TEXT),
    col("background_color", TEXT),
    col("footer_text", TEXT, null=True),
    col("email_subject", TEXT),
    col("language", TEXT),
    col("updated_at", TIMESTAMPTZ),
    col("prerender_pdf", BOOLEAN),
    primary_key=("merchant_id",),
)

RENDERS = Table(
    "receipt_renders",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("variant", TEXT),
    col("digest", TEXT),
    col("content", BLOB),
    col("rendered_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "receipt_id", "variant"),
)

EMAILS = Table(
    "receipt_emails",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("status", TEXT),
    col("recipient", TEXT),
    col("attempts", INTEGER),
    col("last_error", TEXT, null=True),
    col("updated_at", TIMESTAMPTZ),
    col("sent_at", TIMESTAMPTZ, null=True),
    primary_key=("merchant_id", "receipt_id"),
)

LINKS = Table(
    "receipt_links",
    col("merchant_id", UUID),
    col("receipt_id", UUID),
    col("generation", INTEGER),
    col("revoked_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "receipt_id"),
)
