"""Products: the optional catalogue receipt lines may point at."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tillroll.errors import Conflict
from tillroll.kit.clock import utc_now
from tillroll.kit.crud import get_or_404, list_page
from tillroll.kit.db import Connection
from tillroll.kit.schemas import Page
from tillroll.kit.updates import given
from tillroll.products.repository import ProductRepository
from tillroll.products.schemas import Product, ProductCreate, ProductUpdate


class ProductService:
    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, create: ProductCreate
    ) -> Product:
        repo = ProductRepository.of(conn)
        await self._ensure_sku_free(repo, merchant_id, create.external_id)
        values = {f: getattr(create, f) for f in create.__struct_fields__}
        return await repo.insert(merchant_id, values, utc_now())

    async def get(self, conn: Connection, merchant_id: uuid.UUID, product_id: uuid.UUID) -> Product:
        return await get_or_404(ProductRepository.of(conn), merchant_id, product_id, "product")

    async def known_ids(
        self, conn: Connection, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of `ids` are the merchant's products."""
        rows = await ProductRepository.of(conn).rows_in(merchant_id, "id", ids, ["id"])
        return {r["id"] for r in rows}

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[Product]:
        return await list_page(ProductRepository.of(conn), merchant_id, cursor, limit)

    async def update(
        self, conn: Connection, merchant_id: uuid.UUID, product_id: uuid.UUID, update: ProductUpdate
    ) -> Product:
        current = await self.get(conn, merchant_id, product_id)
        repo = ProductRepository.of(conn)
        changes = given(update)
        if changes.get("external_id", current.external_id) != current.external_id:
            await self._ensure_sku_free(repo, merchant_id, changes["external_id"])
        updated = await repo.update(merchant_id, product_id, changes, utc_now())
        assert updated is not None
        return updated

    async def delete(self, conn: Connection, merchant_id: uuid.UUID, product_id: uuid.UUID) -> None:
        repo = ProductRepository.of(conn)
        await self.get(conn, merchant_id, product_id)
        await repo.delete(
            merchant_id,
            product_id,
            still_referenced="Receipt lines point at this product; it stays.",
        )

    async def _ensure_sku_free(
        self, repo: ProductRepository, merchant_id: uuid.UUID, sku: str
    ) -> None:
        if await repo.get_by(merchant_id, "external_id", sku) is not None:
            raise Conflict(f"A product with external_id {sku!r} already exists.")


product = ProductService()
