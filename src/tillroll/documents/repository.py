"""All SQL of the documents domain, on its own tables, scoped by merchant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tillroll.documents.schemas import Branding
from tillroll.documents.tables import BRANDING, EMAILS
from tillroll.kit.repository import Repository, in_list

_BRANDING = [c.name for c in BRANDING.columns if c.name != "merchant_id"]
_EMAIL = [c.name for c in EMAILS.columns if c.name not in ("merchant_id", "receipt_id")]


class DocumentRepository(Repository):
    async def branding(self, merchant_id: uuid.UUID) -> Branding | None:
        row = await self.conn.fetchone(
            f"SELECT {BRANDING.select(_BRANDING)} FROM document_branding WHERE merchant_id = :m",
            {"m": merchant_id},
        )
        return None if row is None else Branding(**{c: row[c] for c in _BRANDING})

    async def save_branding(self, merchant_id: uuid.UUID, branding: Branding) -> None:
        values = {c: getattr(branding, c) for c in _BRANDING}
        sets = ", ".join(f"{c} = excluded.{c}" for c in _BRANDING)
        await self.conn.execute(
            f"INSERT INTO document_branding (merchant_id, {BRANDING.select(_BRANDING)}) "
            f"VALUES (:merchant_id, {', '.join(':' + c for c in _BRANDING)}) "
            f"ON CONFLICT (merchant_id) DO UPDATE SET {sets}",
            {"merchant_id": merchant_id, **values},
        )

    async def render(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, variant: str, digest: str
    ) -> bytes | None:
        content = await self.conn.fetchval(
            "SELECT content FROM receipt_renders WHERE merchant_id = :m AND receipt_id = :r "
            "AND variant = :v AND digest = :d",
            {"m": merchant_id, "r": receipt_id, "v": variant, "d": digest},
        )
        return None if content is None else bytes(content)

    async def save_render(
        self,
        merchant_id: uuid.UUID,
        receipt_id: uuid.UUID,
        variant: str,
        digest: str,
        content: bytes,
        now: datetime,
    ) -> None:
        """Keep `content` as the rendering of `variant` (replacing an older revision's)."""
        await self.conn.execute(
            "INSERT INTO receipt_renders (merchant_id, receipt_id, variant, digest, content, "
            "rendered_at) VALUES (:m, :r, :v, :d, :c, :now) "
            "ON CONFLICT (merchant_id, receipt_id, variant) DO UPDATE SET "
            "digest = excluded.digest, content = excluded.content, "
            "rendered_at = excluded.rendered_at",
            {
                "m": merchant_id,
                "r": receipt_id,
                "v": variant,
                "d": digest,
                "c": content,
                "now": now,
            },
        )

    async def link_generations(
        self, merchant_id: uuid.UUID, receipt_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        """The link generation of each receipt whose links were ever revoked (others: 0)."""
        if not receipt_ids:
            return {}
        marks, params = in_list("r", receipt_ids)
        rows = await self.conn.fetchall(
            "SELECT receipt_id, generation FROM receipt_links WHERE merchant_id = :m "
            f"AND receipt_id IN {marks}",
            {"m": merchant_id, **params},
        )
        return {row["receipt_id"]: row["generation"] for row in rows}

    async def revoke_links(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, now: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO receipt_links (merchant_id, receipt_id, generation, revoked_at) "
            "VALUES (:m, :r, 1, :now) ON CONFLICT (merchant_id, receipt_id) DO UPDATE SET "
            "generation = receipt_links.generation + 1, revoked_at = excluded.revoked_at",
            {"m": merchant_id, "r": receipt_id, "now": now},
        )

    async def email(self, merchant_id: uuid.UUID, receipt_id: uuid.UUID) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {EMAILS.select(_EMAIL)} FROM receipt_emails "
            "WHERE merchant_id = :m AND receipt_id = :r",
            {"m": merchant_id, "r": receipt_id},
        )
        return None if row is None else {c: row[c] for c in _EMAIL}

    async def save_email(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, values: dict[str, Any]
    ) -> None:
        sets = ", ".join(f"{c} = excluded.{c}" for c in _EMAIL)
        await self.conn.execute(
            f"INSERT INTO receipt_emails (merchant_id, receipt_id, {EMAILS.select(_EMAIL)}) "
            f"VALUES (:m, :r, {', '.join(':' + c for c in _EMAIL)}) "
            f"ON CONFLICT (merchant_id, receipt_id) DO UPDATE SET {sets}",
            {"m": merchant_id, "r": receipt_id, **values},
        )
