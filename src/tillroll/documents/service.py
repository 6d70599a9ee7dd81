"""Receipt documents: the view of a receipt, its cached renderings, branding, signed links."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

import msgspec

from tillroll.branches.service import branch as branch_service
from tillroll.config import Settings
from tillroll.customers.schemas import LoyaltyStatus
from tillroll.customers.service import customer as customer_service
from tillroll.documents import links
from tillroll.documents.render import TEMPLATES, Format, bounded, pdf, render
from tillroll.documents.repository import DocumentRepository
from tillroll.documents.schemas import Branding, BrandingUpdate, DocumentQuery, DownloadLink
from tillroll.documents.value_view import ValueReceiptView
from tillroll.documents.view import ReceiptView, build
from tillroll.errors import InvalidInput, NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, DatabaseBusy, run
from tillroll.kit.viewer import Viewer
from tillroll.merchants.service import merchant as merchant_service
from tillroll.orders.shipping import shipping
from tillroll.receipts.schemas import Receipt
from tillroll.receipts.service import receipt as receipt_service
from tillroll.wallets.receipt_view import receipt_wallets

_TEMPLATES = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted(TEMPLATES.iterdir()))
).hexdigest()[:16]
"""Part of every cache digest: a changed template renders anew."""
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
KEPT_SECONDS = 60.0
"""How long a process keeps what every receipt answer or ingest would otherwise read: the
link key, the pre-render flag. Another process's change reaches this one within it."""


@dataclass(frozen=True, slots=True)
class Document:
    """A rendering of one receipt: served from the cache (`content`) or still to render."""

    merchant_id: uuid.UUID
    receipt_id: uuid.UUID
    number: int
    fmt: Format
    view: ReceiptView
    variant: str
    digest: str
    content: bytes | None


class DocumentService:
    def __init__(self) -> None:
        self._prerender: dict[uuid.UUID, tuple[bool, float]] = {}

    async def branding(self, conn: Connection, merchant_id: uuid.UUID) -> Branding:
        """The merchant's branding; until it sets one, taken from its merchant settings
        (`brand_color`, `background_color`, `email_subject`) where those are set."""
        saved = await DocumentRepository.of(conn).branding(merchant_id)
        if saved is not None:
            return saved
        settings = (await merchant_service.get(conn, merchant_id)).settings
        default = Branding()
        return Branding(
            primary_color=settings.brand_color or default.primary_color,
            background_color=settings.background_color or default.background_color,
            email_subject=settings.email_subject or default.email_subject,
        )

    async def prerenders(self, conn: Connection, merchant_id: uuid.UUID) -> bool:
        """Whether the merchant pre-renders its receipts' PDFs (asked on every ingest, so
        kept per process for `KEPT_SECONDS`; a change in this process applies at once)."""
        kept = self._prerender.get(merchant_id)
        if kept is not None and time.monotonic() - kept[1] < KEPT_SECONDS:
            return kept[0]
        saved = await DocumentRepository.of(conn).branding(merchant_id)  # none saved: off
        flag = saved is not None and saved.prerender_pdf
        self._prerender[merchant_id] = (flag, time.monotonic())
        return flag

    async def update_branding(
        self, conn: Connection, merchant_id: uuid.UUID, update: BrandingUpdate
    ) -> Branding:
        changes = {
            f: v for f in update.__struct_fields__ if (v := getattr(update, f)) is not msgspec.UNSET
        }
        if isinstance(update.logo_svg, str) and (why := pdf.check_logo(update.logo_svg)):
            raise InvalidInput.field("logo_svg", why)
        current = await self.branding(conn, merchant_id)
        branding = msgspec.structs.replace(current, **changes, updated_at=utc_now())
        await DocumentRepository.of(conn).save_branding(merchant_id, branding)
        self._prerender.pop(merchant_id, None)
        return branding

    async def link(
        self, conn: Connection, settings: Settings, viewer: Viewer, receipt_id: uuid.UUID
    ) -> DownloadLink:
        """A signed link to the receipt (the same one all day; a later day's lasts longer)."""
        receipt = await receipt_service.get(conn, viewer, receipt_id)
        return await self._link(conn, settings, viewer.merchant_id, receipt.id)

    async def _link(
        self, conn: Connection, settings: Settings, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> DownloadLink:
        return (await self.links(conn, settings, merchant_id, [receipt_id]))[receipt_id]

    async def revoke_links(
        self, conn: Connection, settings: Settings, viewer: Viewer, receipt_id: uuid.UUID
    ) -> DownloadLink:
        """Revoke every link of the receipt issued so far; the answer is its new one."""
        receipt = await receipt_service.get(conn, viewer, receipt_id)
        await DocumentRepository.of(conn).revoke_links(viewer.merchant_id, receipt.id, utc_now())
        return await self._link(conn, settings, viewer.merchant_id, receipt.id)

    async def links(
        self,
        conn: Connection,
        settings: Settings,
        merchant_id: uuid.UUID,
        receipt_ids: Iterable[uuid.UUID],
    ) -> dict[uuid.UUID, DownloadLink]:
        """Today's signed link of each receipt (of this merchant: the caller checked), at the
        receipt's current link generation."""
        ids = list(receipt_ids)
        key = await _keys.get(conn, merchant_id)
        generations = await DocumentRepository.of(conn).link_generations(merchant_id, ids)
        expires = links.expiry(utc_now(), settings.link_ttl_days)
        base = f"{settings.public_url.rstrip('/')}/p/receipts/"
        found = {}
        for receipt_id in ids:
            link = links.Link(merchant_id, receipt_id, expires, generations.get(receipt_id, 0))
            page = base + links.sign(link, key)
            found[receipt_id] = DownloadLink(
                receipt_id=receipt_id, download_url=f"{page}.pdf", page_url=page, expires_at=expires
            )
        return found

    async def with_links(
        self, conn: Connection, settings: Settings, merchant_id: uuid.UUID, receipts: list[Receipt]
    ) -> list[Receipt]:
        """`receipts` with their `download_url` set."""
        if not receipts:
            return receipts
        found = await self.links(conn, settings, merchant_id, [r.id for r in receipts])
        return [msgspec.structs.replace(r, download_url=found[r.id].download_url) for r in receipts]

    async def by_token(self, conn: Connection, token: str) -> tuple[Viewer, uuid.UUID]:
        """The merchant (as viewer) and receipt a valid, unexpired, unrevoked link names;
        else 404. The secret is read afresh here (a rotated one refuses old links at once)."""
        claimed = links.unsigned(token)
        key = claimed and await _keys.fresh(conn, claimed.merchant_id)
        link = key and links.verify(token, key, utc_now())
        if link:
            repo = DocumentRepository.of(conn)
            current = await repo.link_generations(link.merchant_id, [link.receipt_id])
            if current.get(link.receipt_id, 0) == link.generation:
                return Viewer(link.merchant_id), link.receipt_id
        raise NotFound(
            "This receipt link is invalid, revoked or expired; ask the shop for a new one."
        )

    async def view(
        self,
        conn: Connection,
        settings: Settings,
        viewer: Viewer,
        receipt_id: uuid.UUID,
        query: DocumentQuery,
    ) -> tuple[Receipt, ReceiptView]:
        receipt = await receipt_service.get(conn, viewer, receipt_id)
        merchant_id = viewer.merchant_id
        branding = await self.branding(conn, merchant_id)
        branch = receipt.branch and await branch_service.get(conn, merchant_id, receipt.branch.id)
        link = await self._link(conn, settings, merchant_id, receipt.id)
        shipments = (
            await shipping.list(conn, merchant_id, receipt.id) if receipt.order_status else []
        )
        loyalty = await _with_wallets(conn, merchant_id, receipt)
        view = build(
            receipt,
            merchant=(await merchant_service.get(conn, merchant_id)).name,
            branch=branch or None,
            branding=branding,
            lang=query.lang or branding.language,
            size=query.size,
            page_url=link.page_url,
            pdf_url=link.download_url,
            shipments=shipments,
            loyalty=loyalty,
        )
        return receipt, view

    async def document(
        self,
        conn: Connection,
        settings: Settings,
        viewer: Viewer,
        receipt_id: uuid.UUID,
        fmt: Format,
        query: DocumentQuery,
    ) -> Document:
        """The receipt's rendering as `fmt`: from the cache when this revision (receipt,
        branding, language, size, template, link of the day) was rendered before."""
        receipt, view = await self.view(conn, settings, viewer, receipt_id, query)
        variant = f"{fmt}:{view.size}:{view.lang}"
        digest = hashlib.sha256(msgspec.json.encode(view) + _TEMPLATES.encode()).hexdigest()
        cached = await DocumentRepository.of(conn).render(
            viewer.merchant_id, receipt.id, variant, digest
        )
        return Document(
            viewer.merchant_id, receipt.id, receipt.number, fmt, view, variant, digest, cached
        )

    async def content(
        self, db: Database, settings: Settings, document: Document, *, wait: bool = False
    ) -> bytes:
        """The document's bytes: cached, or rendered now (outside any transaction, under the
        time limit) and kept for the next request (`wait`: even if that waits for the write
        lock, as a job can; a request does not)."""
        if document.content is not None:
            return document.content
        content = await render(document.view, document.fmt, settings.render_timeout_seconds)

        async def keep(conn: Connection) -> None:
            await DocumentRepository.of(conn).save_render(
                document.merchant_id, document.receipt_id, document.variant, document.digest,
                content, utc_now(),
            )  # fmt: skip

        with suppress(DatabaseBusy):  # the write lock is taken: a later request keeps it
            await run(db, keep, write=True, wait=wait)
        return content

    async def value_receipt_pdf(self, settings: Settings, view: ValueReceiptView) -> bytes:
        """A value receipt's PDF, rendered now (outside any transaction, under the time
        limit; not cached: a draft changes with every refresh)."""
        return await bounded(
            lambda: pdf.value_receipt(view), "PDF", settings.render_timeout_seconds
        )


async def _with_wallets(
    conn: Connection, merchant_id: uuid.UUID, receipt: Receipt
) -> LoyaltyStatus | None:
    """Set what the receipt earned in its customer's wallets (the balance right after it,
    which no later receipt changes; a return's clawback is on the return); the answer is
    the customer's loyalty status now (None for a receipt without a customer)."""
    found = await receipt_wallets(conn, merchant_id, [receipt.id])
    receipt.monetary_wallet = found.get((receipt.id, "credit"))
    receipt.points_wallet = found.get((receipt.id, "points"))
    if receipt.customer is None:
        return None
    try:
        customer = await customer_service.get(conn, merchant_id, receipt.customer.id)
    except NotFound:  # erased since
        return None
    [shown] = await customer_service.present(conn, merchant_id, [customer])
    return shown.loyalty_status


class _Keys:
    """Each merchant's link-signing key, kept per process: every receipt answer signs its
    link, and reading the secret was one more query per answer. A kept key is read again
    after `TTL` seconds, and at once by a process that verifies a link and finds the secret
    changed (a rotation)."""

    TTL = KEPT_SECONDS

    def __init__(self) -> None:
        self._kept: dict[uuid.UUID, tuple[str, bytes, float]] = {}

    async def get(self, conn: Connection, merchant_id: uuid.UUID) -> bytes:
        kept = self._kept.get(merchant_id)
        if kept is not None and time.monotonic() - kept[2] < self.TTL:
            return kept[1]
        key = await self.fresh(conn, merchant_id)
        assert key is not None, "the receipts' merchant exists"
        return key

    async def fresh(self, conn: Connection, merchant_id: uuid.UUID) -> bytes | None:
        """The key from the merchant's current secret (None: no such merchant)."""
        secret = await merchant_service.session_secret(conn, merchant_id)
        if secret is None:
            return None
        kept = self._kept.get(merchant_id)
        key = kept[1] if kept is not None and kept[0] == secret else links.key(secret)
        self._kept[merchant_id] = (secret, key, time.monotonic())
        return key


_keys = _Keys()
documents = DocumentService()
